"""Start-up order: router checks wait for the list's first read; the first page's cells are
formatted in the background; start-up objects are out of the collector's way."""

from __future__ import annotations

import gc
import sys
from datetime import date

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from pytestqt.qtbot import QtBot

from ispclient.domain.money import format_money
from ispclient.domain.validation import display_phone
from ispclient.store.queries import ClientRow
from ispclient.ui import status_service as service_module
from ispclient.ui.context import AppContext
from ispclient.ui.main_window import MainWindow
from ispclient.ui.models.client_list import ClientListModel, Column, cell_texts
from ispclient.ui.status_service import StatusService
from tests.ui.conftest import Factory


@pytest.fixture
def clients(make: Factory) -> list[int]:
    return [make.client(name) for name in ("Amina Wanjiru", "Brian Otieno", "Chen Li", "Dora Müller")]


class Loaded(QObject):
    fired = Signal()


@pytest.fixture
def service(qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> StatusService:
    made = StatusService(ctx, offload=False)
    asked: list[int] = []
    monkeypatch.setattr(made.checker, "refresh", lambda: asked.append(1))
    made.asked = asked  # type: ignore[attr-defined]
    yield made
    made.shutdown()


def test_a_refresh_asked_for_during_the_hold_starts_when_the_list_is_in(service: StatusService) -> None:
    loaded = Loaded()
    started: list[int] = []
    service.refresh_started.connect(lambda: started.append(1))
    service.hold_until(loaded.fired)
    service.start()  # the start-up refresh
    service.refresh()  # F5 meanwhile: the same refresh, not a second one
    assert service.held and service.refreshing and len(started) == 2
    assert service.asked == []  # type: ignore[attr-defined]
    loaded.fired.emit()
    assert not service.held and service.asked == [1]  # type: ignore[attr-defined]
    loaded.fired.emit()  # later list reloads change nothing
    service.refresh()
    assert service.asked == [1, 1]  # type: ignore[attr-defined]


def test_nothing_waiting_nothing_asked(service: StatusService) -> None:
    loaded = Loaded()
    service.hold_until(loaded.fired)
    loaded.fired.emit()
    assert not service.held and service.asked == []  # type: ignore[attr-defined]


def test_a_list_that_never_loads_holds_the_checks_up_for_a_while_only(qtbot: QtBot,
                                                                      service: StatusService) -> None:
    loaded = Loaded()
    service.hold_until(loaded.fired, at_most_ms=50)
    service.refresh()
    qtbot.waitUntil(lambda: service.asked == [1], timeout=2000)  # type: ignore[attr-defined]
    assert not service.held
    loaded.fired.emit()  # late: already released
    assert service.asked == [1]  # type: ignore[attr-defined]


def _held_service(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, events: list[str], *,
                  helper: object = None, delay_ms: int | None = None, offload: bool = True
                  ) -> tuple[StatusService, Loaded]:
    """A status service held until ``Loaded.fired`` and started; the helper's start ("helper",
    giving ``helper``) and refreshes ("refresh") go into ``events``."""
    monkeypatch.setattr(service_module, "start_helper", lambda: events.append("helper") or helper)
    if delay_ms is not None:
        monkeypatch.setattr(service_module, "HELPER_DELAY_MS", delay_ms)
    service = StatusService(ctx, offload=offload)
    monkeypatch.setattr(service.checker, "refresh", lambda: events.append("refresh"))
    loaded = Loaded()
    service.hold_until(loaded.fired)
    service.start()
    return service, loaded


def test_the_helper_process_starts_after_the_hold(qtbot: QtBot, ctx: AppContext,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    service, loaded = _held_service(ctx, monkeypatch, events, delay_ms=10)
    try:
        qtbot.wait(100)
        assert events == []  # its start-up would compete with the list's read
        loaded.fired.emit()
        # At once, and first: the held refresh goes through it, not parsed in the app's threads.
        assert events == ["helper", "refresh"]
        qtbot.wait(50)
        assert events == ["helper", "refresh"]
    finally:
        service.shutdown()


def test_a_list_in_before_the_helper_s_delay_starts_the_helper_at_once(qtbot: QtBot, ctx: AppContext,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A list in sooner than HELPER_DELAY_MS: the held refresh still goes through the helper
    (started with it), not parsed in the app's threads as the list paints; the delay's own
    timer starts no second one."""
    events: list[str] = []

    class Helper:
        def close(self) -> None:
            events.append("closed")

    service, loaded = _held_service(ctx, monkeypatch, events, helper=Helper(), delay_ms=200)
    try:
        qtbot.wait(20)
        assert events == []
        loaded.fired.emit()  # well before the helper's delay
        assert events == ["helper", "refresh"]
        qtbot.wait(400)  # the delay's timer fired meanwhile: the helper is there already
        assert events == ["helper", "refresh"]
    finally:
        service.shutdown()


def test_without_offloading_no_helper_starts_at_the_hold_s_end(qtbot: QtBot, ctx: AppContext,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    service, loaded = _held_service(ctx, monkeypatch, events, offload=False)
    try:
        loaded.fired.emit()
        assert events == ["refresh"]
    finally:
        service.shutdown()


def test_the_session_holds_router_checks_until_the_list_is_in(qtbot: QtBot, ctx: AppContext, clients: list[int],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from ispclient.ui import application

    holds: list[object] = []
    monkeypatch.setattr(StatusService, "hold_until", lambda self, signal, *a: holds.append(signal))
    monkeypatch.setattr(application, "_open", lambda *_a: ctx)
    monkeypatch.setattr("ispclient.store.close_database", lambda: None)  # the test's database stays open
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # Python's own
    session = application.start_session(ctx.paths)
    try:
        assert len(holds) == 1
        # The window's list_settled (a bound signal compares equal to the window's own).
        assert holds[0] == session.window.list_settled
        assert gc.get_freeze_count() > 0  # what start-up made is out of the collector's way
        # A background thread hands the GIL back to the window's thread within 1 ms, not 5.
        # (not pytest.approx: it asks numpy, which the list's read may be importing right now)
        assert abs(sys.getswitchinterval() - application.GUI_SWITCH_INTERVAL_S) < 1e-6
        assert application.GUI_SWITCH_INTERVAL_S < 0.005
    finally:
        session.window.close()
        session.close()
        gc.unfreeze()
        sys.setswitchinterval(switch)


def _row(client_id: int, phone: str, balance: int) -> ClientRow:
    return ClientRow(client_id, f"C{client_id:05d}", f"Client {client_id}", phone, "", f"user{client_id}", None, "",
                     "Home 10", "Active", date(2026, 1, 1), date(2026, 2, 1), balance)


def test_the_first_page_comes_with_its_cells_formatted(qtbot: QtBot, ctx: AppContext) -> None:
    rows = [_row(1, "+254712345678", 150_050), _row(2, "+256772123456", 0), _row(3, "0712 bad", -2500)]
    texts = cell_texts(rows, ("KES", None))
    assert texts.phones == {r.phone: display_phone(r.phone) for r in rows}
    assert texts.money == {150_050: format_money(150_050, "KES"), -2500: format_money(-2500, "KES")}

    seeded = ClientListModel(ctx.connections)
    seeded.set_currency("KES")
    seeded.show_page(rows, texts)
    plain = ClientListModel(ctx.connections)
    plain.set_currency("KES")
    plain.show_page(rows)

    def shown(model: ClientListModel) -> list[list[object]]:
        return [[model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for c in Column]
                for r in range(model.rowCount())]

    assert shown(seeded) == shown(plain)
    assert seeded._money == texts.money and seeded._phones == texts.phones  # no formatting left for the paint


def test_cells_formatted_for_another_currency_are_not_used(qtbot: QtBot, ctx: AppContext) -> None:
    rows = [_row(1, "+254712345678", 150_050)]
    model = ClientListModel(ctx.connections)
    model.set_currency("UGX")  # changed in the settings while the page was read
    model.show_page(rows, cell_texts(rows, ("KES", None)))
    assert model.data(model.index(0, Column.BALANCE)) == format_money(150_050, "UGX")


def test_the_first_page_is_read_before_the_whole_list(qtbot: QtBot, ctx: AppContext, clients: list[int],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole read waits for the page: the page alone is quick, sharing the disk and the cores
    with the read's threads it was four times slower."""
    from ispclient.listing import build
    from ispclient.store import queries

    events: list[str] = []
    page, read = queries.client_rows_page, build.read

    def logged_page(*a: object, **kw: object) -> object:
        events.append("page")
        return page(*a, **kw)  # type: ignore[arg-type]

    def logged_read(*a: object, **kw: object) -> object:
        events.append("read")
        return read(*a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(queries, "client_rows_page", logged_page)
    monkeypatch.setattr(build, "read", logged_read)
    w = MainWindow(ctx)
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.list_ready)
    assert events == ["page", "read"]
    assert w.model.rowCount() == 4


def test_the_window_s_modules_leave_the_router_and_client_window_modules_for_later() -> None:
    """librouteros (with asyncio) and the client window's package are ~80 ms of imports on the
    GUI thread before the first paint: imported when first needed, in the background."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import ispclient.ui.application, ispclient.ui.main_window, ispclient.ui.status_service\n"
            "import ispclient.ui.today_page, ispclient.ui.list_read, ispclient.ui.queue_runner\n"
            "print(sorted(m for m in ('librouteros', 'asyncio', 'ispclient.routeros.status', 'ispclient.ui.client',"
            " 'keyring', 'numpy') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_the_session_loads_the_router_modules_in_the_background_as_the_window_is_built(
        qtbot: QtBot, ctx: AppContext, clients: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import threading

    from ispclient.ui import application
    from tests.ui.conftest import settle

    loaded: list[tuple[str, bool]] = []
    real = importlib.import_module

    def noted(name: str, package: str | None = None) -> object:
        loaded.append((name, threading.current_thread() is threading.main_thread()))
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", noted)
    monkeypatch.setattr(application, "_open", lambda *_a: ctx)
    monkeypatch.setattr("ispclient.store.close_database", lambda: None)
    session = application.start_session(ctx.paths)
    try:
        settle(qtbot)
        assert ("ispclient.routeros.status", False) in loaded  # off the GUI thread
    finally:
        session.window.close()
        session.close()
        gc.unfreeze()
