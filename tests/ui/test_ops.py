"""The one background-operation API: answers in the GUI thread, failures in one error dialog,
late answers for closed windows and superseded reads dropped, changes broadcast — and a window
that keeps ticking while the database is slow."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from ispclient.domain.errors import ValidationError
from ispclient.store import clients, queries
from ispclient.store import subscriptions as subs
from ispclient.store.changes import Changes
from ispclient.ui import msgbox, ops
from ispclient.ui.client.window import ClientWindow
from ispclient.ui.context import AppContext
from ispclient.ui.main_window import MainWindow
from ispclient.ui.queue_runner import QueueRunner
from tests.ui.conftest import Factory, Today, settle

# -- the API ---------------------------------------------------------------------------------


def test_the_work_runs_off_the_gui_thread_and_the_answer_comes_back_on_it(qtbot: QtBot) -> None:
    owner = QObject()
    ran_on: list[threading.Thread] = []
    answered_on: list[threading.Thread] = []

    def work() -> int:
        ran_on.append(threading.current_thread())
        return 42

    answers: list[int] = []
    ops.Op(owner, work).on_success(lambda v: (answers.append(v), answered_on.append(threading.current_thread()))) \
        .run()
    qtbot.waitUntil(lambda: answers == [42])
    assert ran_on[0] is not threading.main_thread()
    assert answered_on == [threading.main_thread()]


def test_a_failure_reaches_one_error_dialog(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[object, str, str]] = []
    monkeypatch.setattr(msgbox, "error", lambda parent, title, text: shown.append((parent, title, text)))
    owner = QWidget()
    qtbot.addWidget(owner)

    def broken() -> None:
        raise RuntimeError("the disk caught fire")

    done: list[bool] = []
    ops.Op(owner, broken).on_done(lambda: done.append(True)).run()
    qtbot.waitUntil(lambda: done == [True])
    assert len(shown) == 1
    parent, title, text = shown[0]
    assert parent is owner and title == "Something went wrong"
    assert "the disk caught fire" in text and "log" in text
    # A refusal the user can act on reads as such, with the field messages.
    ops.Op(owner, lambda: (_ for _ in ()).throw(ValidationError({"name": "Enter the client's name."}))).run()
    qtbot.waitUntil(lambda: len(shown) == 2)
    assert shown[1][1:] == ("Please check", "Enter the client's name.")


def test_a_closed_windows_late_answer_is_dropped(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr(msgbox, "error", lambda *a: shown.append(a))
    release = threading.Event()
    window = QWidget()
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    answers: list[str] = []

    def slow(text: str) -> str:
        release.wait(5)
        return text

    def slow_failure() -> None:
        release.wait(5)
        raise RuntimeError("too late to say")

    answered = ops.Op(window, lambda: slow("for the window"), key="a").on_success(answers.append).run()
    failed = ops.Op(window, slow_failure, key="b").run()
    window.close()  # deletes itself
    qtbot.waitUntil(lambda: not window.isVisible() if _alive(window) else True)
    release.set()
    settle(qtbot)
    assert answers == [] and shown == []  # neither the answer nor the error box reached a closed window
    assert answered.dropped and failed.dropped


def test_forget_drops_answers_still_on_their_way(qtbot: QtBot) -> None:
    owner = QObject()
    release = threading.Event()
    answers: list[int] = []
    op = ops.Op(owner, lambda: (release.wait(5), 1)[1]).on_success(answers.append).run()
    ops.forget(owner)  # e.g. the window closed but is not deleted yet
    release.set()
    settle(qtbot)
    assert answers == [] and op.dropped


def test_a_newer_read_supersedes_an_older_one(qtbot: QtBot) -> None:
    owner = QObject()
    first_may_finish = threading.Event()
    answers: list[str] = []
    ops.Op(owner, lambda: (first_may_finish.wait(5), "old")[1], key="detail").on_success(answers.append).run()
    ops.Op(owner, lambda: "new", key="detail").on_success(answers.append).run()
    qtbot.waitUntil(lambda: answers == ["new"])
    first_may_finish.set()
    settle(qtbot)
    assert answers == ["new"]  # the older answer came last and was dropped
    # Other keys are independent.
    ops.Op(owner, lambda: "other", key="rows").on_success(answers.append).run()
    qtbot.waitUntil(lambda: answers == ["new", "other"])


class _Tracer:
    """Notes on which thread it was freed."""

    def __init__(self, freed_on: list[str]) -> None:
        self.freed_on = freed_on

    def __del__(self) -> None:
        self.freed_on.append(threading.current_thread().name)


class _Refused(Exception):
    def __init__(self, held: object) -> None:
        super().__init__("refused")
        self.held = held


def _start_op_holding_tracers(owner: QObject, outcome: str, freed_on: list[str], done: list[bool]) -> None:
    """Only the op holds the tracers once this returns."""
    in_fn, in_handler, in_answer = _Tracer(freed_on), _Tracer(freed_on), _Tracer(freed_on)

    def work() -> object:
        held = in_fn
        if outcome == "failure":
            raise _Refused(held)  # the traceback's frames hold the function's cells, too
        return in_answer

    ops.Op(owner, work).on_success(lambda v: (in_handler, v)).on_failure(lambda e: (in_handler, e)) \
        .on_done(lambda: done.append(True)).run()


def _let_the_lanes_take_other_work(qtbot: QtBot) -> None:
    """A lane thread takes other work, letting go of whatever it still had of the last."""
    for _ in range(2):
        after: list[int] = []
        ops.Op(None, lambda: 1).on_success(after.append).run()
        qtbot.waitUntil(lambda: after == [1])  # noqa: B023 - waited for before the next round


@pytest.mark.parametrize("outcome", ["answer", "failure", "dropped"])
def test_nothing_of_an_op_is_freed_on_a_lane_thread(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch,
                                                    outcome: str) -> None:
    """A lane thread used to keep its last job until the next one arrived, and so let go last of
    the op's function and handlers: a Python-owned dialog they held (``lambda: ...self...``, a bound
    ``_show``) was then deleted on that thread, and the GUI crashed later on a dangling window
    (the counter screenshot test segfaulted about one run in three)."""
    monkeypatch.setattr(msgbox, "error", lambda *_a: None)
    freed_on: list[str] = []
    owner = QObject()
    done: list[bool] = []
    _start_op_holding_tracers(owner, outcome, freed_on, done)
    if outcome == "dropped":
        ops.forget(owner)
        qtbot.waitUntil(lambda: ops.in_flight() == 0)
    else:
        qtbot.waitUntil(lambda: done == [True])
    _let_the_lanes_take_other_work(qtbot)
    qtbot.waitUntil(lambda: len(freed_on) == 3, timeout=2000)
    assert set(freed_on) == {threading.main_thread().name}


class _Dialog(QWidget):
    def __init__(self, deleted_on: list[str]) -> None:
        super().__init__()
        self.deleted_on = deleted_on

    def __del__(self) -> None:  # the wrapper goes first, and takes the Python-owned QWidget with it
        self.deleted_on.append(threading.current_thread().name)


def _open_python_owned_dialog(deleted_on: list[str], shown: list[int]) -> None:
    dialog = _Dialog(deleted_on)  # a top-level window owned by Python, as a test's dialog is
    ops.Op(dialog, lambda: 7).on_success(lambda v: shown.append(v) if dialog.isWindow() else None).run()


def test_a_python_owned_dialog_held_only_by_its_op_is_deleted_on_the_gui_thread(qtbot: QtBot) -> None:
    deleted_on: list[str] = []
    shown: list[int] = []
    _open_python_owned_dialog(deleted_on, shown)
    qtbot.waitUntil(lambda: shown == [7])
    _let_the_lanes_take_other_work(qtbot)
    qtbot.waitUntil(lambda: bool(deleted_on), timeout=2000)
    assert deleted_on == [threading.main_thread().name]


def test_what_the_work_changed_is_broadcast_even_when_its_answer_is_dropped(
        qtbot: QtBot, ctx: AppContext, make: Factory) -> None:
    client = make.client("Amina Wanjiru")
    owner = QObject()
    heard: list[Changes] = []
    ctx.events.changed.connect(heard.append)
    release = threading.Event()

    def edit() -> int:
        release.wait(5)
        return int(clients.edit_client(client, clients.ClientInput("C00001", "Amina W.")).id)

    ops.Op(owner, edit).run()
    ops.forget(owner)
    release.set()
    qtbot.waitUntil(lambda: bool(heard))
    assert heard[0].clients == {client} and not heard[0].catalog


def test_a_nested_tracking_block_counts_for_the_outer_one(ctx: AppContext, make: Factory) -> None:
    from ispclient.store import changes

    pkg = make.package()
    client = make.client()
    with changes.track() as outer:
        with changes.track() as inner:
            subs.create_subscription(client, pkg, date(2026, 1, 15))
        assert inner().clients == {client} and inner().subscriptions
    assert outer().clients == {client} and outer().subscriptions and not outer().payments


# -- the auto-renew that nobody told the windows about ---------------------------------------


def test_the_queue_runners_auto_renewal_shows_in_the_open_list_and_client_window(
        qtbot: QtBot, ctx: AppContext, make: Factory, today: Today) -> None:
    pkg = make.package("Home 10 Mbps", days=30)
    amina = make.client("Amina Wanjiru")
    subs.create_subscription(amina, pkg, date(2026, 1, 1), auto_renew=True)  # ends 31 Jan
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.list_ready)
    window = main.open_client(amina)
    qtbot.waitUntil(lambda: window.detail is not None)
    assert len(window.detail.subscriptions) == 1 if window.detail else False

    today.value = date(2026, 2, 3)  # the subscription has run out meanwhile; nobody touched the app
    runner = QueueRunner(ctx)
    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        assert runner.run_now()
    assert done.args[0].renewed == 1
    # No refresh by hand: the runner's changes reached both windows.
    qtbot.waitUntil(lambda: window.detail is not None and len(window.detail.subscriptions) == 2)
    row = main.model.client_row(amina)
    qtbot.waitUntil(lambda: (row := main.model.client_row(amina)) is not None and row.ends_on == date(2026, 3, 2))
    row = main.model.client_row(amina)
    assert row is not None and row.status == "Active"
    assert window.subscriptions.model.rowCount() == 2
    runner.stop()


# -- the window never waits on the database ---------------------------------------------------


class Ticks:
    """A 5 ms timer on the GUI thread: its longest gap is the longest the window froze."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.last = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000)
        self.last = now

    def __enter__(self) -> Ticks:
        self.last = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._tick()
        self.timer.stop()

    @property
    def longest(self) -> float:
        return max(self.gaps)


@pytest.fixture
def slow_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every client read and list read takes 2 s — a database on the far side of a bad VPN."""
    calls: list[str] = []
    detail, rows = queries.client_detail, queries.list_chunk  # the list is read a chunk of clients at a time

    def slow_detail(*a: object, **kw: object) -> object:
        calls.append("detail")
        time.sleep(2)
        return detail(*a, **kw)  # type: ignore[arg-type]

    def slow_rows(*a: object, **kw: object) -> object:
        calls.append("rows")
        time.sleep(2)
        return rows(*a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(queries, "client_detail", slow_detail)
    monkeypatch.setattr(queries, "list_chunk", slow_rows)
    yield calls


def test_the_event_loop_keeps_ticking_while_a_client_window_opens_and_the_list_reloads(
        qtbot: QtBot, ctx: AppContext, make: Factory, slow_database: list[str]) -> None:
    pkg = make.package()
    amina = make.client("Amina Wanjiru")
    subs.create_subscription(amina, pkg, date(2026, 1, 10))
    main = MainWindow(ctx)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)

    with Ticks() as start_up:
        qtbot.waitUntil(lambda: main.list_ready, timeout=10_000)
    with Ticks() as opening:
        window = main.open_client(amina)
        assert isinstance(window, ClientWindow)
        qtbot.waitUntil(window.isVisible, timeout=1000)  # a moment later, saying "Loading…"
        assert window.detail is None and window.pages.currentWidget() is window.loading
        qtbot.waitUntil(lambda: window.detail is not None, timeout=10_000)
    with Ticks() as reloading:
        main.reload()
        with qtbot.waitSignal(main.list_loaded, timeout=10_000):
            pass
    assert slow_database.count("detail") == 1 and slow_database.count("rows") == 2
    # Each waited 2 s for the database; the window kept answering throughout: 99 % of the timer's
    # gaps are within 50 ms, and none comes near the 2,000 ms a wait on that call would be. (A
    # lone longer gap is the shared machine's scheduler, seen at load 4; the whole-run figure,
    # gui_max_stall_ms ≤ 50 ms, is the bench's.)
    for ticks in (start_up, opening, reloading):
        assert sum(ticks.gaps) >= 1900
        ordered = sorted(ticks.gaps)
        assert ordered[int(len(ordered) * 0.99) - 1] <= 50, ticks.gaps
        assert ticks.longest <= 400, ticks.gaps


def _alive(widget: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def test_signal_emits_do_not_eat_the_true_singleton(qtbot: QtBot) -> None:
    # PySide6 6.12.0 + Python 3.11: each emit()/disconnect() dropped a reference to True until
    # the interpreter aborted ("bool_dealloc"); pyproject excludes that release.
    import sys

    bus = ops.ChangeBus()
    slot = bus.changed.connect(lambda value: None)
    before = sys.getrefcount(True)
    for n in range(1000):
        bus.changed.emit(n)
    bus.changed.disconnect(slot)
    assert sys.getrefcount(True) >= before - 1


SESSION: contextvars.ContextVar[str] = contextvars.ContextVar("test_session", default="nobody")


def test_the_work_sees_the_session_of_the_window_that_started_it(qtbot: QtBot) -> None:
    owner = QObject()
    seen: list[str] = []
    token = SESSION.set("amina")  # e.g. who signed in at this PC
    try:
        ops.Op(owner, SESSION.get).on_success(seen.append).run()
    finally:
        SESSION.reset(token)
    ops.Op(owner, SESSION.get, key="later").on_success(seen.append).run()
    qtbot.waitUntil(lambda: len(seen) == 2)
    assert sorted(seen) == ["amina", "nobody"]
