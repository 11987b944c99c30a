"""``ispclient --demo --screenshot DIR``: the main screens as PNG files, for the README and for
checking at a glance that nothing is clipped at common screen sizes.

Each window gets the size the app itself gives it on a screen of that size (its first-run size:
:mod:`window_state` is told the screen's available area), never a size forced to fit, and is
drawn onto a picture of the screen: a window too big for it shows cut off, as on a real screen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEventLoop, QRect, QSize
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from ispclient.domain.connection import ConnectionState
from ispclient.domain.subscriptions import SubscriptionStatus
from ispclient.ui.models.client_list import CONNECTION_ROLE, ROW_ROLE

if TYPE_CHECKING:
    from ispclient.ui.application import Session

log = logging.getLogger(__name__)

SCREEN_SIZES = (QSize(1366, 768), QSize(1920, 1080))
TASKBAR = 40  # what a maximised window leaves of the screen's height on Windows
REFRESH_TIMEOUT_S = 20.0


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``condition()`` holds (True) or the time is up (False)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    return True


def settle(ms: int = 150) -> None:
    """Let layouts, deferred reloads and repaints finish."""
    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


_screen: QSize | None = None  # the screen being pictured (None: just the window)


def save(widget: QWidget, path: Path) -> Path:
    """The window as it would show on the screen being pictured: at the top left of a screen-sized
    picture (the task bar's strip left empty), cut off where it would run past the screen."""
    shot = widget.grab()
    if _screen is not None:
        canvas = QPixmap(_screen)
        canvas.fill(QColor("#3b4252"))
        painter = QPainter(canvas)
        painter.drawPixmap(0, 0, shot)
        painter.fillRect(0, _screen.height() - TASKBAR, _screen.width(), TASKBAR, QColor("#20242c"))
        painter.end()
        shot = canvas
    if not shot.save(str(path)):
        raise OSError(f"could not write {path}")
    log.info("screenshot %s", path)
    return path


@contextmanager
def screen_of(size: QSize) -> Iterator[QRect]:
    """Windows sized as on a ``size`` screen (its area less a task bar) while inside."""
    global _screen
    from ispclient.ui import window_state

    area = QRect(0, 0, size.width(), size.height() - TASKBAR)
    real = window_state.available_area
    window_state.available_area = lambda _widget=None: QRect(area)  # type: ignore[assignment]
    _screen = size
    try:
        yield area
    finally:
        window_state.available_area = real
        _screen = None


def showcase_client(session: Session) -> int | None:
    """An online client with a running subscription and the longest history: the richest window."""
    model = session.window.model
    candidates = []
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        client = model.data(index, ROW_ROLE)
        conn = model.data(index, CONNECTION_ROLE)
        if client.status == SubscriptionStatus.ACTIVE and conn.state is ConnectionState.ONLINE:
            candidates.append(client.id)
    if not candidates:
        return model.client_id(0) if model.rowCount() else None
    return int(min(candidates))


def capture(session: Session, out_dir: Path) -> int:
    """Write the screenshots; 0 when every one was written after the status refresh landed."""
    out_dir.mkdir(parents=True, exist_ok=True)
    window, status = session.window, session.status
    window.show()
    if not wait_until(lambda: window.list_ready, REFRESH_TIMEOUT_S):
        log.error("The client list did not load within %.0f s", REFRESH_TIMEOUT_S)
        return 1
    refreshed = []
    status.refreshed.connect(lambda: refreshed.append(True))
    status.start()
    if not wait_until(lambda: bool(refreshed), REFRESH_TIMEOUT_S):
        log.error("The status refresh did not finish within %.0f s", REFRESH_TIMEOUT_S)
        return 1
    client_id = showcase_client(session)
    if client_id is not None:
        window.select_client(client_id)
    written: list[Path] = []
    checked: list[bool] = []
    if client_id is not None:
        row = window.model.client_row(client_id)
        key = (row.server_id, row.pppoe_username) if row is not None else None
        session.ctx.connections.changed.connect(lambda keys: checked.append(key in {tuple(k) for k in keys}))
    for size in SCREEN_SIZES:
        with screen_of(size):
            written += _on_screen(session, client_id, checked, size, out_dir)
    written += _staff_screens(session, out_dir)
    print("\n".join(str(p) for p in written))
    QApplication.closeAllWindows()
    return 0


def _on_screen(session: Session, client_id: int | None, checked: list[bool], size: QSize,
               out_dir: Path) -> list[Path]:
    from ispclient.ui.window_state import fitted_size

    window = session.window
    suffix = f"{size.width()}x{size.height()}"
    written: list[Path] = []
    forget_saved_sizes(session)
    window.resize(fitted_size(window.default_size, window))  # as on a first run on this screen
    settle()
    written.append(save(window, out_dir / f"main-{suffix}.png"))
    if client_id is not None:
        checked.clear()
        client = window.open_client(client_id)  # asks for this client's own, fuller status
        wait_until(lambda c=client: c.detail is not None and any(checked), 5.0)  # type: ignore[misc]
        settle()
        for i, name in enumerate(("overview", "subscriptions", "activity")):
            client.tabs.setCurrentIndex(i)
            settle()
            written.append(save(client, out_dir / f"client-{name}-{suffix}.png"))
        client.tabs.setCurrentIndex(0)
        written += _dialogs(session, client, suffix, out_dir)
        client.close()
        settle()
    written += _tool_windows(session, suffix, out_dir)
    return written


def forget_saved_sizes(session: Session) -> None:
    """Windows open at their first-run size on each pictured screen (not as last closed)."""
    from ispclient.ui.window_state import forget_groups

    forget_groups(str(session.ctx.paths.settings_file), ("ClientWindow", "RouterSyncWindow"))


def _tool_windows(session: Session, suffix: str, out_dir: Path) -> list[Path]:
    """Router sync and the set-up wizard, as they open on this screen."""
    from ispclient.ui.router_sync_window import RouterSyncWindow
    from ispclient.ui.setup_wizard import SetupWizard

    written = []
    sync = RouterSyncWindow(session.ctx, session.runner, session.window)
    sync.show()
    settle(400)
    written.append(save(sync, out_dir / f"router-sync-{suffix}.png"))
    sync.close()
    sync.deleteLater()
    wizard = SetupWizard(session.ctx, session.window)
    wizard.show()
    settle(250)
    written.append(save(wizard, out_dir / f"wizard-{suffix}.png"))
    wizard.done(0)
    wizard.deleteLater()
    settle()
    return written


def _staff_screens(session: Session, out_dir: Path) -> list[Path]:
    """The sign-in (as Switch user shows it), the Staff window and the cash-up of the demo's day,
    at the smaller screen size."""
    from ispclient import demo as demo_data
    from ispclient.ui.dialogs.sign_in_dialog import SignInDialog
    from ispclient.ui.shifts_window import CloseShiftDialog, ShiftsWindow
    from ispclient.ui.staff_window import StaffWindow

    suffix = f"{SCREEN_SIZES[0].width()}x{SCREEN_SIZES[0].height()}"
    written = []
    hint = (f"Demo accounts: {', '.join(u for u, _n, _r in demo_data.DEMO_STAFF)}; "
            f"password {demo_data.DEMO_STAFF_PASSWORD}")
    sign_in = SignInDialog(None, locked_by="switch user", username="grace", hint=hint)
    sign_in.show()
    settle(250)
    written.append(save(sign_in, out_dir / f"sign-in-{suffix}.png"))
    sign_in.done(0)
    sign_in.deleteLater()
    window = session.window
    staff = window.show_staff()
    assert isinstance(staff, StaffWindow)
    staff.resize(900, 420)
    wait_until(lambda: staff.model.rowCount() > 0, 5.0)
    settle()
    written.append(save(staff, out_dir / f"staff-{suffix}.png"))
    staff.close()
    shifts = window.show_shifts()
    assert isinstance(shifts, ShiftsWindow)
    shifts.resize(QSize(SCREEN_SIZES[0].width() - 60, SCREEN_SIZES[0].height() - TASKBAR - 60))
    wait_until(lambda: shifts.model.rowCount() > 0 and shifts.report is not None, 5.0)
    closed = next((r for r in range(shifts.model.rowCount()) if not shifts.model.row_at(r).is_open), None)
    if closed is not None:
        shifts.report = None
        shifts.table.selectRow(closed)
        wait_until(lambda: shifts.report is not None, 5.0)
    settle()
    written.append(save(shifts, out_dir / f"cash-up-{suffix}.png"))
    opened = next((r for r in range(shifts.model.rowCount()) if shifts.model.row_at(r).is_open), None)
    if opened is not None:
        shifts.report = None
        shifts.table.selectRow(opened)
        wait_until(lambda: shifts.report is not None, 5.0)
        assert shifts.report is not None
        dialog = CloseShiftDialog(shifts.report, shifts)
        dialog.counted.setText(str(shifts.report.cash_up.expected_cash_minor // 100 - 20))
        dialog.show()
        settle(250)
        written.append(save(dialog, out_dir / f"cash-up-dialog-{suffix}.png"))
        dialog.done(0)
        dialog.deleteLater()
    shifts.close()
    return written


def _dialogs(session: Session, client: QWidget, suffix: str, out_dir: Path) -> list[Path]:
    from ispclient.ui.client.window import ClientWindow
    from ispclient.ui.dialogs.server_dialog import ServerDialog
    from ispclient.ui.dialogs.subscription_dialog import SubscriptionDialog

    assert isinstance(client, ClientWindow) and client.detail is not None
    written = []
    sub_dialog = SubscriptionDialog(session.ctx, client.detail, parent=client)
    sub_dialog.show()
    settle(250)
    written.append(save(sub_dialog, out_dir / f"subscription-dialog-{suffix}.png"))
    sub_dialog.done(0)
    sub_dialog.deleteLater()
    client_row = session.window.model.client_row(client.client_id)
    server_id = client_row.server_id if client_row and client_row.server_id else session.ctx.catalog().servers[0].id
    dialog = ServerDialog(session.ctx, server_id, session.window)
    dialog.show()
    settle(250)
    written.append(save(dialog, out_dir / f"server-dialog-{suffix}.png"))
    dialog.done(0)
    dialog.deleteLater()
    return written
