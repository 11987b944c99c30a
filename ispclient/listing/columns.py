"""Column storage for a million rows: a few arrays per field instead of an object per row.

* :class:`Strings` keeps one text field (names, e-mails, …) as one joined ``str`` and the
  offsets of each value: the view reads the ~40 rows on screen; nothing walks them all.
* :class:`Field` keeps one searchable field as UTF-8 bytes in a fixed-width matrix laid out
  column by column (byte ``c`` of every row is one contiguous array): a search compares whole
  columns with one byte at a time (vectorised: ~35 µs per million rows), and a sort reads two
  columns at a time as 16-bit radix digits. Values longer than the width are kept whole aside.

Values never contain the unit separator (SEP, a control character no field may hold): the
builders split joined text on it, and refuse a chunk where the count doesn't add up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

Bools = npt.NDArray[np.bool_]
Slots = npt.NDArray[np.int64]
Bytes2D = npt.NDArray[np.uint8]

SAMPLE = 16_384  # rows whose bytes are counted to know which are rare (a search's order of comparisons only;
# 65,536 rows cost ~16 ms of the build, the GIL held, to rank the bytes much the same: the rarest byte
# of the bench's search prefixes differed in 18 of 672)
WIDE = 48  # a field wider than this is cut at its 99.9th percentile; longer values are kept aside
WIDEST = 160


SEP = 0x1F  # the unit separator joins the values of a column (no field may hold control characters)
SEP_CHAR = chr(SEP)


def _pieces(marks: Bools, count: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and length of each of ``count`` values, given where the separators are."""
    ends = np.flatnonzero(marks)
    if len(ends) != count - 1:
        raise ValueError("a value holds the separator")
    ends = np.append(ends, len(marks)).astype(np.int64)
    starts = np.empty(count, dtype=np.int64)
    if count:
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
    return starts, ends - starts


def rows_of(buffer: bytes, count: int) -> tuple[Bytes2D, npt.NDArray[np.int64]]:
    """``count`` values joined by SEP as a row-major (count × longest) matrix, NUL-padded, and
    their lengths in bytes.

    Each row is copied whole from a sliding window over the bytes (a row at a time, not an index
    per byte), then what follows the value in it (the separator and the next values) is masked
    off: about a quarter of the time of a gather through a (count × longest) index matrix."""
    if count == 0:
        return np.zeros((0, 0), dtype=np.uint8), np.zeros(0, dtype=np.int64)
    raw = np.frombuffer(buffer, dtype=np.uint8)
    starts, lengths = _pieces(raw == SEP, count)
    width = int(lengths.max())
    padded = np.zeros(len(raw) + width, dtype=np.uint8)  # every window whole, the last value's too
    padded[:len(raw)] = raw
    rows = np.lib.stride_tricks.sliding_window_view(padded, width)[starts]
    if width < count:  # one mask per length, each row's taken by its length
        masks = (np.arange(width)[None, :] < np.arange(width + 1)[:, None]).view(np.uint8) * np.uint8(0xFF)
        rows &= masks[lengths]
    else:
        rows[np.arange(width)[None, :] >= lengths[:, None]] = 0
    return rows, lengths


def _char_lengths(text: str, count: int) -> npt.NDArray[np.int64]:
    """Lengths (in characters) of the ``count`` values joined by SEP in ``text``."""
    if text.isascii():
        marks = np.frombuffer(text.encode("ascii"), dtype=np.uint8) == SEP
    else:
        marks = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32) == SEP
    return _pieces(marks, count)[1]


class Strings:
    """One text field of every slot: ``get(slot)``; changed and added slots are kept aside.

    The values are kept joined, each followed by SEP, with the offset of each value's start."""

    def __init__(self, text: str = "", offsets: npt.NDArray[np.int64] | None = None) -> None:
        self._text = text
        self._offsets = offsets if offsets is not None else np.zeros(1, dtype=np.int64)
        self._base = len(self._offsets) - 1  # slots held in the joined text
        self._changed: dict[int, str] = {}

    @classmethod
    def build(cls, chunks: Iterable[tuple[str, npt.NDArray[np.int64]]]) -> Strings:
        """From (joined text ending in SEP, length of each value with its SEP) per chunk of rows."""
        texts: list[str] = []
        lengths: list[npt.NDArray[np.int64]] = []
        for text, lens in chunks:
            texts.append(text)
            lengths.append(lens)
        offsets = np.zeros(sum(len(x) for x in lengths) + 1, dtype=np.int64)
        if len(offsets) > 1:
            np.cumsum(np.concatenate(lengths), out=offsets[1:])
        return cls("".join(texts), offsets)

    @staticmethod
    def chunk(values: Sequence[str]) -> tuple[str, npt.NDArray[np.int64]]:
        """A chunk from separate values."""
        return (SEP_CHAR.join(values) + SEP_CHAR,
                np.fromiter(map(len, values), dtype=np.int64, count=len(values)) + 1)

    @staticmethod
    def joined(text: str, count: int) -> tuple[str, npt.NDArray[np.int64]]:
        """A chunk from ``count`` values already joined by SEP (ValueError if a value holds SEP)."""
        return text + SEP_CHAR, _char_lengths(text, count) + 1

    def get(self, slot: int) -> str:
        value = self._changed.get(slot)
        if value is not None:
            return value
        if slot >= self._base:
            return ""
        offsets = self._offsets
        return self._text[int(offsets[slot]):int(offsets[slot + 1]) - 1]

    def set(self, slot: int, value: str) -> None:
        self._changed[slot] = value

    @property
    def nbytes(self) -> int:
        return len(self._text) * (1 if self._text.isascii() else 4) + self._offsets.nbytes


class Field:
    """One field of every slot as UTF-8 bytes, column-major: ``cols[c, slot]`` is byte ``c``."""

    def __init__(self, cols: Bytes2D, long: dict[int, bytes] | None = None) -> None:
        self.cols = cols
        self.long = long or {}  # slot → whole value, for values longer than the width
        # How often each byte occurs, from a sample of rows: a search compares a term's rarest
        # byte first (counting every byte of a million rows cost a quarter of a second).
        counts = np.bincount(cols[:, :SAMPLE].reshape(-1), minlength=256).astype(np.int64)
        counts[0] = 0
        self.counts = counts

    @property
    def width(self) -> int:
        return int(self.cols.shape[0])

    @property
    def capacity(self) -> int:
        return int(self.cols.shape[1])

    @classmethod
    def build(cls, chunks: Sequence[tuple[Bytes2D, npt.NDArray[np.int64]]], capacity: int,
              width: int | None = None) -> Field:
        """From (row-major matrix, lengths) per chunk of rows, as :func:`rows_of` gives them."""
        lengths = np.concatenate([lens for _, lens in chunks]) if chunks else np.zeros(0, dtype=np.int64)
        if width is None:
            width = int(lengths.max()) if len(lengths) else 0
            if width > WIDE:
                width = min(max(WIDE, int(np.percentile(lengths, 99.9))), WIDEST)
        cols = np.zeros((width, capacity), dtype=np.uint8)
        long: dict[int, bytes] = {}
        start = 0
        for matrix, lens in chunks:
            n, w = matrix.shape
            take = min(w, width)
            cols[:take, start:start + n] = matrix[:, :take].T
            for i in np.flatnonzero(lens > width):
                long[start + int(i)] = matrix[i, :lens[i]].tobytes()
            start += n
        return cls(cols, long)

    def value(self, slot: int) -> bytes:
        whole = self.long.get(slot)
        if whole is not None:
            return whole
        return self.cols[:, slot].tobytes().rstrip(b"\0")

    def set(self, slot: int, value: bytes) -> None:
        self.long.pop(slot, None)
        column = self.cols[:, slot]
        column[:] = 0
        head = value[:self.width]
        column[:len(head)] = np.frombuffer(head, dtype=np.uint8)
        if len(value) > self.width:
            self.long[slot] = value  # the head stays in the columns too, as the builder leaves it

    def grow(self, capacity: int) -> None:
        cols = np.zeros((self.width, capacity), dtype=np.uint8)
        cols[:, :self.capacity] = self.cols
        self.cols = cols

    # -- search ---------------------------------------------------------------------------

    def contains(self, term: bytes, n: int, rows: Slots | None = None) -> Bools:
        """Which of the first ``n`` slots (or of ``rows``) hold ``term`` somewhere in this field.

        For each place the term could start, the term's bytes are compared a column at a time,
        the rarest byte first, stopping as soon as no row is left: a few dozen whole-column
        comparisons for a common term, a handful for a rare one."""
        size = n if rows is None else len(rows)
        found = np.zeros(size, dtype=np.bool_)
        counts = self.counts
        k, width = len(term), self.width
        if k <= width:
            gathered: dict[int, npt.NDArray[np.uint8]] = {}

            def column(c: int) -> npt.NDArray[np.uint8]:
                if rows is None:
                    return self.cols[c, :n]
                col = gathered.get(c)
                if col is None:
                    col = gathered[c] = self.cols[c][rows]
                return col

            rarest_first = sorted(range(k), key=lambda j: counts[term[j]])
            hit = np.empty(size, dtype=np.bool_)
            same = np.empty(size, dtype=np.bool_)
            for start in range(width - k + 1):
                np.equal(column(start + rarest_first[0]), term[rarest_first[0]], out=hit)
                alive = bool(hit.any())
                for j in rarest_first[1:]:
                    if not alive:
                        break
                    np.equal(column(start + j), term[j], out=same)
                    np.logical_and(hit, same, out=hit)
                    alive = bool(hit.any())
                if alive:
                    np.logical_or(found, hit, out=found)
        if self.long:
            if rows is None:
                for slot, value in self.long.items():
                    if slot < n and term in value:
                        found[slot] = True
            else:
                wanted = {slot for slot, value in self.long.items() if term in value}
                if wanted:
                    found |= np.isin(rows, np.fromiter(wanted, dtype=np.int64, count=len(wanted)))
        return found

    # -- sort -------------------------------------------------------------------------------

    def digits(self, n: int) -> list[npt.NDArray[np.uint16]]:
        """The first ``n`` slots' bytes as 16-bit radix digits, most significant first."""
        out: list[npt.NDArray[np.uint16]] = []
        cols = self.cols
        for c in range(0, self.width, 2):
            digit = cols[c, :n].astype(np.uint16)
            digit <<= 8
            if c + 1 < self.width:
                digit |= cols[c + 1, :n]
            out.append(digit)
        return out


def memory(parts: Iterable[object]) -> int:
    """Bytes held by these arrays, fields and strings (for the log and the bench)."""
    total = 0
    for part in parts:
        if isinstance(part, np.ndarray):
            total += part.nbytes
        elif isinstance(part, Field):
            total += part.cols.nbytes + sum(len(v) for v in part.long.values())
        elif isinstance(part, Strings):
            total += part.nbytes
    return total
