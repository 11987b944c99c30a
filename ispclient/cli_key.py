"""``ispclient key …``: the PPPoE-password key and the shared database's password (no Qt).

    ispclient key status               does this PC have the key the database's passwords need?
    ispclient key export FILE          write the key to FILE, protected by a passphrase you type
    ispclient key import FILE          read a key exported on another PC (asks for its passphrase)
    ispclient key new                  the key is lost on every PC: start a new one
    ispclient db-connect URL           use a PostgreSQL database from now on (asks for its password)
    ispclient db-disconnect            back to this PC's own SQLite file

Passphrases and passwords are typed at a prompt (or given on standard input by a script), never
on the command line, where every process list would show them. Exit codes: 0 done, 1 refused or
failed, 2 misuse.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TextIO

from ispclient import store
from ispclient.domain.errors import ValidationError
from ispclient.paths import AppPaths
from ispclient.store import dbconfig, secrets
from ispclient.store.errors import DatabaseUnavailable, DiskFull
from ispclient.store.schema import SchemaError

ACTIONS = ("status", "export", "import", "new")
NEW_KEY_CONFIRMATION = "NEW KEY"


def _say(text: str, out: TextIO | None = None) -> None:
    print(text, file=out or sys.stdout, flush=True)


def _fail(text: str) -> int:
    print(text, file=sys.stderr, flush=True)
    return 1


def ask_secret(prompt: str) -> str:
    """A passphrase or password: hidden at a terminal, one line of standard input otherwise."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    print(prompt, end="", file=sys.stderr, flush=True)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    print(file=sys.stderr)
    return line.rstrip("\r\n")


def _messages(error: ValidationError) -> str:
    return " ".join(error.errors.values())


def run_key(action: str | None, file: str | None, paths: AppPaths, db_url: str | None) -> int:
    if action not in ACTIONS:
        _fail(f"ispclient key {' | '.join(ACTIONS)} (export and import take a FILE).")
        return 2
    if action in ("export", "import") and not file:
        _fail(f"Which file? ispclient key {action} FILE")
        return 2
    try:
        store.open_database(db_url or paths.database, paths.backup_dir)
    except (DatabaseUnavailable, DiskFull, SchemaError) as e:
        return _fail(str(e))
    try:
        if action == "status":
            return _status()
        if action == "export":
            return _export(Path(file or ""))
        if action == "import":
            return _import(Path(file or ""))
        return _new()
    except ValidationError as e:
        return _fail(_messages(e))
    except (DatabaseUnavailable, DiskFull) as e:
        return _fail(str(e))
    finally:
        store.close_database()


def _status() -> int:
    status = secrets.key_status()
    _say(f"PPPoE password key: {status.value}.")
    if status in (secrets.KeyStatus.MISSING, secrets.KeyStatus.WRONG_KEY):
        _say(secrets.IMPORT_HINT)
    unknown = secrets.unknown_passwords()
    if unknown:
        _say(f"{len(unknown)} client(s) have an unknown PPPoE password (set a new one): "
             + ", ".join(u.client_code for u in unknown[:20]) + ("…" if len(unknown) > 20 else ""))
    return 0


def _export(path: Path) -> int:
    passphrase = ask_secret("Passphrase to protect the key file: ")
    secrets.check_passphrase(passphrase)
    if ask_secret("The same passphrase again: ") != passphrase:
        return _fail("The two passphrases differ; nothing was written.")
    secrets.export_key_file(path, passphrase)
    _say(f"The PPPoE password key is in {path}, protected by your passphrase. Carry the file and the "
         "passphrase separately; on the other PC run: ispclient key import FILE")
    return 0


def _import(path: Path) -> int:
    secrets.import_key_file(path, ask_secret("Passphrase of the key file: "))
    _say("The PPPoE password key is saved in this PC's keyring; the PPPoE passwords can be read here now.")
    return 0


def _new() -> int:
    status = secrets.key_status()
    if status is secrets.KeyStatus.PRESENT:
        return _fail("This PC has the key: nothing is lost. To use it on another PC: ispclient key export FILE")
    _say("Start a new PPPoE password key ONLY if no PC has the old one any more (check every front-desk PC "
         "with: ispclient key status). Every PPPoE password saved with the old key becomes unknown: the routers "
         "keep them, and each client needs a new password typed in to change it.")
    answer = ask_secret(f"Type {NEW_KEY_CONFIRMATION} to start a new key: ")
    if answer.strip() != NEW_KEY_CONFIRMATION:
        return _fail("Nothing was changed.")
    result = secrets.start_new_key()
    _say(f"A new key was started. {result.unknown} client(s) now have an unknown PPPoE password: "
         "ispclient key status lists them.")
    return 0


# --- the shared database --------------------------------------------------------------------------


def run_connect(url: str | None, paths: AppPaths) -> int:
    """Save a PostgreSQL database as this PC's data: settings in the data folder, the password in
    the keyring (asked for here), after a test connection."""
    if not url:
        _fail("Which database? ispclient db-connect postgresql://user@host:5432/dbname"
              "[?sslmode=verify-full&sslrootcert=CA-FILE]")
        return 2
    try:
        config, password = dbconfig.parse_url(url)
        config = dbconfig.validate(config)
    except ValidationError as e:
        return _fail(_messages(e))
    if password is not None:
        _say("(The password in the URL is used once and saved in the keyring; leave it out next time.)")
    else:
        password = ask_secret(f"Password of {config.label}: ")
    try:
        database = store.open_database(dbconfig.Target(postgres=config, password=password))
        from ispclient.store.schema import version

        found = version(database)
    except (DatabaseUnavailable, SchemaError) as e:
        return _fail(f"Not saved: {e}")
    finally:
        store.close_database()
    try:
        dbconfig.save_password(config, password)
    except ValidationError as e:
        return _fail(_messages(e))
    saved = dbconfig.save(paths.config_dir, config)
    _say(f"Connected to {config.url()} (schema {found}). This PC uses it from now on; the settings are in "
         f"{saved}, the password in the keyring.")
    return 0


def run_disconnect(paths: AppPaths) -> int:
    config = dbconfig.load(paths.config_dir)
    if config is None:
        _say(f"This PC already uses its own database ({paths.database}).")
        return 0
    dbconfig.forget_password(config)
    dbconfig.forget(paths.config_dir)
    _say(f"This PC no longer uses {config.url()}; it uses its own database ({paths.database}) again.")
    return 0
