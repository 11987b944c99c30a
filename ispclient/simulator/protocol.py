"""One API connection's conversation: login, command dispatch, reply sentences.

Independent of sockets: ``Session.handle(words)`` returns the encoded reply.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .codec import encode_sentence
from .query import QueryError, compile_query
from .state import RouterState
from .tables import CommandError, Table

LOGIN_FAILED = "invalid user name or password (6)"
MENU_VERBS = {
    "/ppp/secret": {"print", "getall", "add", "set", "remove"},
    "/ppp/profile": {"print", "getall", "add", "set", "remove"},
    "/ppp/active": {"print", "getall", "remove"},
}


@dataclass
class Reply:
    data: bytes
    is_print: bool = False
    close: bool = False


@dataclass
class Command:
    path: str
    args: dict[str, str]
    queries: list[str]
    tag: str | None
    proplist: list[str] | None


def parse_command(words: Sequence[str]) -> Command:
    args: dict[str, str] = {}
    queries: list[str] = []
    tag: str | None = None
    proplist: list[str] | None = None
    for word in words[1:]:
        if word.startswith("="):
            key, _, value = word[1:].partition("=")
            if key == ".proplist":
                proplist = [p for p in value.split(",") if p]
            else:
                args[key] = value
        elif word.startswith("?"):
            queries.append(word)
        elif word.startswith(".tag="):
            tag = word[5:]
        elif word.startswith(".proplist="):
            proplist = [p for p in word[10:].split(",") if p]
        # Other words are ignored, as RouterOS does with unknown API attributes.
    return Command(words[0], args, queries, tag, proplist)


class Session:
    def __init__(
        self, state: RouterState, users: Mapping[str, str], encoding: str, legacy_login: bool, send_empty: bool
    ) -> None:
        self.state = state
        self.users = users
        self.encoding = encoding
        self.legacy_login = legacy_login
        self.send_empty = send_empty
        self.refuse_login = False
        self.user: str | None = None
        self._challenge: bytes | None = None

    # -- encoding -----------------------------------------------------------------------

    def sentence(self, reply: str, attrs: Sequence[tuple[str, str]] = (), tag: str | None = None) -> bytes:
        enc = self.encoding
        words = [reply.encode(enc)]
        words += [f"={key}={value}".encode(enc, "replace") for key, value in attrs]
        if tag is not None:
            words.append(f".tag={tag}".encode(enc, "replace"))
        return encode_sentence(words)

    def done(self, tag: str | None, attrs: Sequence[tuple[str, str]] = ()) -> Reply:
        return Reply(self.sentence("!done", attrs, tag))

    def trap(self, error: CommandError, tag: str | None) -> Reply:
        attrs = [("message", error.message)]
        if error.category is not None:
            attrs.append(("category", str(error.category)))
        return Reply(self.sentence("!trap", attrs, tag) + self.sentence("!done", (), tag))

    # -- dispatch -----------------------------------------------------------------------

    def handle(self, words: Sequence[str]) -> Reply:
        cmd = parse_command(words)
        if cmd.path == "/quit":
            return Reply(encode_sentence([b"!fatal", b"session terminated on request"]), close=True)
        if cmd.path == "/login":
            return self._login(cmd)
        try:
            if self.user is None:
                raise CommandError("not logged in")
            return self._dispatch(cmd)
        except CommandError as error:
            return self.trap(error, cmd.tag)

    def _dispatch(self, cmd: Command) -> Reply:
        if cmd.path == "/cancel":
            return self.done(cmd.tag)
        if cmd.path in ("/system/identity/print", "/system/identity/getall"):
            return self._print_single({"name": self.state.identity}, cmd)
        if cmd.path == "/system/identity/set":
            if set(cmd.args) - {"name"}:
                raise CommandError(f"unknown parameter {next(iter(set(cmd.args) - {'name'}))}", 1)
            self.state.identity = cmd.args.get("name", self.state.identity)
            return self.done(cmd.tag)
        if cmd.path in ("/system/resource/print", "/system/resource/getall"):
            return self._print_single(self.state.resource(), cmd)
        menu, _, verb = cmd.path.rpartition("/")
        table = self.state.table(menu)
        if table is None:
            raise CommandError("no such command prefix")
        if verb not in MENU_VERBS[menu]:
            raise CommandError("no such command")
        if verb in ("print", "getall"):
            return self._print(table, cmd)
        if verb == "add":
            return self.done(cmd.tag, [("ret", self.state.add(table, cmd.args))])
        ids = cmd.args.pop(".id", None) or cmd.args.pop("numbers", None)
        if ids is None:
            raise CommandError("missing value(s) of argument(s) .id", 1)
        if verb == "set":
            self.state.set(table, ids, cmd.args)
        else:
            self.state.remove(table, ids)
        return self.done(cmd.tag)

    def _print(self, table: Table, cmd: Command) -> Reply:
        try:
            query = compile_query(cmd.queries, table.bool_props)
        except QueryError as error:
            raise CommandError(str(error)) from None
        if "count-only" in cmd.args:
            return Reply(self.done(cmd.tag, [("ret", str(self.state.count(table, query)))]).data, True)
        def encode() -> bytes:
            return self._encode_rows(self.state.print_rows(table, query, cmd.proplist), cmd.tag)

        if query.is_empty:
            key = (tuple(cmd.proplist) if cmd.proplist is not None else None, cmd.tag, self.encoding, self.send_empty)
            return Reply(self.state.whole_print(table, key, encode), is_print=True)
        return Reply(encode(), is_print=True)

    def _print_single(self, row: dict[str, str], cmd: Command) -> Reply:
        items = list(row.items())
        if cmd.proplist is not None:
            items = [(k, row[k]) for k in cmd.proplist if k in row]
        return Reply(self._encode_rows([items], cmd.tag), is_print=True)

    def _encode_rows(self, rows: list[list[tuple[str, str]]], tag: str | None) -> bytes:
        enc = self.encoding
        tail = [f".tag={tag}".encode(enc, "replace")] if tag is not None else []
        chunks: list[bytes] = []
        for items in rows:
            words = [b"!re"]
            words += [f"={key}={value}".encode(enc, "replace") for key, value in items]
            chunks.append(encode_sentence(words + tail))
        if not rows and self.send_empty:
            chunks.append(self.sentence("!empty", (), tag))
        chunks.append(self.sentence("!done", (), tag))
        return b"".join(chunks)

    # -- login --------------------------------------------------------------------------

    def _login(self, cmd: Command) -> Reply:
        name = cmd.args.get("name")
        if self.legacy_login:
            response = cmd.args.get("response")
            if name is None or response is None:
                # Pre-6.43 routers answer any other /login (even name+password) with a challenge.
                self._challenge = os.urandom(16)
                return self.done(cmd.tag, [("ret", self._challenge.hex())])
            ok = self._check_response(name, response)
        else:
            password = cmd.args.get("password")
            ok = name is not None and password is not None and self.users.get(name) == password
        if not ok or self.refuse_login:
            return self.trap(CommandError(LOGIN_FAILED), cmd.tag)
        self.user = name
        return self.done(cmd.tag)

    def _check_response(self, name: str, response: str) -> bool:
        password = self.users.get(name)
        if password is None or self._challenge is None:
            return False
        digest = hashlib.md5(b"\x00" + password.encode(self.encoding) + self._challenge, usedforsecurity=False)
        self._challenge = None
        return response.lower() == "00" + digest.hexdigest()
