"""One app window per data directory: a second one is told plainly where the data is open; the
lock dies with its process, so a crash never locks anyone out."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from ispclient.store.instance_lock import DataInUse, InstanceLock

from .child import spawn, wait_ready


def test_a_second_window_on_the_same_data_is_told_plainly(tmp_path: Path) -> None:
    with InstanceLock(tmp_path) as first:
        assert first.held
        with pytest.raises(DataInUse) as e:
            InstanceLock(tmp_path).acquire()
        message = str(e.value)
        assert "already open on this data" in message and str(tmp_path) in message
        assert f"on {socket.gethostname()} (process {os.getpid()})" in message
        assert "Switch to that window" in message
    InstanceLock(tmp_path).acquire().release()  # free again once the first one let go


def test_another_data_directory_is_not_affected(tmp_path: Path) -> None:
    with InstanceLock(tmp_path / "a"), InstanceLock(tmp_path / "b") as other:
        assert other.held


def test_the_lock_of_a_killed_process_is_free_at_once(tmp_path: Path) -> None:
    child = spawn("lock", str(tmp_path))
    wait_ready(child)
    try:
        with pytest.raises(DataInUse, match=f"process {child.pid}"):
            InstanceLock(tmp_path).acquire(timeout_s=0.2)
    finally:
        child.kill()
        child.communicate(timeout=10)
    lock = InstanceLock(tmp_path).acquire(timeout_s=2)  # no stale lock file to clean up by hand
    assert lock.held
    lock.release()
