"""Shared UI fixtures: a fresh database with an AppContext around it, short ways to make rows
through the real services, and a RouterSim for status tests.

``ctx`` is what every window receives; ``make`` creates servers, packages, clients and
subscriptions; ``today`` pins the ISP's date (default 15 Jan 2026) so statuses are predictable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import peewee
import pytest
from pytestqt.qtbot import QtBot

from ispclient import paths, store
from ispclient.domain import clock
from ispclient.paths import AppPaths
from ispclient.routeros.credentials import CredentialStore
from ispclient.simulator import RouterSim
from ispclient.store import catalog, clients, settings
from ispclient.store import subscriptions as subs
from ispclient.store.changes import Changes
from ispclient.ui import ops
from ispclient.ui.context import AppContext, SettingsStore

TODAY = date(2026, 1, 15)
ROUTER_PASSWORD = "ui-test-router-pw"
# The offscreen platform says these whenever a window is shown or raised; not about our code.
OFFSCREEN_NOISE = ("does not support propagateSizeHints", "does not support raise",
                   "This plugin does not support")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


@pytest.fixture(autouse=True, scope="session")
def gui_collector(qapp: object) -> None:
    """As the app does (ui/application.create_app): cycles are collected on the GUI thread only."""
    from PySide6.QtWidgets import QApplication

    from ispclient.ui import collector

    app = QApplication.instance()
    assert app is not None
    collector.install(app)


@pytest.fixture(autouse=True)
def no_real_modal_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real modal message box would wait for a click that never comes (and a blocked event
    loop hides from pytest-timeout): fail at once, naming the box. Tests answer boxes by
    patching ``msgbox.confirm`` and friends."""
    from PySide6.QtWidgets import QMessageBox

    def refuse(box: QMessageBox) -> int:
        raise AssertionError(f"a real modal box opened: {box.windowTitle()!r}: {box.text()!r}")

    monkeypatch.setattr(QMessageBox, "exec", refuse)


@pytest.fixture(autouse=True)
def close_windows_afterwards(qapp: object) -> Iterator[None]:
    """Windows that delete themselves when closed (client windows) can't be handed to
    ``qtbot.addWidget``: close whatever top-level window is left after each test instead."""
    yield
    from PySide6.QtWidgets import QApplication, QDialog

    for widget in QApplication.topLevelWidgets():
        if widget.isVisible():
            if isinstance(widget, QDialog):
                widget.done(0)  # no "discard changes?" question at teardown
            else:
                widget.close()


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    return paths.under(tmp_path / "home").ensure()


@pytest.fixture
def db(app_paths: AppPaths) -> Iterator[peewee.Database]:
    """A fresh SQLite database in the test's own directory, opened like the app opens it."""
    database = store.open_database(app_paths.database, app_paths.backup_dir)
    yield database
    # Background work first: each worker closes its own connection to this test's database.
    assert ops.shutdown(10_000), "background work still running at the end of the test"
    store.close_database()


class Today:
    """The ISP's date as the app sees it; set ``.value`` to move time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, value: date) -> None:
        self.value = value
        monkeypatch.setattr(settings, "today", lambda: self.value)
        monkeypatch.setattr(clock, "today", lambda _tz="": self.value)  # the windows' SettingsStore.today


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch, TODAY)


@pytest.fixture
def ctx(qtbot: QtBot, db: peewee.Database, app_paths: AppPaths, today: Today) -> AppContext:
    """What every window receives: paths under tmp_path, an in-memory keyring, the settings."""
    return AppContext(paths=app_paths, credentials=CredentialStore("ispclient-test"), store=SettingsStore.load())


def changed_elsewhere(ctx: AppContext, **what: object) -> None:
    """Data changed behind the app's back (the tests' direct service calls, another PC): tell
    the windows as a finished op would, after reading settings and catalog afresh."""
    ctx.store.refresh_now()
    clients = frozenset(what.pop("clients", ()))  # type: ignore[arg-type]
    ops.bus().changed.emit(Changes(clients=clients, **what))  # type: ignore[arg-type]


def settle(qtbot: QtBot, timeout: int = 5000) -> None:
    """Wait until every background op has come back and been handled."""
    qtbot.waitUntil(lambda: ops.in_flight() == 0, timeout=timeout)
    qtbot.wait(1)


@dataclass
class Factory:
    """Rows made through the real services (so audit and rules apply), with short defaults."""

    ctx: AppContext
    n: int = 0
    servers: list[int] = field(default_factory=list)

    def server(self, name: str = "Main router", *, host: str = "127.0.0.1", port: int = 8728,
               password: str | None = ROUTER_PASSWORD, username: str = "admin", timeout_s: float = 1.0) -> int:
        """A router; its API password goes to the (in-memory) keyring unless ``password`` is None."""
        server_id = int(catalog.create_server(catalog.ServerInput(
            name=name, host=host, port=port, username=username, timeout_s=timeout_s)).id)
        if password is not None:
            self.ctx.credentials.set(server_id, password)
        self.servers.append(server_id)
        self.ctx.store.refresh_now()  # as the app does once a change names the catalog
        return server_id

    def package(self, name: str = "Home 10 Mbps", price: str = "1500", days: int = 30, **kw: object) -> int:
        package_id = int(catalog.create_package(catalog.PackageInput(name, price, days, **kw)).id)  # type: ignore[arg-type]
        self.ctx.store.refresh_now()
        return package_id

    def client(self, name: str = "Amina Wanjiru", **kw: object) -> int:
        """A client; ``server_id``, ``pppoe_username``, ``phone``, ``email``… as keywords."""
        self.n += 1
        values: dict[str, object] = {"client_code": f"C{self.n:05d}", "name": name}
        values.update(kw)
        return int(clients.create_client(clients.ClientInput(**values)).id)  # type: ignore[arg-type]

    def subscription(self, client_id: int, package_id: int, start: date, *, paid: str | None = None,
                     **kw: object) -> int:
        payment = subs.PaymentInput(paid) if paid else None
        return int(subs.create_subscription(client_id, package_id, start, payment=payment, **kw).id)  # type: ignore[arg-type]


@pytest.fixture
def make(ctx: AppContext) -> Factory:
    return Factory(ctx)


@pytest.fixture
def router() -> Iterator[RouterSim]:
    """A RouterOS API simulator on a loopback port; log in as admin / ROUTER_PASSWORD."""
    with RouterSim(users={"admin": ROUTER_PASSWORD}, identity="Test router") as sim:
        yield sim
