"""The quick sheet reader gives what openpyxl's own gives, cell for cell."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from ispclient.dataio import xlsx_rows
from ispclient.dataio.writers import Money, write_table


def _both(path: Path) -> tuple[list[list[object]], list[list[object]]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        assert xlsx_rows.usable(sheet)
        theirs = [list(r) for r in sheet.iter_rows(values_only=True)]
        ours_by_row = dict(xlsx_rows.rows(sheet))
    finally:
        book.close()
    width = max((len(r) for r in theirs), default=0)
    ours = [ours_by_row.get(i + 1, []) for i in range(len(theirs))]
    ours = [r + [None] * (width - len(r)) for r in ours]
    theirs = [r + [None] * (width - len(r)) for r in theirs]  # a sheet without <dimension> isn't padded
    return theirs, ours


def test_openpyxl_written_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone", "When", "Price", "Paid", "Note"])
    sheet.append(["Amina", 254712345678, datetime(2026, 2, 1), 1500.5, True, "=not shown"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["Zoë Müller", "0712", date(2026, 3, 1), 12, False, None])
    sheet["G6"] = "far away"
    sheet["A7"] = "=1+1"  # a formula without a cached value: None for both readers
    sheet["B8"] = time(10, 30)
    path = tmp_path / "o.xlsx"
    book.save(path)
    theirs, ours = _both(path)
    assert ours == theirs


def test_our_own_export(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    write_table(path, "xlsx", ["A", "B", "C", "D"], [["=x", date(2026, 1, 2), Money(150050), True],
                                                      ["x&y<z>", datetime(2026, 1, 2, 3, 4), Money(-5), None]])
    theirs, ours = _both(path)
    assert ours == theirs


@pytest.mark.parametrize("rows", [50, 2000])
def test_many_rows_and_shared_strings(tmp_path: Path, rows: int) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for i in range(rows):
        sheet.append([f"name {i % 7}", i, i / 3, f"text {i}", date(2026, 1, 1 + i % 28)])
    path = tmp_path / "m.xlsx"
    book.save(path)
    theirs, ours = _both(path)
    assert ours == theirs
