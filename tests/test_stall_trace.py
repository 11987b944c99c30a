"""The bench's stall tracer tells a busy GUI thread from one starved of a CPU or of the GIL."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from bench import stall_trace

GUI = 100


def test_a_stall_the_gui_thread_spent_running_is_ours() -> None:
    line = stall_trace.attribute({GUI: (0, 0), 7: (0, 0)}, {GUI: (90_000_000, 5_000_000), 7: (3_000_000, 0)},
                                 GUI, {7: "ispclient-db-0"}, 100)
    assert "GUI thread ran" in line
    assert "ran 90 ms, waited for a CPU 5 ms, slept 5 ms" in line
    assert "ispclient-db-0 ran 3" in line


def test_a_stall_spent_waiting_for_a_cpu_is_the_operating_systems() -> None:
    line = stall_trace.attribute({GUI: (0, 0)}, {GUI: (2_000_000, 280_000_000)}, GUI, {}, 300)
    assert "waited for a CPU (the OS)" in line
    assert "no other thread of ours ran" in line


def test_a_stall_asleep_while_a_worker_ran_points_at_the_worker() -> None:
    line = stall_trace.attribute({GUI: (0, 0), 8: (10, 0), 9: (0, 0)},
                                 {GUI: (1_000_000, 1_000_000), 8: (250_000_010, 0), 9: (500_000, 0)},
                                 GUI, {8: "ispclient-slow-0", 9: "ispclient-db-0"}, 260)
    assert "slept (the GIL or a lock)" in line
    assert "meanwhile ispclient-slow-0 ran 250" in line
    assert "ispclient-db-0" not in line  # under a millisecond is noise


def test_without_the_kernels_counters_it_says_so(tmp_path: Path) -> None:
    assert stall_trace.sample(tmp_path / "missing") == {}
    assert "no per-thread counters" in stall_trace.attribute({}, {}, GUI, {}, 80)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the per-thread counters are Linux's")
def test_the_counters_see_a_busy_thread() -> None:
    done, sampled = threading.Event(), threading.Event()
    native: dict[str, int] = {}

    def spin() -> None:
        native["id"] = threading.get_native_id()
        started = time.thread_time()
        while time.thread_time() - started < 0.08:  # 80 ms of this thread's own CPU, however loaded
            pass
        done.set()
        sampled.wait(30)  # its counters go with the thread

    before = stall_trace.sample()
    worker = threading.Thread(target=spin)
    worker.start()
    assert done.wait(30)
    after = stall_trace.sample()
    sampled.set()
    worker.join()
    assert native["id"] in after
    assert (after[native["id"]][0] - before.get(native["id"], (0, 0))[0]) / 1e6 >= 70


@pytest.mark.parametrize(("gui_after", "worker_after", "expected"), [
    ((90_000_000, 5_000_000), (3_000_000, 0), "ran"),  # the GUI thread's own work
    ((2_000_000, 90_000_000), (3_000_000, 0), "cpu"),  # it waited for a CPU
    ((1_000_000, 1_000_000), (95_000_000, 0), "gil-held"),  # it slept while the worker ran through
    ((1_000_000, 1_000_000), (2_000_000, 90_000_000), "gil-descheduled"),  # …while the worker waited for a CPU
    ((1_000_000, 1_000_000), (1_000_000, 0), "slept"),  # neither: a lock, or nothing of ours ran
])
def test_each_stall_gets_one_cause(gui_after: tuple[int, int], worker_after: tuple[int, int], expected: str) -> None:
    assert stall_trace.cause({GUI: (0, 0), 8: (0, 0)}, {GUI: gui_after, 8: worker_after}, GUI, 100) == expected
    assert (expected in stall_trace.OS_CAUSES) == (expected in ("cpu", "gil-descheduled"))
    assert stall_trace.cause({}, {GUI: gui_after}, GUI, 100) is None


def test_a_long_hold_is_named_in_the_line() -> None:
    line = stall_trace.attribute({GUI: (0, 0), 8: (0, 0)}, {GUI: (1_000_000, 1_000_000), 8: (95_000_000, 0)},
                                 GUI, {8: "ispclient-slow-0"}, 100)
    assert "ispclient-slow-0 ran through it: a long hold of the GIL (ours)" in line
    line = stall_trace.attribute({GUI: (0, 0), 8: (0, 0)}, {GUI: (1_000_000, 1_000_000), 8: (2_000_000, 90_000_000)},
                                 GUI, {8: "ispclient-slow-0"}, 100)
    assert "the GIL's holder itself waited for a CPU (the OS)" in line


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the per-thread counters are Linux's")
def test_the_timer_ticks_leave_each_late_one_with_its_cause() -> None:
    assert stall_trace.count()
    stall_trace.note(0.0, 0.01, "a tick on time")  # the first tick: counters to start from
    stall_trace.note(0.01, 0.02, "on time again")
    stall_trace.note(0.02, 0.12, "100 ms after the last")
    seen = stall_trace.take()
    assert len(seen) == 1 and round(seen[0][0]) == 100 and seen[0][1] is not None
    assert stall_trace.take() == []


def test_the_tracers_own_hold_is_not_ours() -> None:
    stall_trace._tracer_threads.add(9)
    try:
        before, after = {GUI: (0, 0), 9: (0, 0)}, {GUI: (1_000_000, 1_000_000), 9: (95_000_000, 0)}
        assert stall_trace.cause(before, after, GUI, 100) == "tracer"
        assert "the stall tracer itself" in stall_trace.attribute(before, after, GUI, {9: "stall-trace"}, 100)
    finally:
        stall_trace._tracer_threads.discard(9)
