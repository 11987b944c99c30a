"""The cash-up at the end of a shift: what the till should hold, per payment method — no database.

A shift's *till entries* are the money events taken in it: payments (money in, positive amounts)
and refunds (money out, negative amounts). A voided entry was a mistake: it moved no money, so
it counts for nothing and is listed apart. Expected per method = payments − refunds; the cash
expected in the drawer adds the opening float. The cashier counts the cash; the difference
(counted − expected: positive over, negative short) is recorded with the closed shift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

CASH = "Cash"
PAYMENT = "payment"
REFUND = "refund"


@dataclass(frozen=True)
class TillEntry:
    id: int
    kind: str  # PAYMENT or REFUND; other kinds (credit moved between subscriptions) move no money
    method: str
    amount_minor: int  # + into the till, − out of it
    at: datetime
    voided: bool = False
    receipt: str = ""
    client: str = ""  # "Amina Wanjiru (C00012)"
    reference: str = ""  # the mobile-money or bank reference typed with it (matched against the statement)
    taken_by: str = ""
    void_reason: str = ""


@dataclass(frozen=True)
class MethodTotal:
    method: str
    payments_minor: int = 0
    payment_count: int = 0
    refunds_minor: int = 0  # as a positive amount
    refund_count: int = 0
    voided_minor: int = 0  # the amounts of voided entries, positive; not in the expected total
    voided_count: int = 0

    @property
    def expected_minor(self) -> int:
        return self.payments_minor - self.refunds_minor


@dataclass(frozen=True)
class CashUp:
    methods: tuple[MethodTotal, ...]
    opening_float_minor: int = 0
    voided: tuple[TillEntry, ...] = field(default=())

    def method(self, name: str) -> MethodTotal:
        key = CASH if is_cash(name) else name.strip()
        return next((m for m in self.methods if m.method == key), MethodTotal(key))

    @property
    def expected_cash_minor(self) -> int:
        """What the drawer should hold: the float plus the cash taken less the cash given back."""
        return self.opening_float_minor + self.method(CASH).expected_minor

    @property
    def expected_total_minor(self) -> int:
        return sum(m.expected_minor for m in self.methods)

    def difference(self, counted_cash_minor: int) -> int:
        """Counted − expected: positive means over, negative short."""
        return counted_cash_minor - self.expected_cash_minor


def is_cash(method: str) -> bool:
    return method.strip().lower() == CASH.lower()


def _order(method: str, known: Sequence[str]) -> tuple[int, int, str]:
    if is_cash(method):
        return (0, 0, "")
    lowered = [k.lower() for k in known]
    if method.lower() in lowered:
        return (1, lowered.index(method.lower()), "")
    return (2, 0, method.lower())


def cash_up(entries: Iterable[TillEntry], opening_float_minor: int = 0,
            known_methods: Sequence[str] = ()) -> CashUp:
    """Totals per method (cash first, then in ``known_methods`` order, then by name)."""
    sums: dict[str, dict[str, int]] = {}
    voided: list[TillEntry] = []
    for e in entries:
        if e.kind not in (PAYMENT, REFUND):
            continue
        method = CASH if is_cash(e.method) else e.method.strip()
        s = sums.setdefault(method, {"p": 0, "pn": 0, "r": 0, "rn": 0, "v": 0, "vn": 0})
        if e.voided:
            s["v"] += abs(e.amount_minor)
            s["vn"] += 1
            voided.append(e)
        elif e.kind == PAYMENT:
            s["p"] += e.amount_minor
            s["pn"] += 1
        else:
            s["r"] += -e.amount_minor
            s["rn"] += 1
    methods = tuple(MethodTotal(m, s["p"], s["pn"], s["r"], s["rn"], s["v"], s["vn"])
                    for m, s in sorted(sums.items(), key=lambda kv: _order(kv[0], known_methods)))
    return CashUp(methods, opening_float_minor, tuple(sorted(voided, key=lambda e: (e.at, e.id))))


def describe_difference(difference_minor: int, formatted: str) -> str:
    """“Balanced”, “Over by KES 50.00”, “Short by KES 120.00”."""
    if difference_minor == 0:
        return "Balanced"
    return f"{'Over' if difference_minor > 0 else 'Short'} by {formatted}"
