"""Command line, logging and wiring. ``ispclient`` and ``python -m ispclient`` start here."""

from __future__ import annotations

import argparse
import io
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ispclient import APP_NAME, __version__, cli_db, paths

log = logging.getLogger(__name__)

# Below this, opening the database (its write-ahead log, the start-up checks) can fail half-way.
MIN_FREE_BYTES = 20 * 1024 * 1024
KEY_COMMANDS = {"key": "key status|export FILE|import FILE|new: the PPPoE password key",
                "db-connect": "db-connect URL: use a PostgreSQL database from now on (asks for its password)",
                "db-disconnect": "use this PC's own SQLite database again"}

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=APP_NAME, description="Front-desk client manager for ISPs on MikroTik.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--data-dir", metavar="DIR", help="keep database, logs, backups and settings in DIR")
    p.add_argument("--db-url", metavar="URL",
                   help="use this database (e.g. postgresql://user@host/db; the password comes from the keyring)")
    p.add_argument("--demo", action="store_true", help="open demo data with simulated routers")
    p.add_argument("--run-or-demo", action="store_true",
                   help="open your data if it has clients, otherwise the demo (what `make run` does)")
    p.add_argument("--smoke-test", action="store_true", help="start, self-check and exit (for builds)")
    p.add_argument("--screenshot", metavar="DIR", help="with --demo: render the main screens to PNG files")
    from ispclient.dataio import cli as cli_transfer

    commands = {"enforce": "run auto-renew, expiry and the router queue once (for Task Scheduler)",
                **cli_db.COMMANDS, **KEY_COMMANDS, **cli_transfer.COMMANDS}
    p.add_argument("command", nargs="?", choices=list(commands),
                   help="; ".join(f"{name}: {text}" for name, text in commands.items()))
    p.add_argument("argument", nargs="?", metavar="FILE|URL|ACTION",
                   help="restore: the backup file; copy-to-postgres, db-connect: the PostgreSQL URL; "
                        "key: status, export, import or new")
    p.add_argument("file", nargs="?", metavar="FILE", help="key export / key import: the key file")
    return p


def database_url(db_url: str | None, app_paths: paths.AppPaths) -> str | None:
    """``--db-url``, else the PostgreSQL database saved for this PC (a URL without its password:
    the store takes that from the keyring), else None (the SQLite file)."""
    from ispclient.store import dbconfig

    if db_url:
        return db_url
    saved = dbconfig.load(app_paths.config_dir)
    return saved.url() if saved is not None else None


def _announce_database(db_url: str | None) -> None:
    """Log which database is used — always masked — and warn about a password on the command line."""
    from ispclient.store import dbconfig

    if not db_url or not dbconfig.is_postgres_url(db_url):
        return
    _config, password = dbconfig.parse_url(db_url)
    if password is not None:
        from ispclient.logging_setup import has_console, register_secret

        register_secret(password)
        log.warning(dbconfig.PASSWORD_IN_URL_WARNING)
        if has_console():
            print(f"warning: {dbconfig.PASSWORD_IN_URL_WARNING}", file=sys.stderr)
    log.info("database: %s", dbconfig.mask(db_url))


def disk_full_problem(app_paths: paths.AppPaths) -> str | None:
    """The start-up's plain-words refusal when the data folder's disk is (nearly) full."""
    import shutil

    try:
        free = shutil.disk_usage(app_paths.data_dir).free
    except OSError:
        return None
    if free >= MIN_FREE_BYTES:
        return None
    return (f"The disk is full ({free // 1024:,} KB free where the data is, {app_paths.data_dir}): ispclient "
            "can't start safely. Free some space (empty the recycle bin, delete old files), then start ispclient "
            "again.")


def _output_never_fails() -> None:
    """What the commands print must never fail for a character: on Windows, output sent to a pipe
    or a file is in the ANSI code page (cp1252), where the backup's note (Settings → ...) raised
    after the backup was made, and the windowed build then waited on the bootloader's error box
    (found by `make windows-check`). Characters it lacks are printed as "?". surrogateescape (what
    Python picks under a C locale, and under Wine) fails on them just the same."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", "surrogateescape"):
            stream.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    from ispclient.dataio import cli as cli_transfer

    _output_never_fails()
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    transfer = cli_transfer.split(argv)  # import/export parse their own options
    args = parser.parse_args(transfer.before + [transfer.command] if transfer else argv)
    if args.screenshot and not args.demo:
        parser.error("--screenshot works with --demo (it renders the demo data)")
    if args.command is None:  # the window's reads run on several threads (before any connection opens)
        from ispclient.store import sqlite_library

        sqlite_library.without_memory_statistics()
    demo = args.demo
    if args.run_or_demo and not demo:
        own = paths.resolve(args.data_dir)
        demo = not has_clients(own, database_url(args.db_url, own))
    app_paths = (paths.under(Path(args.data_dir) / "demo") if args.data_dir else paths.demo()) if demo \
        else paths.resolve(args.data_dir)
    try:
        app_paths.ensure()
    except OSError as e:
        return _start_refused(f"The data folder {app_paths.data_dir} can't be used: {e.strerror or e}.",
                              gui=args.command is None)
    full = disk_full_problem(app_paths) if args.command != "db-disconnect" else None
    try:
        log_file = _configure_logging(app_paths, nightly=args.command == "enforce")
    except OSError:  # a new log file can't even be made on a full disk
        if not full:
            raise
        return _start_refused(full, gui=args.command is None and not args.smoke_test)
    if full:
        return _start_refused(full, gui=args.command is None and not args.smoke_test)
    db_url = None if demo else database_url(args.db_url, app_paths)
    _announce_database(db_url)
    if args.command == "enforce":
        return enforce(app_paths, db_url)
    if transfer is not None:
        return cli_transfer.run(transfer, app_paths, db_url)
    if args.command in cli_db.COMMANDS:
        return cli_db.run(args.command, args.argument, app_paths, db_url)
    if args.command in KEY_COMMANDS:
        from ispclient import cli_key

        if args.command == "key":
            return cli_key.run_key(args.argument, args.file, app_paths, db_url)
        if args.command == "db-connect":
            return cli_key.run_connect(args.argument, app_paths)
        return cli_key.run_disconnect(app_paths)
    if args.smoke_test:
        return smoke_test(app_paths, db_url, demo=demo)
    from ispclient import platform_check

    missing = platform_check.problem()
    if missing:  # one plain line instead of Qt's abort (and its core dump); the log has it too
        logging.getLogger("ispclient.startup").debug("start-up refused: %s", missing)
        print(missing, file=sys.stderr)
        return 1
    from ispclient.ui.crash import install_excepthook

    install_excepthook(log_file)
    from ispclient.store.errors import DatabaseUnavailable, DiskFull
    from ispclient.ui.application import run

    try:
        return run(app_paths, db_url=db_url, demo=demo,
                   screenshot_dir=Path(args.screenshot) if args.screenshot else None)
    except (DatabaseUnavailable, DiskFull) as e:  # at start-up: say it, no crash box
        return _start_refused(str(e), gui=True)


def _start_refused(message: str, *, gui: bool) -> int:
    """Explain why the app can't start and exit cleanly (exit code 1)."""
    log.error("start-up refused: %s", message)
    from ispclient.logging_setup import has_console

    if has_console():
        print(message, file=sys.stderr)
    if gui:
        try:
            from ispclient.ui import msgbox
            from ispclient.ui.application import create_app

            create_app()
            msgbox.error(None, "ispclient can't start", message)
        except Exception:  # noqa: BLE001 - the message is in the log and on the console
            log.exception("could not show the start-up message")
    return 1


def _configure_logging(app_paths: paths.AppPaths, *, nightly: bool = False) -> Path:
    try:
        from ispclient.logging_setup import configure_logging
    except ImportError:  # pragma: no cover - older checkouts
        logging.basicConfig(level=logging.INFO)
        return app_paths.log_file
    # The nightly `enforce` (Task Scheduler, 02:00) can run while the window is open: its own
    # file, because Windows cannot rotate a log file another process holds open. It prints its
    # own one-line summary, so no console logging there.
    return configure_logging(app_paths.log_dir, console=not nightly,
                             filename="enforce.log" if nightly else app_paths.log_file.name)


def has_clients(app_paths: paths.AppPaths, db_url: str | None = None) -> bool:
    """Whether the user's own data has any client yet (without creating a database)."""
    if db_url is None and not app_paths.database.exists():
        return False
    from ispclient.store import close_database, open_database
    from ispclient.store.models import Client

    try:
        open_database(db_url or app_paths.database, app_paths.backup_dir)
        return bool(Client.select().where(Client.deleted_at.is_null()).exists())
    except Exception:  # a damaged or unreachable database: let the real start say why
        from ispclient.store.dbconfig import mask

        log.exception("Could not look into %s", mask(db_url) if db_url else app_paths.database)
        return True
    finally:
        close_database()


def enforce(app_paths: paths.AppPaths, db_url: str | None) -> int:
    from ispclient.enforce import run_headless

    return run_headless(app_paths, db_url)


def smoke_test(app_paths: paths.AppPaths, db_url: str | None = None, *, demo: bool = False) -> int:
    """Start, build the main window, round-trip a keyring value, write to the data dir, exit 0.

    The result is printed and logged (the windowed Windows build has no stdout: the workflow reads
    the log). The frozen Windows app must use Credential Manager and round-trip through it;
    elsewhere a machine with no OS keyring at all (a build box without a Secret Service) is
    reported, not failed.
    """
    import keyring
    from keyring.errors import KeyringError

    backend = keyring.get_keyring()
    backend_name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    on_windows = sys.platform == "win32"
    if on_windows and getattr(sys, "frozen", False) and backend_name != WINDOWS_KEYRING:
        return _smoke_failed(f"keyring backend {backend_name}, not Windows Credential Manager")
    key = f"{APP_NAME}-smoke-test"
    try:
        keyring.set_password(key, "probe", "ok")
        round_trip = keyring.get_password(key, "probe")
        keyring.delete_password(key, "probe")
    except KeyringError as error:  # NoKeyringError (the "fail" backend), InitError (no collection)
        if on_windows:
            return _smoke_failed(f"keyring backend {backend_name}: {error!r}")
        keyring_note = f"keyring backend {backend_name}: NO OS KEYRING HERE, round-trip skipped ({error})"
    except Exception as error:  # noqa: BLE001 - any other backend failure fails, with its name
        return _smoke_failed(f"keyring backend {backend_name}: {error!r}")
    else:
        if round_trip != "ok":
            return _smoke_failed("the keyring did not return the value just saved")
        keyring_note = f"keyring backend {backend_name}, round-trip ok"
    probe = app_paths.data_dir / "smoke-test.txt"
    probe.write_text("ok", encoding="utf-8")
    probe.unlink()
    from ispclient.domain import clock
    from ispclient.domain.errors import ValidationError

    try:  # Windows has no system time zones: the build must carry the tzdata package
        clock.zone("Africa/Nairobi")
    except ValidationError:
        return _smoke_failed("no time zone database (on Windows the build needs the tzdata package)")

    from ispclient.ui import msgbox
    from ispclient.ui.application import start_session

    # A failed background op (say a module the build left out) opens the error box, which would
    # wait for a click no one makes: record it and fail instead.
    errors: list[str] = []
    msgbox.error = lambda _parent, title, text: errors.append(f"{title}: {text}")  # type: ignore[assignment]
    session = start_session(app_paths, db_url=db_url, demo=demo)
    try:
        window = session.window
        window.show()
        # The list loads in the background: wait for it, or the count says 0 for a full database.
        from ispclient.ui.screenshots import wait_until

        if not wait_until(lambda: window.list_ready or bool(errors), 60.0):
            return _smoke_failed("the client list did not load within 60 s")
        if errors:
            return _smoke_failed(f"a background task failed ({errors[0]}; the log has the traceback)")
        shown = window.model.counts().total
        icon_ok = not session.app.windowIcon().pixmap(32, 32).isNull()
        window.close()
    finally:
        session.close()
    if not icon_ok:
        return _smoke_failed("the app icon did not render (resources/ or Qt's svg plugins missing)")
    message = f"smoke test ok: {keyring_note}, main window built ({shown} clients)"
    log.info(message)
    print(message)  # a no-op in the windowed build, where sys.stdout is None
    return 0


WINDOWS_KEYRING = "keyring.backends.Windows.WinVaultKeyring"


def _smoke_failed(reason: str) -> int:
    log.error("smoke test failed: %s", reason)
    print(f"smoke test failed: {reason}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
