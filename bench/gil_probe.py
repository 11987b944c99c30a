"""``python -m bench.gil_probe [--rows 100000]``: does the import's own code hold the GIL long?

The GUI thread stalls when it waits for the GIL the import's worker holds. A worker that runs
Python code hands the GIL over every switch interval; one inside a long C call (a big sort,
join, decode, marshal, a parse of a whole block) does not, and the GUI waits as long as the call.
This runs the import of ``bench.transfer``'s 100,000-row CSV and XLSX without Qt (``dataio``
preview and apply in this thread, as the wizard's worker runs them, with automatic collection off
as the app's GUI-thread collector makes it) while a probe thread wakes every 2 ms. Each time the
probe waited more than ``LONG_MS`` for the GIL (its lateness less its own wait for a CPU), the
kernel's counters say whether the import's thread **ran** through the wait (a long hold: ours)
or **waited for a CPU** holding the GIL (the OS), with the import's stack just after.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import utf8_output

LONG_MS = 8.0
SLEEP_S = 0.002


class Probe:
    """The probe thread and what it saw (``waits``: GIL wait ms, worker ran ms, worker waited ms, stack)."""

    def __init__(self, worker: threading.Thread) -> None:
        self.worker = worker
        self.waits: list[tuple[float, float, float, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="gil-probe", daemon=True)

    def _run(self) -> None:
        mine = os.open(f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY)
        theirs = os.open(f"/proc/self/task/{self.worker.native_id}/schedstat", os.O_RDONLY)

        def counters(fd: int) -> tuple[int, int]:
            ran, waited, _ = os.pread(fd, 128, 0).split(maxsplit=2)
            return int(ran), int(waited)

        try:
            while not self.stop.is_set():
                me, them, started = counters(mine), counters(theirs), time.perf_counter()
                time.sleep(SLEEP_S)
                late = (time.perf_counter() - started - SLEEP_S) * 1000
                me_after, them_after = counters(mine), counters(theirs)
                gil = late - (me_after[1] - me[1]) / 1e6
                if gil > LONG_MS:
                    frame = sys._current_frames().get(self.worker.ident or 0)
                    stack = "".join(traceback.format_stack(frame)[-3:]) if frame is not None else ""
                    self.waits.append((gil, (them_after[0] - them[0]) / 1e6, (them_after[1] - them[1]) / 1e6, stack))
        finally:
            os.close(mine)
            os.close(theirs)

    def summary(self) -> dict[str, Any]:
        ours = [w for w in self.waits if w[1] >= 0.7 * w[0]]
        return {"gil_waits": len(self.waits), "longest_gil_wait_ms": round(max((w[0] for w in self.waits),
                                                                               default=0.0), 1),
                "held_running": len(ours), "longest_held_running_ms": round(max((w[1] for w in ours), default=0.0), 1),
                "stacks": [f"{w[0]:.0f} ms, the import ran {w[1]:.0f} ms:\n{w[3]}" for w in sorted(ours)[-3:]]}


def run(n: int) -> dict[str, Any]:
    from bench import transfer

    os.environ.setdefault("ISPCLIENT_LOCALE", "en_US")
    transfer._in_memory_keyring()
    sys.setswitchinterval(0.001)  # as the wizard's worker sets it
    results: dict[str, Any] = {"load_average_start": transfer.load_average()}
    with tempfile.TemporaryDirectory(prefix="ispclient-bench-gil-") as tmp:
        folder = Path(tmp)
        paths = transfer.write_files(n, folder)
        was = gc.isenabled()
        gc.disable()
        try:
            for kind, path in zip(("csv", "xlsx"), paths, strict=True):
                probe = Probe(threading.current_thread())
                probe.thread.start()
                try:
                    results[f"{kind}_s"] = transfer.measure_direct(path, folder / f"data-{kind}")
                finally:
                    probe.stop.set()
                    probe.thread.join()
                results[kind] = probe.summary()
        finally:
            if was:
                gc.enable()
    results["load_average_end"] = transfer.load_average()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    utf8_output()
    p = argparse.ArgumentParser(prog="python -m bench.gil_probe", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    args = p.parse_args(argv)
    if not Path("/proc/self/task").is_dir():
        print("needs Linux's per-thread counters (/proc/self/task)")
        return 1
    results = run(args.rows)
    print(f"load average {results['load_average_start']} → {results['load_average_end']}")
    for kind in ("csv", "xlsx"):
        got = results[kind]
        print(f"{kind}: {results[kind + '_s']}; GIL waits over {LONG_MS:.0f} ms: {got['gil_waits']} (longest "
              f"{got['longest_gil_wait_ms']} ms); the import ran through {got['held_running']} of them (longest "
              f"{got['longest_held_running_ms']} ms), in the rest it waited for a CPU holding the GIL (the OS)")
        for stack in got["stacks"]:
            print("  " + stack.replace("\n", "\n  "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
