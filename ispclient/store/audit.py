"""The audit trail: who changed what, when, with the values before and after."""

from __future__ import annotations

import dataclasses
import functools
import getpass
import json
import socket
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import peewee

from ispclient.store import access
from ispclient.store import changes as _changes
from ispclient.store.models import AuditEvent

_actor: str | None = None

# Never written to the trail, whatever a caller passes in.
_SECRET_KEYS = frozenset(
    {"password", "pppoe_password", "pppoe_password_enc", "router_desired", "secret", "api_password",
     "password_hash", "current_password", "new_password"}
)


def set_actor(name: str | None) -> None:
    """The name work outside a staff sign-in is recorded under; by default the OS user name."""
    global _actor
    _actor = name


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some locked-down PCs
        return "unknown"


@functools.cache
def pc_name() -> str:
    try:
        return socket.gethostname()[:100]
    except OSError:
        return ""


def current_actor() -> str:
    """The signed-in staff member's name; else (the system, the command line) the OS user."""
    return access.actor_name() or _actor or os_user()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, peewee.Model):
        return value.get_id()
    return value


def snapshot(obj: object, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of a model row or dataclass as plain JSON-able values, secrets left out."""
    if isinstance(obj, peewee.Model):
        items = {f.name: getattr(obj, f.column_name if isinstance(f, peewee.ForeignKeyField) else f.name)
                 for f in obj._meta.sorted_fields}  # type: ignore[attr-defined]
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = dataclasses.asdict(obj)
    elif isinstance(obj, Mapping):
        items = dict(obj)
    else:
        raise TypeError(f"can't snapshot {type(obj).__name__}")
    return {k: _plain(v) for k, v in items.items() if k not in _SECRET_KEYS and k not in exclude}


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, so the trail reads as what was edited."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def record(
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    client_id: int | None = None,
    summary: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Write one event; call inside the transaction of the change it describes. The event also
    tells the work being tracked what changed (:mod:`ispclient.store.changes`)."""
    _changes.note_audit(action, client_id)
    return AuditEvent.create(
        actor=actor or current_actor(),
        staff_id=access.staff_id(),
        os_user=os_user()[:100],
        pc_name=pc_name(),
        action=action,
        entity=entity,
        entity_id=entity_id,
        client_id=client_id,
        summary=summary,
        before=json.dumps({k: v for k, v in (before or {}).items() if k not in _SECRET_KEYS},
                          ensure_ascii=False, default=str),
        after=json.dumps({k: v for k, v in (after or {}).items() if k not in _SECRET_KEYS},
                         ensure_ascii=False, default=str),
    )
