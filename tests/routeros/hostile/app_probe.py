"""The app as ``ispclient --data-dir D`` runs it, closing its window once it is busy with both routers:
``python -m tests.routeros.hostile.app_probe CONFIG_JSON`` (used by test_app.py).

It follows ``application.run`` (start_session, show, status.start, runner.start) with the
queue runner's first run at once, and prints ``closing {...}`` (what it was busy with) just
before it closes the main window; the parent times from that line to the process's exit.
Router passwords come from an in-memory keyring, never the OS's.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import keyring
from keyring.backend import KeyringBackend


class ProbeKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, password: str) -> None:
        super().__init__()
        self.password = password
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        if username.startswith("server-"):
            return self.password
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def main(config: dict[str, Any]) -> int:
    backend = ProbeKeyring(config["password"])
    for service, user, value in config.get("keyring", []):
        backend.set_password(service, user, value)
    keyring.set_keyring(backend)
    from PySide6.QtCore import QTimer

    from ispclient import paths
    from ispclient.store import router_queue
    from ispclient.store.models import RouterChange
    from ispclient.ui.application import start_session

    session = start_session(paths.under(config["data_dir"]))

    started = time.monotonic()

    def close_when_engaged() -> None:
        # Closed once the healthy router's change is applied while the dripping router is still
        # being waited on (not after a fixed time: a busy machine, or Wine, may not be there yet),
        # or at close_after_s whatever the state, which the test then reports.
        healthy_done = RouterChange.select().where((RouterChange.username == "amina")
                                                   & (RouterChange.status == router_queue.DONE)).exists()
        busy = sorted(session.runner.busy_routers())
        if not (healthy_done and busy) and time.monotonic() - started < config["close_after_s"]:
            return
        poll.stop()
        print("closing " + json.dumps({"dripping_connections": len(busy), "healthy_done": bool(healthy_done)}),
              flush=True)
        session.window.close()

    poll = QTimer()
    poll.setInterval(50)
    poll.timeout.connect(close_when_engaged)
    try:
        session.window.show()
        session.status.start()
        session.runner.start(first_run_delay_ms=0)
        poll.start()
        return int(session.app.exec())
    finally:
        session.close()


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
