"""Make one PPP secret on a router match a desired state, idempotently.

:func:`apply_state` reads the secret first and sends only what differs, so applying the same
state twice sends nothing the second time. Every write it sends (add/set/remove) is appended to
the caller's ``sent`` list — also when a later command fails — so the caller can audit exactly
what reached the router. Passwords never appear in that list.

Session drops: RouterOS applies a secret's profile and disabled flag only at the next login,
so a live ``/ppp/active`` session is removed when the secret is (or stays) disabled, when its
profile changed, and when it is removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ispclient.domain.connection import UnknownReason
from ispclient.routeros.errors import RouterError
from ispclient.routeros.limits import WHOLE_TABLE
from ispclient.routeros.session import RouterSession
from ispclient.routeros.wire import Row

SECRET_PROPS = (".id", "name", "password", "profile", "service", "comment", "disabled")
PPPOE = "pppoe"
_TRUE = ("true", "yes")
# Reasons that mean "the router can't be reached or used now": retry later, unchanged.
UNAVAILABLE = frozenset({
    UnknownReason.UNREACHABLE, UnknownReason.TIMED_OUT, UnknownReason.CONNECTION_DROPPED,
    UnknownReason.TLS_REJECTED, UnknownReason.LOGIN_REFUSED, UnknownReason.NO_CREDENTIALS,
})


@dataclass(frozen=True)
class SecretState:
    """What one PPP secret should look like. ``None`` fields are left as the router has them;
    a secret created with ``disabled=None`` starts disabled (no service without a subscription)."""

    name: str
    present: bool = True
    password: str | None = field(default=None, repr=False)  # None: keep the router's
    profile: str | None = None
    disabled: bool | None = None
    comment: str | None = None


@dataclass(frozen=True)
class SentCommand:
    """One write sent to a router, as the audit trail shows it (no password)."""

    command: str  # "/ppp/secret/set"
    words: tuple[str, ...]  # "name=amina", "disabled=yes", "password=(set)"
    ok: bool
    error: str = ""

    def text(self) -> str:
        return " ".join((self.command, *self.words))


class SecretRefused(RouterError):
    """We refuse to send a change (e.g. a new secret without a password); not a router failure."""

    def __init__(self, detail: str) -> None:
        super().__init__(UnknownReason.PROTOCOL_ERROR, detail)


def fit_text(text: str, encoding: str) -> str:
    """``text`` as the router will store it: characters its encoding lacks become '?'.

    A cp1252 router can't hold "王小明"; "???" in a comment beats refusing the whole secret.
    """
    return text.encode(encoding, "replace").decode(encoding)


def is_unavailable(error: RouterError) -> bool:
    return error.reason in UNAVAILABLE


def apply_state(session: RouterSession, state: SecretState, sent: list[SentCommand]) -> bool:
    """Make the router match ``state``; True if anything was sent. Raises RouterError."""
    secrets = session.print("/ppp/secret", SECRET_PROPS, name=state.name)
    if not state.present:
        changed = False
        for row in secrets:
            _send(session, sent, "/ppp/secret/remove", [(".id", row[".id"])], shown=[("name", state.name)])
            changed = True
        return drop_sessions(session, state.name, sent) or changed
    encoding = session.target.encoding
    comment = fit_text(state.comment, encoding) if state.comment is not None else None
    if not secrets:
        if not state.password:
            raise SecretRefused(f"No PPPoE password is stored for “{state.name}”, so its secret can't be "
                                "created. Set a password in the client's Edit window.")
        words = [("name", state.name), ("password", state.password), ("service", PPPOE)]
        if state.profile is not None:
            words.append(("profile", state.profile))
        if comment:
            words.append(("comment", comment))
        words.append(("disabled", "yes" if state.disabled is not False else "no"))
        _send(session, sent, "/ppp/secret/add", words)
        return True
    row = secrets[0]
    changes: list[tuple[str, str]] = []
    if state.password and row.get("password") != state.password:
        changes.append(("password", state.password))
    if row.get("service", "") != PPPOE:
        changes.append(("service", PPPOE))
    profile_changed = state.profile is not None and row.get("profile", "") != state.profile
    if profile_changed:
        changes.append(("profile", state.profile or ""))
    if comment is not None and row.get("comment", "") != comment:
        changes.append(("comment", comment))
    was_disabled = row.get("disabled", "") in _TRUE
    if state.disabled is not None and was_disabled != state.disabled:
        changes.append(("disabled", "yes" if state.disabled else "no"))
    if changes:
        _send(session, sent, "/ppp/secret/set", [(".id", row[".id"]), *changes], shown=[("name", state.name)])
    now_disabled = state.disabled if state.disabled is not None else was_disabled
    dropped = drop_sessions(session, state.name, sent) if (now_disabled or profile_changed) else False
    return bool(changes) or dropped


def drop_sessions(session: RouterSession, name: str, sent: list[SentCommand]) -> bool:
    """Remove ``name``'s live sessions (they reconnect with the secret as it is now); True if any."""
    active = session.print("/ppp/active", (".id", "name"), name=name)
    for row in active:
        _send(session, sent, "/ppp/active/remove", [(".id", row[".id"])], shown=[("name", name)])
    return bool(active)


def _send(session: RouterSession, sent: list[SentCommand], command: str, words: list[tuple[str, str]],
          shown: list[tuple[str, str]] | None = None) -> None:
    visible = tuple(f"{k}={'(set)' if k == 'password' else v}" for k, v in [*(shown or []), *words])
    try:
        session.command(command, [f"={k}={v}" for k, v in words])
    except RouterError as error:
        sent.append(SentCommand(command, visible, False, error.detail))
        raise
    sent.append(SentCommand(command, visible, True))


def read_secrets(session: RouterSession) -> list[Row]:
    """Every PPP secret with the properties reconcile and import compare."""
    return session.print("/ppp/secret", SECRET_PROPS, limits=WHOLE_TABLE)


def secret_disabled(row: Row) -> bool:
    return row.get("disabled", "") in _TRUE
