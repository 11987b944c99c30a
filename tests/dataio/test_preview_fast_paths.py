"""The preview's shortcuts (dates and amounts parsed once per distinct cell, the quick phone
check, the marshal spool) give row for row what the plain checks give."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ispclient.dataio import cells, phones, prepare, sources
from ispclient.dataio.mapping import guess
from ispclient.dataio.prepare import Prepared, Verdict
from ispclient.dataio.spool import Spool
from ispclient.dataio.writers import write_table
from ispclient.domain import validation

from .conftest import Factory

HEADER = ["Full name", "Mobile", "Username", "Password", "Router", "Plan", "Expires on", "Balance", "Price"]
# Cells that repeat, cells that look alike but differ in type, and refused ones that repeat
# (each row must still get its own message).
ENDS: list[Any] = ["2026-02-01", "01/02/2026", "2026-02-01", "31/02/2026", "31/02/2026", "", "46054", 46054,
                   Decimal("46054.0"), date(2026, 2, 1), datetime(2026, 2, 1, 12, 30), "1 Feb 2026", "not a date",
                   "not a date", "2026-02-01"]
MONEY: list[Any] = ["1200", "1,200", "1200", "-500", "(300)", "", "abc", "abc", 1200, Decimal("1200.0"),
                    Decimal("1200.5"), "12.345", "0", "1200", True]
PHONES = ["+254712000001", "0712000002", "+254712000001", "+2540712000003", "+25471200000", "", "+254 712 000004",
          "+254712000001", "712000005", "+1 650 253 0000", "+16502530000", "x", "+254712000006", "+254712000006",
          "+442071838750"]


def _rows() -> list[list[Any]]:
    return [[f"Client {i}", PHONES[i], f"user{i:03d}", f"pw{i}secret", "Main router",
             "Home 10" if i % 4 else "1500", ENDS[i], MONEY[i], MONEY[-1 - i]] for i in range(len(ENDS))]


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every shortcut off: the checks as the dialogs make them."""
    monkeypatch.setattr(prepare._Checker, "parse_date",
                        lambda self, raw: cells.parse_date(raw, "ends_on", "end date", self.p.day_first))
    monkeypatch.setattr(prepare._Checker, "parse_money",
                        lambda self, raw, field, signed=False: cells.parse_money(
                            raw, field, self.k.currency, self.k.decimal_separator, signed=signed))
    monkeypatch.setattr(phones, "phone", validation.phone)


def _all(path: Path) -> list[Prepared]:
    source = sources.open_source(path)
    preview = prepare.preview(source, guess(source.header))
    try:
        # The password token is encrypted with a fresh IV each time: compared as "there or not".
        return [r._replace(password_token=bool(r.password_token)) for r in preview]  # type: ignore[arg-type]
    finally:
        preview.close()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_shortcuts_give_what_the_plain_checks_give(make: Factory, tmp_path: Path, kind: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    make.server()
    make.package()
    rows = _rows()
    if kind == "csv":
        rows = [[c.isoformat() if isinstance(c, date) else str(c) for c in r] for r in rows]
    path = tmp_path / f"clients.{kind}"
    write_table(path, kind, HEADER, rows)
    quick = _all(path)
    with monkeypatch.context() as m:
        _plain(m)
        plain = _all(path)
    assert quick == plain
    verdicts = {r.verdict for r in quick}
    assert {Verdict.NEW, Verdict.ERROR} <= verdicts  # the table really has both kinds of rows
    refused = [r for r in quick if "ends_on" in r.errors]
    assert len(refused) >= 4 and all(r.errors["ends_on"] for r in refused)  # each refused row has its message
    assert any(r.ends_on == date(2026, 2, 1) for r in quick) and any(r.owed_minor for r in quick)


def test_the_spool_keeps_rows_as_they_were_checked() -> None:
    spool = Spool()
    try:
        row = Prepared(7, int(Verdict.UPDATE), "Updates C00001 Amina.", {"phone": "bad"}, ("Amina", "", "ö"), 3, 2,
                       {"name": "Amina", "server_id": 1}, "token", None, "Home 10", date(2026, 2, 1), True, -1500)
        spool.append(prepare._pack(row), row.verdict)
        spool.append(prepare._pack(row._replace(ends_on=None, line=8)), row.verdict)
        assert prepare._unpack(spool.get(0)) == row
        assert [prepare._unpack(r) for r in spool.many(0, 1)] == [row, row._replace(ends_on=None, line=8)]
        with pytest.raises(ValueError):  # only plain values: nothing is half written
            spool.append((1, Decimal("1.5")), 0)
        assert len(spool) == 2 and prepare._unpack(spool.get(1)).line == 8
        spool.append(prepare._pack(row._replace(line=9)), row.verdict)
        assert [r[0] for r in spool] == [7, 8, 9]
    finally:
        spool.close()
