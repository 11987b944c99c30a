"""The measurements the runner makes: each returns plain numbers for ``results.json``.

UI figures come from :mod:`bench.load_probe` in a process of its own (a real start-up); the
router figures that need no window (batch against per-client) run here, against simulators in
another process.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate import DataInfo, Size, cached
from bench.routers import API_PASSWORD, Routers, RouterSpec, Spec, spec_for

ROOT = Path(__file__).resolve().parent.parent

# Typed a key at a time: name fragments (with accents folded), phone digits in the forms people
# read them out, Client IDs, PPPoE usernames, e-mail fragments, two-word queries.
SEARCH_QUERIES = (
    "amina", "wanjiru", "otieno", "grace kamau", "jose", "muller", "nguyen",
    "0712", "0722 5", "+254 711", "254790",
    "C01234", "c4999", "client04242", "client1",
    "gmail", "@yahoo", "mary.w",
)
PROBE_TIMEOUT_S = 600


@dataclass
class Stack:
    """A generated database with its routers running and the servers pointing at them."""

    info: DataInfo
    routers: Routers
    server_ids: list[int]

    @property
    def data_dir(self) -> Path:
        return Path(self.info.path).parent

    def stop(self) -> None:
        self.routers.stop()


def start_stack(size: Size, seed: int = 1, root: Path | None = None) -> Stack:
    info = cached(size, seed, root=root)
    spec, server_ids = spec_for(info.usernames, size.sessions, seed)
    routers = Routers(spec).start()
    point_servers_at(Path(info.path), dict(zip(server_ids, routers.ports, strict=True)))
    return Stack(info, routers, server_ids)


def point_servers_at(db_path: Path, ports: dict[int, int]) -> None:
    """Set each server's API port to its simulator's (through the store's models)."""
    from ispclient import store
    from ispclient.store.models import Server

    store.open_database(db_path)
    try:
        for server_id, port in ports.items():
            Server.update(host="127.0.0.1", port=port).where(Server.id == server_id).execute()
    finally:
        store.close_database()


def client_with(db_path: Path, subscriptions: int) -> int | None:
    """A live client with exactly this many subscriptions (the lowest id)."""
    import sqlite3

    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT s.client_id FROM subscription s JOIN client c ON c.id = s.client_id WHERE c.deleted_at IS NULL "
            "GROUP BY s.client_id HAVING count(*) = ? ORDER BY s.client_id LIMIT 1", (subscriptions,)).fetchone()
    return int(row[0]) if row else None


def run_probe(stack: Stack, mode: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start the app in a fresh process; ``first_rows_s`` and ``list_complete_s`` are counted
    from the spawn."""
    hang_index = len(stack.server_ids) - 1
    config = {
        "data_dir": str(stack.data_dir), "mode": mode, "queries": list(SEARCH_QUERIES),
        "big_client_id": stack.info.big_client_id, "client_6": client_with(Path(stack.info.path), 6),
        "hang_index": hang_index, "hang_server_id": stack.server_ids[hang_index], **(extra or {}),
    }
    # Start as after a clean shutdown (the store's close records it; the app then skips the
    # quick check), whatever the previous probe left behind.
    point_servers_at(Path(stack.info.path), dict(zip(stack.server_ids, stack.routers.ports, strict=True)))
    return _probe(config, stack.data_dir, stack.routers, Path(stack.info.path))


def compile_bytecode() -> None:
    """The app's modules compiled once, as an installed app has them: with PYTHONDONTWRITEBYTECODE
    set (as on this machine) every start would compile ~90 modules from source (~0.15 s)."""
    import compileall

    compileall.compile_dir(str(ROOT / "ispclient"), quiet=1, force=False)


def _probe(config: dict[str, Any], data_dir: Path, routers: Routers | None, db_path: Path | None,
           queries_sent: Any = None) -> dict[str, Any]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    env.pop("ISPCLIENT_HOME", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # read the compiled modules (compile_bytecode)
    log = data_dir / "probe-stderr.txt"
    with log.open("w", encoding="utf-8") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.load_probe", json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT, env=env,
        )
        out: dict[str, Any] = {}
        try:
            assert proc.stdout is not None and proc.stdin is not None
            for line in proc.stdout:
                if not line.startswith("@"):
                    continue
                message = json.loads(line[1:])
                event = message.pop("event", None)
                if event == "first_rows":
                    out["first_rows_s"] = time.perf_counter() - started
                    out.update(message)
                elif event == "complete":
                    out["list_complete_s"] = time.perf_counter() - started
                    out.update(message)
                elif event == "results":
                    out.update(message)
                elif message.get("request") == "fault" and routers is not None:
                    routers.fault(message["index"], message["fault"])
                    proc.stdin.write("ok\n")
                    proc.stdin.flush()
                elif message.get("request") == "queries":  # statements the proxy has seen so far
                    proc.stdin.write(f"{queries_sent() if queries_sent else -1}\n")
                    proc.stdin.flush()
            code = proc.wait(PROBE_TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if db_path is not None:
        out["db_left_clean"] = _left_clean(db_path)
    if code != 0 or "list_complete_s" not in out:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"the load probe failed (exit {code}):\n{tail}")
    return out


def _left_clean(db_path: Path) -> bool:
    """Whether the app's own exit recorded a clean shutdown (else its next start re-checks the file)."""
    try:
        from ispclient.store import integrity
    except ImportError:  # pragma: no cover - older checkouts
        return True
    return integrity.needs_check(db_path) is None


def list_load(stack: Stack, runs: int) -> dict[str, Any]:
    """Median (and every run) of process start → first rows painted and → whole list in."""
    loads = [run_probe(stack, "load") for _ in range(runs)]
    first = [r["first_rows_s"] for r in loads]
    complete = [r["list_complete_s"] for r in loads]
    best = min(loads, key=lambda r: r["list_complete_s"])
    return {"first_rows_s": statistics.median(first), "first_rows_runs_s": first,
            "list_complete_s": statistics.median(complete), "list_complete_runs_s": complete,
            "probe_imports_s": best["probe_imports_s"], "probe_session_s": best["probe_session_s"],
            "probe_show_to_rows_s": best["probe_show_to_rows_s"],
            "probe_show_to_complete_s": best["probe_show_to_complete_s"], "rows": best["rows"],
            # CPU against wall (a shared machine's slow start is our work or a wait for a CPU), and
            # the start-up's longest stall beside the GUI thread's longest turn of its own work.
            "load_cpu_runs_s": [r.get("probe_cpu_s") for r in loads],
            "load_gui_cpu_runs_s": [r.get("probe_gui_cpu_s") for r in loads],
            "start_stall_runs_ms": [r.get("probe_start_stall_ms") for r in loads],
            "start_busy_runs_ms": [r.get("probe_start_busy_ms") for r in loads]}


def pg_latency(stack: Stack, latency_ms: float, url: str, runs: int = 6) -> dict[str, Any]:
    """The app on PostgreSQL behind a proxy that adds ``latency_ms`` to every round trip (a second
    front-desk PC over a VPN): opening the same clients as on SQLite, time and GUI stall, and the
    statements each open sends (counted at the proxy)."""
    from urllib.parse import urlsplit, urlunsplit

    from bench import postgres
    from bench.latency_proxy import LatencyProxy

    stamp = f"{Path(stack.info.path).parent.name}@{stack.info.today}"
    postgres.prepare(url, Path(stack.info.path), stamp)
    parts = urlsplit(url)
    with LatencyProxy(parts.hostname or "127.0.0.1", parts.port or 5432, latency_ms) as proxy:
        netloc = parts.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{proxy.port}" if "@" in parts.netloc \
            else f"127.0.0.1:{proxy.port}"
        proxied = urlunsplit(parts._replace(netloc=netloc))
        home = stack.data_dir.parent / (stack.data_dir.name + "-pg")
        home.mkdir(exist_ok=True)
        config = {"data_dir": str(home), "mode": "pg-open", "db_url": proxied, "queries": [],
                  "big_client_id": stack.info.big_client_id,
                  "client_6": client_with(Path(stack.info.path), 6), "open_runs": runs}
        out = _probe(config, home, None, None, lambda: proxy.queries)
    return {"pg_latency_ms": latency_ms, "pg_data": stamp, "pg_list_complete_s": out["list_complete_s"],
            **{k: v for k, v in out.items() if k.startswith("pg_")}}


# -- one query per router against one query per client ------------------------------------


def batch_vs_per_client(clients: int = 1000, latency_ms: float = 20.0, sample: int | None = None,
                        online_ratio: float = 0.6, seed: int = 1) -> dict[str, Any]:
    """The same router, the same 1,000 clients, 20 ms per answer: our refresh (one
    ``/ppp/active/print``, one ``/ppp/secret/print``) against ``fetch_client_status`` per client.

    ``sample`` times only that many per-client lookups and scales up (``--quick``); the per-client
    time is a sum of identical round trips, so the estimate is close.
    """
    import random

    from ispclient.routeros.status import fetch_client_status, fetch_statuses
    from ispclient.routeros.target import RouterTarget

    usernames = [f"client{i:05d}" for i in range(1, clients + 1)]
    online = sorted(random.Random(seed).sample(usernames, round(clients * online_ratio)))
    spec = Spec([RouterSpec(usernames, online, latency_ms, identity="bench-latency")], seed=seed)
    with Routers(spec) as routers:
        target = RouterTarget(1, "latency", "127.0.0.1", routers.ports[0], password=API_PASSWORD, timeout=10)
        batch_runs = []
        for _ in range(3):
            t = time.perf_counter()
            batch = fetch_statuses(target, usernames)
            batch_runs.append(time.perf_counter() - t)
        picked = usernames if sample is None or sample >= clients else \
            random.Random(seed + 1).sample(usernames, sample)
        t = time.perf_counter()
        singles = {name: fetch_client_status(target, name) for name in picked}
        per_client = (time.perf_counter() - t) * clients / len(picked)
    agree = all(singles[n].state == batch[n].state and singles[n].never_connected == batch[n].never_connected
                for n in picked)
    batch_s = statistics.median(batch_runs)
    return {
        "status_batch_vs_per_client_ratio": per_client / batch_s,
        "status_batch_s": batch_s,
        "status_per_client_s": per_client,
        "status_per_client_sampled": len(picked),
        "status_batch_agrees_with_per_client": agree,
    }
