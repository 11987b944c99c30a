"""Misbehaving routers against every path that talks to one: ``python -m bench.hostile``.

For each mode of :mod:`ispclient.simulator.hostile` and each path (Test connection, the
client-window check, a status refresh in-process and through the helper process, a
provisioning step, ``ispclient enforce``) a fresh child process makes the call against a
hostile router that this process serves on loopback. The child reports how long the call took,
how it ended and how far its resident memory grew above where it started (sampled every 10 ms).
A child is stopped after ``--cap-s`` and limited to ``--max-gb`` of address space, so a call
that hangs or grows without bound is reported as such instead of taking the machine down.

``--timeout`` is the routers' timeout setting (the issue measured with 2 s), ``--drip-s`` the
pause between two dripped bytes (1 s). Prints a table and ``@``-prefixed JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend

from bench import utf8_output

try:
    import resource  # the address-space cap of each child: POSIX only
except ImportError:  # Windows: the child runs uncapped (still killed after --cap-s)
    resource = None  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
PATHS = ("test", "client", "refresh", "refresh-helper", "provision", "enforce")
# The fake routers' API password: made per run (children inherit it), never a literal in the tree.
PASSWORD = os.environ.setdefault("ISPCLIENT_BENCH_ROUTER_PW", secrets.token_urlsafe(12))


def current_rss() -> int:
    # Windows by its platform, not by a failed open: under Wine /proc/self/statm opens too (Z:\ is /).
    if sys.platform != "win32":
        try:
            with open("/proc/self/statm", encoding="ascii") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:  # not Linux: the probe's portable reading
            pass
    from bench.load_probe import rss_mb  # Windows: the working set

    return int(rss_mb() * 2**20)


class PeakSampler:
    """Resident memory every 10 ms; ``growth`` is the peak above the level at start."""

    def __init__(self) -> None:
        self.start = current_rss()
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        ticks = 0
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, current_rss())
            ticks += 1
            if ticks % 50 == 0:  # for the parent, should this call never end
                print(f"~{(self.peak - self.start) / 2**20:.1f}", flush=True)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss())
        return self.peak - self.start


class _RouterKeyring(KeyringBackend):
    """The API password for every router; nothing else (the child never touches the OS keyring)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return PASSWORD if username.startswith("server-") else None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        pass


def child(mode: str, path: str, port: int, timeout: float, tls_ca: str | None) -> dict[str, Any]:
    """One call in this (child) process; what happened."""
    import keyring

    from ispclient.routeros.errors import RouterError
    from ispclient.routeros.status import RouterBatch, check_batch, check_one
    from ispclient.routeros.target import RouterTarget

    target = RouterTarget(1, "hostile", "127.0.0.1", port, tls=tls_ca is not None, ca_file=tls_ca,
                          password=PASSWORD, timeout=timeout)
    outcome: Any = None
    helper = None
    data_dir = None
    if path == "refresh-helper":
        from ispclient.routeros.offload import StatusHelper

        helper = StatusHelper()
    if path == "enforce":
        data_dir = _enforce_data(port, timeout, tls_ca)
        keyring.set_keyring(_RouterKeyring())
    sampler = PeakSampler()
    started = time.monotonic()
    try:
        if path == "test":
            from ispclient.routeros.session import test_connection

            outcome = test_connection(target)
        elif path == "client":
            outcome = check_one(RouterBatch(1, target, ("amina",)))
        elif path == "refresh":
            outcome = check_batch(RouterBatch(1, target, ("amina", "bob")))[(1, "amina")]
        elif path == "refresh-helper":
            assert helper is not None
            outcome = helper.submit(RouterBatch(1, target, ("amina", "bob"))).result()[(1, "amina")]
        elif path == "provision":
            from ispclient.routeros.provision import SecretState, apply_state
            from ispclient.routeros.session import open_session

            with open_session(target) as session:
                apply_state(session, SecretState("amina", disabled=True), [])
            outcome = "applied"
        elif path == "enforce":
            from ispclient import app

            assert data_dir is not None
            outcome = f"exit {app.main(['enforce', '--data-dir', data_dir])}"
    except RouterError as error:
        outcome = error
    except MemoryError:
        outcome = "MemoryError"
    elapsed = time.monotonic() - started
    growth = sampler.stop()
    if helper is not None:
        helper.close()
    reason = getattr(outcome, "reason", None)
    return {"mode": mode, "path": path, "elapsed_s": round(elapsed, 2), "rss_growth_mb": round(growth / 2**20, 1),
            "reason": str(reason.value) if reason is not None else "",
            "detail": str(getattr(outcome, "detail", outcome))[:160]}


def _enforce_data(port: int, timeout: float, tls_ca: str | None) -> str:
    """A data folder with one router (this hostile one) and one client whose secret is queued."""
    from dataclasses import replace

    from ispclient import paths, store
    from ispclient.store import catalog, clients, settings

    app_paths = paths.under(Path(tempfile.mkdtemp(prefix="hostile-enforce-"))).ensure()
    store.open_database(app_paths.database, app_paths.backup_dir)
    settings.save(replace(settings.load(), manage_secrets=True))
    server = catalog.create_server(catalog.ServerInput(name="hostile", host="127.0.0.1", port=port,
                                                       tls=tls_ca is not None, ca_file=tls_ca or "",
                                                       timeout_s=timeout))
    clients.create_client(clients.ClientInput(client_code="C00001", name="Amina", pppoe_username="amina",
                                              server_id=server.id))
    store.close_database()
    return str(app_paths.data_dir)


def run_one(mode: str, path: str, args: argparse.Namespace, tls_dir: Path) -> dict[str, Any]:
    import ssl

    from ispclient.simulator.hostile import TLS_HANDSHAKE_MODES, HostileRouter
    from ispclient.simulator.tls import make_test_ca

    tls_ca = None
    context = None
    if mode in TLS_HANDSHAKE_MODES or args.tls:
        ca_file, cert_file, key_file = make_test_ca(tls_dir / mode / path, hostname="127.0.0.1")
        tls_ca = str(ca_file)
        if mode == "tls-untrusted":
            _other_ca, cert_file, key_file = make_test_ca(tls_dir / mode / path / "other", hostname="127.0.0.1")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert_file), str(key_file))
    with HostileRouter(mode, tls_context=context, drip_s=args.drip_s) as router:  # type: ignore[arg-type]
        command = [sys.executable, "-m", "bench.hostile", "--child", mode, path, str(router.port),
                   str(args.timeout), tls_ca or "-", str(args.max_gb)]
        started = time.monotonic()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=args.cap_s,
                                  cwd=HERE.parent, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            grown = [float(line[1:]) for line in out.splitlines() if line.startswith("~")]
            return {"mode": mode, "path": path, "elapsed_s": round(time.monotonic() - started, 1),
                    "rss_growth_mb": grown[-1] if grown else None, "reason": "",
                    "detail": f"still running after {args.cap_s:g} s (killed)"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("@")]
    if not lines:
        return {"mode": mode, "path": path, "elapsed_s": round(time.monotonic() - started, 1), "rss_growth_mb": None,
                "reason": "", "detail": f"child failed: {done.stderr.strip().splitlines()[-1:]!r}"}
    return dict(json.loads(lines[-1][1:]))


def main(argv: list[str] | None = None) -> int:
    utf8_output()
    p = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__.split("\n\n")[0])
    p.add_argument("--modes", default="", help="comma-separated (default: all)")
    p.add_argument("--paths", default="", help=f"comma-separated of {','.join(PATHS)} (default: all)")
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--drip-s", type=float, default=1.0)
    p.add_argument("--cap-s", type=float, default=40.0)
    p.add_argument("--max-gb", type=float, default=3.0)
    p.add_argument("--tls", action="store_true", help="run every mode inside a TLS session")
    p.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        mode, path, port, timeout, tls_ca, max_gb = args.child
        limit = int(float(max_gb) * 2**30)
        if resource is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        result = child(mode, path, int(port), float(timeout), None if tls_ca == "-" else tls_ca)
        print("@" + json.dumps(result), flush=True)
        os._exit(0)  # don't wait for anything a failed call left behind
    from ispclient.routeros.target import RouterTarget
    from ispclient.simulator.hostile import MODES

    modes = [m for m in args.modes.split(",") if m] or list(MODES)
    paths = [x for x in args.paths.split(",") if x] or list(PATHS)
    deadline = getattr(RouterTarget(0, "x", "x", timeout=args.timeout), "deadline_s", None)
    load = f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"  # Windows has none
    print(f"timeout {args.timeout:g} s, drip every {args.drip_s:g} s, call deadline "
          f"{deadline if deadline is not None else 'none'} s, load average {load}")
    print(f"{'mode':18} {'path':15} {'time':>7} {'RSS+':>8}  outcome")
    results = []
    with tempfile.TemporaryDirectory() as tls_dir:
        for mode in modes:
            for path in paths:
                r = run_one(mode, path, args, Path(tls_dir))
                results.append(r)
                rss = "?" if r["rss_growth_mb"] is None else f"{r['rss_growth_mb']:.0f} MB"
                print(f"{mode:18} {path:15} {r['elapsed_s']:6.1f}s {rss:>8}  {r['reason'] or '-'}: {r['detail'][:90]}",
                      flush=True)
    for r in results:
        print("@" + json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
