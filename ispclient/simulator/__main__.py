"""``python -m ispclient.simulator``: run a fake MikroTik router until Ctrl+C / SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .server import FAULTS, RouterSim


def _user(text: str) -> tuple[str, str]:
    name, sep, password = text.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected NAME:PASSWORD")
    return name, password


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ispclient.simulator", description="MikroTik RouterOS API simulator (loopback only)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8728, help="0 picks a free port")
    parser.add_argument("--clients", type=int, default=0, help="create PPP secrets client00001…")
    parser.add_argument("--online-ratio", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--user",
        type=_user,
        action="append",
        metavar="NAME:PASSWORD",
        help="API user (repeatable); default admin with an empty password",
    )
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--encoding", choices=["utf-8", "cp1252"], default="utf-8")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--legacy-login", action="store_true", help="pre-6.43 challenge login only")
    parser.add_argument("--no-empty", action="store_true", help="no !empty before !done (RouterOS < 7.18)")
    parser.add_argument("--fault", choices=FAULTS)
    parser.add_argument("--identity", default="MikroTik")
    parser.add_argument("--version", default="7.16.2 (stable)", help="RouterOS version to report")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.tls_key and not args.tls_cert:
        build_parser().error("--tls-key needs --tls-cert")
    sim = RouterSim(
        host=args.host,
        port=args.port,
        users=dict(args.user) if args.user else None,
        encoding=args.encoding,
        latency_ms=args.latency_ms,
        fault=args.fault,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        legacy_login=args.legacy_login,
        send_empty=not args.no_empty,
        identity=args.identity,
        version=args.version,
    )
    if args.clients:
        sim.populate(args.clients, args.online_ratio, args.seed)
    finished = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        finished.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sim.start()
    try:
        print(f"listening on {sim.host}:{sim.port}", flush=True)
        print(
            f"{len(sim.secrets())} secrets, {len(sim.active())} active, users: {', '.join(sim.users)}"
            f"{', TLS' if args.tls_cert else ''}",
            flush=True,
        )
        while not finished.wait(0.5):  # a timed wait lets Windows deliver Ctrl+C
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
