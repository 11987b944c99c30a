"""Per-row rules done for a whole chunk of rows at once: the phone's searchable forms and the
natural key of Client IDs. Each handles the usual shapes with whole-array operations and hands
the rest (rare) to the plain per-row rule, so both always agree with it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from ispclient.listing.columns import Bytes2D
from ispclient.listing.search import _country_code_length, encode

Lengths = npt.NDArray[np.int64]
Matrix = tuple[Bytes2D, Lengths]

_ZERO, _NINE, _PLUS = ord("0"), ord("9"), ord("+")
NATURAL_DIGITS = 12  # as keys.natural pads


def _country_code_lengths() -> npt.NDArray[np.int64]:
    """Country code length for each three-digit start of a number (000–999)."""
    return np.array([_country_code_length(f"{head:03d}") for head in range(1000)], dtype=np.int64)


_CC = _country_code_lengths()


def _replace_rows(matrix: Bytes2D, lengths: Lengths, rows: list[int], values: list[bytes]) -> Matrix:
    """``matrix`` with these rows replaced (widened if a value needs it)."""
    if not rows:
        return matrix, lengths
    width = max([matrix.shape[1], *map(len, values)])
    if width > matrix.shape[1]:
        wider = np.zeros((matrix.shape[0], width), dtype=np.uint8)
        wider[:, :matrix.shape[1]] = matrix
        matrix = wider
    lengths = lengths.copy()
    for row, value in zip(rows, values, strict=True):
        matrix[row] = 0
        matrix[row, :len(value)] = np.frombuffer(value, dtype=np.uint8)
        lengths[row] = len(value)
    return matrix, lengths


def _trim(matrix: Bytes2D, lengths: Lengths) -> Matrix:
    width = int(lengths.max()) if len(lengths) else 0
    return np.ascontiguousarray(matrix[:, :width]), lengths


def phone_forms(raw: Bytes2D, lengths: Lengths, fallback: Callable[[str], tuple[str, str]]) -> tuple[Matrix, Matrix]:
    """The digits and the national form (``search.phone_forms``) of each row of E.164 phones."""
    n, width = raw.shape
    columns = np.arange(width)[None, :]
    inside = columns < lengths[:, None]
    is_digit = (raw >= _ZERO) & (raw <= _NINE)
    # +, then only digits, at least three of them (the country code table's start)
    e164 = (raw[:, 0] == _PLUS) if width else np.zeros(n, dtype=np.bool_)
    e164 &= (is_digit[:, 1:] | ~inside[:, 1:]).all(axis=1) & (lengths >= 4)
    empty = lengths == 0
    every = bool(e164.all())  # the usual: every phone in E.164 (then no row is picked out)
    if every:
        digits = np.ascontiguousarray(raw[:, 1:])
    else:
        digits = np.zeros((n, max(width - 1, 0)), dtype=np.uint8)
        digits[e164] = raw[e164, 1:]
    digit_count = np.where(e164, lengths - 1, 0)
    national = np.zeros((n, max(width, 1)), dtype=np.uint8)
    national_count = np.zeros(n, dtype=np.int64)
    if e164.any():
        rows = np.arange(n) if every else np.flatnonzero(e164)
        head = digits[rows, :3].astype(np.int64) - _ZERO
        cc = _CC[head[:, 0] * 100 + head[:, 1] * 10 + head[:, 2]]
        # The national form: a trunk 0, then the digits after the country code (1-3 of them).
        for size in (1, 2, 3):
            mine = rows[cc == size]
            if len(mine):
                national[mine, 0] = _ZERO
                national[mine, 1:width - size] = digits[mine, size:]
        national_count[rows] = np.where(cc > 0, digit_count[rows] - cc + 1, 0)
    other = np.flatnonzero(~e164 & ~empty).tolist()
    if other:
        forms = [fallback(raw[r, :lengths[r]].tobytes().decode("utf-8", "surrogatepass")) for r in other]
        digits, digit_count = _replace_rows(digits, digit_count, other, [encode(f[0]) for f in forms])
        national, national_count = _replace_rows(national, national_count, other, [encode(f[1]) for f in forms])
    return _trim(digits, digit_count), _trim(national, national_count)


def natural_keys(folded: Bytes2D, lengths: Lengths, fallback: Callable[[str], str]) -> Matrix:
    """``keys.natural`` of each row of folded Client IDs: letters then digits (the usual Client ID)
    become the letters and the digits padded to twelve; anything else goes to ``fallback``."""
    n, width = folded.shape
    columns = np.arange(width)[None, :]
    inside = columns < lengths[:, None]
    is_digit = (folded >= _ZERO) & (folded <= _NINE)
    is_letter = (folded >= ord("a")) & (folded <= ord("z"))
    tail = np.logical_and.accumulate((is_digit | ~inside)[:, ::-1], axis=1)[:, ::-1]
    first_digit = width - tail.sum(axis=1)  # where the trailing run of digits starts
    usual = (first_digit < lengths) & (is_letter | (columns >= first_digit[:, None])).all(axis=1)
    pad = np.where(usual, np.maximum(0, NATURAL_DIGITS - (lengths - first_digit)), 0)
    out_width = width + NATURAL_DIGITS
    out_columns = np.arange(out_width)[None, :]
    source = np.where(out_columns < first_digit[:, None], out_columns, out_columns - pad[:, None])
    padded = np.pad(folded, ((0, 0), (0, NATURAL_DIGITS + 1)))
    out = np.take_along_axis(padded, np.clip(source, 0, padded.shape[1] - 1), axis=1)
    zeros = (out_columns >= first_digit[:, None]) & (out_columns < (first_digit + pad)[:, None])
    out[zeros] = _ZERO
    out_lengths = np.where(usual, lengths + pad, 0)
    out[out_columns >= out_lengths[:, None]] = 0
    other = np.flatnonzero(~usual & (lengths > 0)).tolist()
    if other:
        keys = [encode(fallback(folded[r, :lengths[r]].tobytes().decode("utf-8", "surrogatepass"))) for r in other]
        out, out_lengths = _replace_rows(out, out_lengths, other, keys)
    return _trim(out, out_lengths)
