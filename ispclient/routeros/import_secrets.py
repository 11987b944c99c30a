"""Turn a router's existing PPP secrets into new clients: the preview, row by row.

Pure over plain data: the store side (``store/router_sync.py``) reads the router, says which
usernames and Client IDs are taken, creates the clients once the user confirms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ispclient.domain import validation
from ispclient.domain.errors import ValidationError
from ispclient.routeros.provision import PPPOE, secret_disabled
from ispclient.routeros.wire import Row

# A comment we wrote ("C00012 Amina Wanjiru") or the ISP's own ("1043 - Amina").
_CODE_AND_NAME = re.compile(r"^\s*([A-Za-z]{0,5}[0-9][A-Za-z0-9._/\-]*)\s*[-:,]?\s+(.+)$")


@dataclass(frozen=True)
class ImportRow:
    username: str
    client_code: str
    name: str
    profile: str
    disabled: bool
    comment: str
    password: str = field(default="", repr=False)
    package_id: int | None = None
    package_name: str = ""
    problems: tuple[str, ...] = ()  # what the user should know, in plain words
    blocking: bool = False  # a problem that stops this row from being imported

    @property
    def importable(self) -> bool:
        return not self.blocking


@dataclass(frozen=True)
class Known:
    """What the database already holds, for the preview's checks."""

    usernames_here: frozenset[str]  # live clients on this router
    deleted_here: Mapping[str, str]  # username → "C00012 Name" of a deleted client on this router
    elsewhere: Mapping[str, str]  # username → "C00012 Name on North POP"
    folded_here: Mapping[str, str]  # lower-case username → "C00012 Name" of a live client on this router
    codes: frozenset[str]  # Client IDs in use
    packages: Mapping[str, tuple[int, str]]  # PPP profile → (package id, name), active packages


def split_comment(comment: str) -> tuple[str, str]:
    """("C00012", "Amina Wanjiru") from "C00012 Amina Wanjiru"; ("", comment) otherwise."""
    m = _CODE_AND_NAME.match(comment)
    if m:
        return m.group(1), m.group(2).strip()
    return "", comment.strip()


def preview(rows: Iterable[Row], known: Known, next_code: Callable[[set[str]], str]) -> list[ImportRow]:
    """One row per secret not yet a client on this router, with its problems.

    ``next_code(taken)`` suggests a Client ID not in ``taken``.
    """
    out: list[ImportRow] = []
    taken = set(known.codes)
    for row in sorted(rows, key=lambda r: r.get("name", "").lower()):
        username = row.get("name", "")
        if username in known.usernames_here:
            continue
        problems: list[str] = []
        blocking = False
        try:
            validation.pppoe_username(username)
        except ValidationError as e:
            problems.append(f"Invalid username: {'; '.join(e.errors.values())}")
            blocking = True
        twin = known.folded_here.get(username.lower())
        if twin is not None:
            problems.append(f"Duplicate: {twin} has the same username in other capitals; PPPoE dialers "
                            "and staff would mix them up. Rename one on the router first.")
            blocking = True
        if username in known.elsewhere:
            problems.append(f"Same username as {known.elsewhere[username]}.")
        if username in known.deleted_here:
            problems.append(f"A deleted client, {known.deleted_here[username]}, had this username; "
                            "consider restoring them instead.")
        comment = row.get("comment", "")
        code, name = split_comment(comment)
        try:
            name = validation.name(name or username)
        except ValidationError:
            name = username
        if code:
            try:
                code = validation.client_code(code)
            except ValidationError:
                code = ""
        if code and code in taken:
            problems.append(f"Client ID {code} from the comment is taken; a new one is suggested.")
            code = ""
        code = code or next_code(taken)
        taken.add(code)
        profile = row.get("profile", "")
        package = known.packages.get(profile)
        if package is None:
            problems.append(f"No package uses PPP profile “{profile}”; create one before selling a subscription.")
        password = row.get("password", "")
        if not password:
            problems.append("The router did not send a password (the API user needs the “sensitive” policy); "
                            "the router keeps its own.")
        if row.get("service", PPPOE) not in (PPPOE, "any"):
            problems.append(f"Service is “{row.get('service')}”, not PPPoE.")
        out.append(ImportRow(username, code, name, profile, secret_disabled(row), comment, password,
                             package[0] if package else None, package[1] if package else "",
                             tuple(problems), blocking))
    return out
