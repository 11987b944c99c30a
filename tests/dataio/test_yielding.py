"""The worker's pause that lets a thread waiting for the GIL have it (dataio/yielding.py)."""

from __future__ import annotations

from ispclient.dataio.yielding import Yielder


def test_it_pauses_once_per_stretch_of_work() -> None:
    now = [0.0]
    slept: list[float] = []
    pause = Yielder(every_s=0.02, pause_s=0.0003, clock=lambda: now[0], sleep=slept.append)
    for _ in range(10):  # 10 ms of work: no pause yet
        now[0] += 0.001
        pause()
    assert slept == []
    for _ in range(25):  # 25 ms more: one pause at about 20 ms, the next not before 40
        now[0] += 0.001
        pause()
    assert slept == [0.0003] and pause.pauses == 1
    now[0] += 0.02
    pause()
    assert slept == [0.0003, 0.0003]
