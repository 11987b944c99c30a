"""The checked rows of an import, kept in a temporary file rather than in memory.

Each row is appended once (by the preview, in a worker thread) and then read by index (the
preview grid, a page at a time, in the GUI thread) or in order (the apply, in a worker): a
100,000-row import keeps an offset and a verdict byte per row in memory, and a 1,000,000-row
file costs the same few bytes per row until it is refused. Passwords are in it only encrypted.

Records are written with :mod:`marshal`, not pickle: they are tuples of plain values (str, int,
bool, None, tuples, dicts; the caller turns dates into day numbers), which marshal writes and
reads in C without looking up a class. Pickle looked up ``datetime.date`` and the verdict's enum
class for every row, through the import machinery: once the GUI has loaded PySide6 that goes
through its import hook, and the spool cost ~19 µs a row in the wizard instead of ~2 µs. A value
marshal can't write raises ValueError (nothing is written half). The file is written and read by
this process only, so marshal's format (tied to the Python version) is no concern.
"""

from __future__ import annotations

import marshal
import tempfile
import threading
from array import array
from collections.abc import Iterator
from typing import Any


class Spool:
    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="ispclient-import-")  # noqa: SIM115 - closed in close()
        self._offsets = array("Q")
        self.verdicts = bytearray()
        self._end = 0
        self._moved = False
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._offsets)

    def append(self, record: Any, verdict: int) -> None:
        data = marshal.dumps(record)
        with self._lock:
            if self._moved:  # a reader moved the position since the last append
                self._file.seek(self._end)
                self._moved = False
            self._file.write(data)
            self._offsets.append(self._end)
            self.verdicts.append(verdict)
            self._end += len(data)

    def get(self, index: int) -> Any:
        with self._lock:
            start = self._offsets[index]
            end = self._offsets[index + 1] if index + 1 < len(self._offsets) else self._end
            self._moved = True
            self._file.seek(start)
            data = self._file.read(end - start)
        return marshal.loads(data)

    def many(self, first: int, last: int) -> list[Any]:
        """Rows first…last (inclusive) in one read."""
        with self._lock:
            start = self._offsets[first]
            end = self._offsets[last + 1] if last + 1 < len(self._offsets) else self._end
            self._moved = True
            self._file.seek(start)
            data = self._file.read(end - start)
            bounds = [self._offsets[i] - start for i in range(first, last + 1)] + [end - start]
        view = memoryview(data)
        return [marshal.loads(view[bounds[i]:bounds[i + 1]]) for i in range(last - first + 1)]

    def __iter__(self) -> Iterator[Any]:
        step = 512
        for first in range(0, len(self), step):
            yield from self.many(first, min(first + step, len(self)) - 1)

    def close(self) -> None:
        with self._lock:
            self._file.close()
