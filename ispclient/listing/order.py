"""Sorting whole columns: least-significant-digit radix sorts on 16-bit digits.

numpy's stable sort of 8- and 16-bit integers is a radix sort (~10 ms per million rows) and, like
every numpy sort of plain numbers, runs without the GIL: a background sort never freezes the
window. A text is its UTF-8 bytes (byte order is code point order) taken two at a time; a number
is split into 16-bit digits after its minimum is taken away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ispclient.listing.columns import Field, Slots

Digits = Sequence[npt.NDArray[np.unsignedinteger[Any]]]


def radix(order: Slots, digits: Digits) -> Slots:
    """``order`` stably re-sorted by ``digits`` (arrays indexed by slot, most significant first):
    rows equal on every digit keep their order in ``order``."""
    for digit in reversed(digits):
        keys = digit[order]
        if len(keys) and keys.min() == keys.max():
            continue  # the same for every row: changes nothing
        order = order[np.argsort(keys, kind="stable")]
    return order


def int_digits(values: npt.NDArray[np.integer[Any]]) -> list[npt.NDArray[np.uint16]]:
    """16-bit digits of integers (any sign), most significant first."""
    if not len(values):
        return []
    low = int(values.min())
    shifted = (values.astype(np.int64) - np.int64(low)).astype(np.uint64) if low else values.astype(np.uint64)
    bits = int(shifted.max()).bit_length()
    return [((shifted >> np.uint64(16 * i)) & np.uint64(0xFFFF)).astype(np.uint16)
            for i in reversed(range(max(1, (bits + 15) // 16)))]


def rank_of(order: Slots, size: int) -> npt.NDArray[np.int64]:
    """Each slot's position in ``order`` (-1 for slots not in it)."""
    rank = np.full(size, -1, dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank


def fix_long_values(order: Slots, field: Field, full: Callable[[int], bytes]) -> Slots:
    """Rows whose value is longer than the field's width were sorted by its first ``width`` bytes:
    re-sort each run of rows sharing such a head by the whole value (stably: ties keep the order
    they had). Long values are rare (a 99.9th-percentile width), so this touches few runs."""
    if not field.long:
        return order
    width = field.width
    position = rank_of(order, field.capacity)
    heads = {field.cols[:, slot].tobytes() for slot in field.long if position[slot] >= 0}
    if not heads:
        return order
    order = order.copy()
    done: set[int] = set()
    for slot in list(field.long):
        at = int(position[slot])
        if at < 0 or at in done:
            continue
        head = field.cols[:, slot].tobytes()
        first = at
        while first > 0 and field.cols[:, order[first - 1]].tobytes() == head:
            first -= 1
        last = at
        while last + 1 < len(order) and field.cols[:, order[last + 1]].tobytes() == head:
            last += 1
        run = order[first:last + 1].tolist()
        run.sort(key=lambda s: full(s)[width:])  # Python's sort is stable: ties keep their order
        order[first:last + 1] = run
        done.update(range(first, last + 1))
    return order
