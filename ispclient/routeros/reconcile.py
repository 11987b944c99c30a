"""Compare a router's PPP secrets with what the database expects of them.

Pure comparison over plain data: the store side (``store/router_sync.py``) supplies what it
expects and offers the fixes — push the database's state to the router, remove a secret nobody
owns, import it as a client, or detach a client whose secret is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ispclient.routeros.provision import read_secrets, secret_disabled
from ispclient.routeros.session import open_session
from ispclient.routeros.target import RouterTarget
from ispclient.routeros.wire import Row


class DiffKind(StrEnum):
    MISSING = "missing"  # the database expects a secret the router doesn't have
    EXTRA = "extra"  # the router has a secret no client should have
    DISABLED = "disabled"  # enabled on one side, disabled on the other
    PROFILE = "profile"  # a different PPP profile

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    DiffKind.MISSING: "Missing on the router",
    DiffKind.EXTRA: "Only on the router",
    DiffKind.DISABLED: "Enabled/disabled differs",
    DiffKind.PROFILE: "Profile differs",
}


@dataclass(frozen=True)
class Expected:
    """One client's secret as the database wants it (``None``: either way is fine)."""

    username: str
    client_id: int
    client_label: str  # "C00012 Amina Wanjiru"
    present: bool = True
    disabled: bool | None = None
    profile: str | None = None


@dataclass(frozen=True)
class Difference:
    kind: DiffKind
    username: str
    client_id: int | None  # None: no client owns this secret
    client_label: str = ""
    router_value: str = ""
    expected_value: str = ""

    @property
    def detail(self) -> str:
        who = f" ({self.client_label})" if self.client_label else ""
        if self.kind is DiffKind.MISSING:
            return f"“{self.username}”{who} has no secret on the router."
        if self.kind is DiffKind.EXTRA:
            if self.client_id is None:
                return f"“{self.username}” is on the router but belongs to no client."
            return f"“{self.username}”{who} should have been removed from the router."
        return (f"“{self.username}”{who}: the router has {self.router_value}, the database expects "
                f"{self.expected_value}.")


def compare(router_rows: Iterable[Row], expected: Iterable[Expected]) -> list[Difference]:
    """Every difference, the database's clients first (in the given order), then extra secrets."""
    on_router = {row.get("name", ""): row for row in router_rows}
    out: list[Difference] = []
    seen: set[str] = set()
    for e in expected:
        seen.add(e.username)
        row = on_router.get(e.username)
        if row is None:
            if e.present:
                out.append(Difference(DiffKind.MISSING, e.username, e.client_id, e.client_label, "",
                                      "a secret"))
            continue
        if not e.present:
            out.append(Difference(DiffKind.EXTRA, e.username, e.client_id, e.client_label, "a secret", "none"))
            continue
        disabled = secret_disabled(row)
        if e.disabled is not None and disabled != e.disabled:
            out.append(Difference(DiffKind.DISABLED, e.username, e.client_id, e.client_label,
                                  _onoff(disabled), _onoff(e.disabled)))
        if e.profile is not None and row.get("profile", "") != e.profile:
            out.append(Difference(DiffKind.PROFILE, e.username, e.client_id, e.client_label,
                                  f"profile “{row.get('profile', '')}”", f"profile “{e.profile}”"))
    for name in on_router:
        if name not in seen:
            out.append(Difference(DiffKind.EXTRA, name, None, "", "a secret", "none"))
    return out


def _onoff(disabled: bool) -> str:
    return "disabled" if disabled else "enabled"


def fetch_secrets(target: RouterTarget) -> list[Row]:
    """All of the router's PPP secrets (one print). Raises RouterError."""
    with open_session(target) as session:
        return read_secrets(session)
