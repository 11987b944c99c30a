"""The simulated router's configuration and PPP sessions, shared by all API connections."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime

from .query import Query
from .tables import CommandError, Row, Table
from .values import format_datetime, format_duration, parse_duration

SERVICES = frozenset({"any", "async", "l2tp", "ovpn", "pppoe", "pptp", "sstp"})

SECRET_WRITABLE = frozenset(
    {
        "name",
        "password",
        "profile",
        "service",
        "caller-id",
        "comment",
        "disabled",
        "local-address",
        "remote-address",
        "routes",
        "ipv6-routes",
        "limit-bytes-in",
        "limit-bytes-out",
    }
)
PROFILE_WRITABLE = frozenset(
    {
        "name",
        "local-address",
        "remote-address",
        "rate-limit",
        "only-one",
        "change-tcp-mss",
        "use-encryption",
        "address-list",
        "dns-server",
        "comment",
        "bridge",
        "incoming-filter",
        "outgoing-filter",
        "on-up",
        "on-down",
    }
)
OPTIONAL = frozenset({"comment", "local-address", "remote-address", "rate-limit", "dns-server"})


def secret_defaults() -> Row:
    return {
        "name": "",
        "service": "any",
        "caller-id": "",
        "password": "",
        "profile": "default",
        "routes": "",
        "ipv6-routes": "",
        "limit-bytes-in": "0",
        "limit-bytes-out": "0",
        "disabled": "false",
    }


class RouterState:
    """Tables plus the rules RouterOS applies between them. Every method takes ``lock``."""

    def __init__(self, identity: str = "MikroTik", version: str = "7.16.2 (stable)") -> None:
        self.lock = threading.RLock()
        self.identity = identity
        self.version = version
        self.clock: Callable[[], datetime] = datetime.now
        self.started = time.monotonic()
        # A session's uptime grows as on a real router: when it started (by the monotonic clock).
        self.session_started: dict[str, float] = {}
        # False: uptimes stay as the sessions were given (the benchmark's routers), and a print of
        # a whole table is answered from the last such reply's bytes until a row of it changes — a
        # simulated router of 200,000 secrets and 100,000 sessions then answers about as fast as
        # a real one, instead of spending seconds of the machine's CPU (Python) on every refresh.
        self.sessions_age = True
        self._whole_prints: dict[str, tuple[Hashable, bytes]] = {}  # by table
        self.secrets = Table("secret", SECRET_WRITABLE, frozenset({"disabled"}), OPTIONAL)
        self.profiles = Table("profile", PROFILE_WRITABLE, frozenset(), OPTIONAL)
        self.active = Table("active", frozenset(), id_base=0x80000001)
        self._session_counter = 0
        self.profiles.insert(
            {
                "name": "default",
                "use-encryption": "default",
                "only-one": "default",
                "change-tcp-mss": "yes",
                "default": "true",
            },
            "*0",
        )
        self.profiles.insert(
            {
                "name": "default-encryption",
                "use-encryption": "yes",
                "only-one": "default",
                "change-tcp-mss": "yes",
                "default": "true",
            },
            "*FFFFFFFE",
        )

    def table(self, menu: str) -> Table | None:
        return {"/ppp/secret": self.secrets, "/ppp/active": self.active, "/ppp/profile": self.profiles}.get(menu)

    def now_text(self) -> str:
        return format_datetime(self.clock(), self.version)

    # -- generic commands -------------------------------------------------------------

    def print_rows(self, table: Table, query: Query, proplist: Sequence[str] | None) -> list[list[tuple[str, str]]]:
        with self.lock:
            rows = table.select(query)
            if table is self.active and (proplist is None or "uptime" in proplist):
                rows = [self._aged(row) for row in rows]
            if proplist is None:
                return [list(row.items()) for row in rows]
            return [[(key, row[key]) for key in proplist if key in row] for row in rows]

    def count(self, table: Table, query: Query) -> int:
        with self.lock:
            return len(table.select(query))

    def add(self, table: Table, props: Mapping[str, str]) -> str:
        with self.lock:
            if table is self.active:
                raise CommandError("no such command")
            clean = table.check_props(props)
            name = clean.get("name", "")
            if not name:
                raise CommandError(f"failure: {table.item} must have a name", 1)
            self._check_unique(table, name)
            if table is self.secrets:
                self._check_secret(clean)
                return table.insert({**secret_defaults(), **clean})
            return table.insert(
                {"name": name, "only-one": "default", "change-tcp-mss": "default", "use-encryption": "default", **clean}
            )

    def set(self, table: Table, ids: str, props: Mapping[str, str]) -> None:
        with self.lock:
            if table is self.active:
                raise CommandError("no such command")
            row_ids = table.resolve(ids)
            clean = table.check_props(props)
            if "name" in clean:
                if not clean["name"]:
                    raise CommandError(f"failure: {table.item} must have a name", 1)
                existing = table.by_name.get(clean["name"])
                if len(row_ids) > 1 or (existing is not None and existing not in row_ids):
                    raise CommandError(f"failure: {table.item} with the same name already exists")
            if table is self.secrets:
                self._check_secret(clean)
            if table is self.profiles and "name" in clean:
                self._rename_profile(row_ids, clean["name"])
            for row_id in row_ids:
                table.update(row_id, clean)

    def remove(self, table: Table, ids: str) -> None:
        with self.lock:
            row_ids = table.resolve(ids)
            if table is self.profiles:
                self._check_profiles_removable(row_ids)
            for row_id in row_ids:
                row = table.delete(row_id)
                if table is self.active:
                    self._logged_out(row)

    # -- sessions ---------------------------------------------------------------------

    def connect(self, name: str, address: str, caller_id: str, uptime: str, service: str | None) -> str:
        with self.lock:
            secret_id = self.secrets.by_name.get(name)
            if secret_id is None:
                raise KeyError(f"no PPP secret named {name!r}")
            if name in self.active.by_name:
                raise ValueError(f"{name!r} already has an active session")
            secret = self.secrets.rows[secret_id]
            if service is None:
                service = secret["service"] if secret["service"] != "any" else "pppoe"
            self._session_counter += 1
            row_id = self.active.insert(
                {
                    "name": name,
                    "service": service,
                    "caller-id": caller_id,
                    "address": address,
                    "uptime": uptime,
                    "encoding": "",
                    "session-id": f"0x{0x81000000 + self._session_counter:X}",
                    "limit-bytes-in": "0",
                    "limit-bytes-out": "0",
                    "radius": "false",
                }
            )
            self.session_started[row_id] = time.monotonic() - parse_duration(uptime)
            return row_id

    def whole_print(self, table: Table, key: Hashable, encode: Callable[[], bytes]) -> bytes:
        """The reply to a print of every row of ``table``, made by ``encode`` or (sessions not
        ageing, the table unchanged since, the same ``key``) the last one's again."""
        if self.sessions_age:
            return encode()
        with self.lock:
            key = (table.item, table.generation, key)
            cached = self._whole_prints.get(table.item)
            if cached is None or cached[0] != key:
                cached = self._whole_prints[table.item] = (key, encode())
            return cached[1]

    def _aged(self, row: Row) -> Row:
        if not self.sessions_age:
            return row
        started = self.session_started.get(row.get(".id", ""))
        if started is None:
            return row
        return {**row, "uptime": format_duration(int(time.monotonic() - started))}

    def disconnect(self, name: str) -> bool:
        with self.lock:
            row_id = self.active.by_name.get(name)
            if row_id is None:
                return False
            self._logged_out(self.active.delete(row_id))
            return True

    def _logged_out(self, session: Row) -> None:
        self.session_started.pop(session.get(".id", ""), None)
        secret_id = self.secrets.by_name.get(session["name"])
        if secret_id is not None:
            self.secrets.update(
                secret_id, {"last-logged-out": self.now_text(), "last-caller-id": session.get("caller-id", "")}
            )

    # -- /system --------------------------------------------------------------------

    def resource(self) -> Row:
        uptime = int(time.monotonic() - self.started)
        with self.lock:
            load = (len(self.active.rows) // 1000 + uptime) % 7 + 1
            return {
                "uptime": format_duration(uptime),
                "version": self.version,
                "build-time": "2024-11-26 12:00:00",
                "factory-software": "7.1",
                "free-memory": str(812_000_000 - 2_000 * len(self.active.rows)),
                "total-memory": "1073741824",
                "cpu": "ARM64",
                "cpu-count": "4",
                "cpu-frequency": "1400",
                "cpu-load": str(load),
                "free-hdd-space": "900000000",
                "total-hdd-space": "1073741824",
                "architecture-name": "arm64",
                "board-name": "RB5009UG+S+",
                "platform": "MikroTik",
            }

    # -- rules --------------------------------------------------------------------------

    def _check_unique(self, table: Table, name: str) -> None:
        if name in table.by_name:
            raise CommandError(f"failure: {table.item} with the same name already exists")

    def _check_secret(self, props: Mapping[str, str]) -> None:
        if "service" in props and props["service"] not in SERVICES:
            raise CommandError("input does not match any value of service", 1)
        if "profile" in props and props["profile"] not in self.profiles.by_name:
            raise CommandError("input does not match any value of profile", 1)

    def _rename_profile(self, row_ids: Sequence[str], new_name: str) -> None:
        for row_id in row_ids:
            old = self.profiles.rows[row_id]["name"]
            for secret in self.secrets.rows.values():
                if secret["profile"] == old:
                    secret["profile"] = new_name
                    self.secrets.generation += 1

    def _check_profiles_removable(self, row_ids: Sequence[str]) -> None:
        for row_id in row_ids:
            row = self.profiles.rows[row_id]
            if row.get("default") == "true":
                raise CommandError("failure: can not remove default profile")
            if any(s["profile"] == row["name"] for s in self.secrets.rows.values()):
                raise CommandError("failure: profile is in use")
