"""``ispclient --demo --screenshot DIR``: the main screens as PNG files, for the README and for
checking at a glance that nothing is clipped at common screen sizes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEventLoop, QSize
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


def save(widget: QWidget, path: Path) -> Path:
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    log.info("screenshot %s", path)
    return path


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
    available = QSize(SCREEN_SIZES[0].width(), SCREEN_SIZES[0].height() - TASKBAR)
    window.resize(available)
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
        suffix = f"{size.width()}x{size.height()}"
        available = QSize(size.width(), size.height() - TASKBAR)
        window.resize(available)
        settle()
        written.append(save(window, out_dir / f"main-{suffix}.png"))
        if client_id is None:
            continue
        checked.clear()
        client = window.open_client(client_id)  # asks for this client's own, fuller status
        client.resize(available.boundedTo(QSize(1280, 860)))
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
    print("\n".join(str(p) for p in written))
    QApplication.closeAllWindows()
    return 0


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
