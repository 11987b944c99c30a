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
