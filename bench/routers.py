"""RouterOS simulators for the benchmark, in a process of their own (as real routers are).

``Routers(spec)`` starts ``python -m bench.routers`` with a JSON spec: per router its PPP
secrets, which of them are online, its link latency and API password. The child fills each
simulator's tables directly (100,000 secrets through the API would take minutes), prints the
ports, and then obeys one-line commands on stdin (``fault 2 hang``, ``fault 2 none``, ``quit``).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType

API_USER = "admin"
API_PASSWORD = "bench-simulator-password"  # the simulated routers' API login, nothing real


@dataclass
class RouterSpec:
    usernames: list[str]
    online: list[str]
    latency_ms: float = 0.0
    identity: str = "MikroTik"


@dataclass
class Spec:
    routers: list[RouterSpec] = field(default_factory=list)
    password: str = API_PASSWORD
    seed: int = 1


def spec_for(usernames_by_server: dict[str, list[str]], sessions: int, seed: int = 1,
             latency_ms: float = 0.0) -> tuple[Spec, list[int]]:
    """One router per server; ``sessions`` usernames chosen (deterministically) to be online.

    Returns the spec and the server ids in router order.
    """
    rng = random.Random(seed)
    server_ids = sorted(usernames_by_server, key=int)
    everyone = [(sid, u) for sid in server_ids for u in usernames_by_server[sid]]
    online = set(rng.sample(everyone, min(sessions, len(everyone))))
    routers = [
        RouterSpec(list(usernames_by_server[sid]), [u for u in usernames_by_server[sid] if (sid, u) in online],
                   latency_ms, identity=f"bench-{sid}")
        for sid in server_ids
    ]
    return Spec(routers, seed=seed), [int(s) for s in server_ids]


class Routers:
    """The simulators' process; use as a context manager so it always ends."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.ports: list[int] = []
        self._proc: subprocess.Popen[str] | None = None
        self._spec_file: Path | None = None

    def start(self) -> Routers:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
            json.dump(asdict(self.spec), f)
            self._spec_file = Path(f.name)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.routers", str(self._spec_file)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("the router simulators did not start")
        self.ports = json.loads(line)["ports"]
        return self

    def command(self, text: str) -> str:
        """Send one command; returns what follows the child's "ok"."""
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(text + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline().strip()
        if answer.split(" ", 1)[0] != "ok":
            raise RuntimeError(f"router simulators: {text!r} → {answer!r}")
        return answer[3:]

    def cpu_seconds(self) -> float:
        """CPU time the simulators' process has used so far."""
        return float(self.command("cpu"))

    def fault(self, index: int, fault: str | None) -> None:
        self.command(f"fault {index} {fault or 'none'}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                assert proc.stdin is not None
                proc.stdin.write("quit\n")
                proc.stdin.flush()
                proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        if self._spec_file is not None:
            self._spec_file.unlink(missing_ok=True)
            self._spec_file = None

    def __enter__(self) -> Routers:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# -- the child process ----------------------------------------------------------------------


def load_state(state: object, router: RouterSpec, rng: random.Random) -> None:
    """Secrets and sessions straight into the simulator's tables (what ``populate`` does, by name)."""
    from datetime import timedelta

    from ispclient.simulator.population import _address, _mac
    from ispclient.simulator.state import RouterState, secret_defaults
    from ispclient.simulator.values import format_datetime, format_duration

    assert isinstance(state, RouterState)
    now = state.clock()
    with state.lock:
        for name in router.usernames:
            row = secret_defaults()
            row.update(name=name, service="pppoe", password=f"pw{rng.randrange(10**8):08d}")
            if rng.random() < 0.8:  # the rest never connected yet
                moment = now - timedelta(seconds=rng.randrange(60, 90 * 86400))
                row["last-logged-out"] = format_datetime(moment, state.version)
            state.secrets.insert(row)
        for n, name in enumerate(router.online, 1):
            state.connect(name, _address(n), _mac(n), format_duration(rng.randrange(30, 30 * 86400)), None)


def serve(spec_path: Path) -> int:
    from ispclient.simulator import RouterSim

    raw = json.loads(spec_path.read_text(encoding="utf-8"))
    spec = Spec([RouterSpec(**r) for r in raw["routers"]], raw["password"], raw["seed"])
    rng = random.Random(spec.seed)
    sims = []
    for router in spec.routers:
        sim = RouterSim(users={API_USER: spec.password}, latency_ms=router.latency_ms, identity=router.identity)
        # A real router answers from its own CPU: here the answer to every status refresh would
        # take the bench machine's (~0.7 s of Python per 100,000 sessions, under one GIL for all
        # the routers), and at a million clients more than the routers' deadline. Uptimes stay as
        # loaded and the whole session list's reply is made once (see RouterState.whole_print).
        sim.state.sessions_age = False
        load_state(sim.state, router, rng)
        sims.append(sim.start())
    print(json.dumps({"ports": [s.port for s in sims]}), flush=True)
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "quit":
                break
            if words[0] == "fault" and len(words) == 3:
                sims[int(words[1])].fault = None if words[2] == "none" else words[2]  # type: ignore[assignment]
            elif words[0] == "latency" and len(words) == 3:
                sims[int(words[1])].latency_ms = float(words[2])
            elif words[0] == "cpu":
                print(f"ok {time.process_time():.4f}", flush=True)
                continue
            else:
                print(f"unknown command {line.strip()!r}", flush=True)
                continue
            print("ok", flush=True)
    finally:
        for sim in sims:
            sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1])))
