"""Command line, logging and wiring. ``ispclient`` and ``python -m ispclient`` start here."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ispclient import APP_NAME, __version__, paths

log = logging.getLogger(__name__)

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=APP_NAME, description="Front-desk client manager for ISPs on MikroTik.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--data-dir", metavar="DIR", help="keep database, logs, backups and settings in DIR")
    p.add_argument("--db-url", metavar="URL", help="use this database (e.g. postgresql://user@host/db)")
    p.add_argument("--demo", action="store_true", help="open demo data with simulated routers")
    p.add_argument("--run-or-demo", action="store_true",
                   help="open your data if it has clients, otherwise the demo (what `make run` does)")
    p.add_argument("--smoke-test", action="store_true", help="start, self-check and exit (for builds)")
    p.add_argument("--screenshot", metavar="DIR", help="with --demo: render the main screens to PNG files")
    p.add_argument("command", nargs="?", choices=["enforce"], help="enforce: run auto-renew and expiry")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.screenshot and not args.demo:
        parser.error("--screenshot works with --demo (it renders the demo data)")
    demo = args.demo
    if args.run_or_demo and not demo:
        demo = not has_clients(paths.resolve(args.data_dir), args.db_url)
    app_paths = (paths.under(Path(args.data_dir) / "demo") if args.data_dir else paths.demo()) if demo \
        else paths.resolve(args.data_dir)
    app_paths.ensure()
    log_file = _configure_logging(app_paths)
    if args.command == "enforce":
        return enforce(app_paths, args.db_url)
    if args.smoke_test:
        return smoke_test(app_paths)
    from ispclient.ui.crash import install_excepthook

    install_excepthook(log_file)
    from ispclient.ui.application import run

    return run(app_paths, db_url=None if demo else args.db_url, demo=demo,
               screenshot_dir=Path(args.screenshot) if args.screenshot else None)


def _configure_logging(app_paths: paths.AppPaths) -> Path:
    try:
        from ispclient.logging_setup import configure_logging
    except ImportError:  # pragma: no cover - older checkouts
        logging.basicConfig(level=logging.INFO)
        return app_paths.log_file
    return configure_logging(app_paths.log_dir, console=True)


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
        log.exception("Could not look into %s", db_url or app_paths.database)
        return True
    finally:
        close_database()


def enforce(app_paths: paths.AppPaths, db_url: str | None) -> int:
    try:
        from ispclient.enforce import run_headless
    except ImportError:
        print("ispclient enforce is not available yet in this version.", file=sys.stderr)
        return EXIT_USAGE
    return run_headless(app_paths, db_url)


def smoke_test(app_paths: paths.AppPaths) -> int:
    """Start, build the main window, round-trip a keyring value, write to the data dir, exit 0."""
    import keyring

    key = f"{APP_NAME}-smoke-test"
    try:
        keyring.set_password(key, "probe", "ok")
        round_trip = keyring.get_password(key, "probe")
        keyring.delete_password(key, "probe")
    except Exception as error:  # noqa: BLE001 - any backend failure fails the smoke test, with its name
        print(f"smoke test failed: keyring {type(keyring.get_keyring()).__name__}: {error!r}", file=sys.stderr)
        return 1
    if round_trip != "ok":
        print("smoke test failed: the keyring did not return the value just saved", file=sys.stderr)
        return 1
    probe = app_paths.data_dir / "smoke-test.txt"
    probe.write_text("ok", encoding="utf-8")
    probe.unlink()

    from ispclient.ui.application import start_session

    session = start_session(app_paths)
    try:
        window = session.window
        window.show()
        session.app.processEvents()
        shown = window.model.rowCount()
        window.close()
    finally:
        session.close()
    print(f"smoke test ok: keyring backend {type(keyring.get_keyring()).__module__}, "
          f"main window built ({shown} clients)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
