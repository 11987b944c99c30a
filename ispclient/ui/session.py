"""Who is signed in at this PC, and locking the window behind the sign-in (Switch user, idle).

The signed-in member is a context variable of the GUI thread (``store/access.py``): set here at
sign-in, it goes with every background op, so the store checks and audits the right person.
Windows ask :meth:`StaffSession.refusal` to disable what the role can't do and listen to
:attr:`StaffSession.changed` (a different member signed in, another role).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from ispclient.domain import permissions
from ispclient.domain.permissions import Actor, Permission, Role
from ispclient.store import access

if TYPE_CHECKING:
    from ispclient.ui.context import AppContext

log = logging.getLogger(__name__)


class StaffSession(QObject):
    changed = Signal()  # signed in, locked, or a different member
    locked_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.locked = False
        self.last_username = ""

    @property
    def actor(self) -> Actor | None:
        """The member signed in; the system where the app runs without sign-in (tests, scripts)."""
        return access.current()

    @property
    def role(self) -> Role | None:
        actor = self.actor
        return actor.role if actor is not None else None

    def refusal(self, permission: Permission) -> str | None:
        """The tooltip of a control the signed-in role can't use (None: it can)."""
        actor = self.actor
        if actor is None:
            return "Sign in first."
        return permissions.tooltip(actor.role, permission)

    def can(self, permission: Permission) -> bool:
        return self.refusal(permission) is None

    def sign_in(self, actor: Actor) -> None:
        access.sign_in_here(actor)
        self.last_username = actor.username
        self.locked = False
        log.info("signed in: %s (%s)", actor.username, actor.role.value if actor.role else "system")
        self.locked_changed.emit(False)
        self.changed.emit()

    def lock(self) -> None:
        """Nobody may act until someone signs in (work already started finishes as its owner)."""
        access.sign_in_here(None)
        self.locked = True
        self.locked_changed.emit(True)
        self.changed.emit()

    def describe(self) -> str:
        actor = self.actor
        if actor is None:
            return "Locked"
        if actor.role is None:
            return ""
        return f"Signed in: {actor.name} ({actor.role.value})"


class Locker(QObject):
    """Locks the app behind the sign-in without closing anything: every window is hidden (its
    forms keep what was typed), the sign-in shows, and the windows come back for whoever signs
    in. Closing the sign-in quits."""

    def __init__(self, session: StaffSession, quit_app: Callable[[], object], parent: QObject | None = None,
                 demo_hint: str = "") -> None:
        super().__init__(parent)
        self.session = session
        self.quit_app = quit_app
        self.demo_hint = demo_hint
        self._hidden: list[QWidget] = []
        self.dialog: QWidget | None = None
        self.idle: IdleWatcher | None = None

    def lock(self, why: str = "switch user") -> None:
        if self.session.locked:
            return
        self._hidden = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        QApplication.setQuitOnLastWindowClosed(False)  # every window hidden is not the app closing
        self.session.lock()
        for window in self._hidden:
            window.hide()
        self._ask(why)

    def _ask(self, why: str) -> None:
        from ispclient.ui.dialogs.sign_in_dialog import SignInDialog

        dialog = SignInDialog(None, locked_by=why, username="", hint=self.demo_hint)
        dialog.setModal(False)
        dialog.accepted.connect(lambda: self._signed_in(dialog))
        dialog.rejected.connect(lambda: self._gave_up(dialog))
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _signed_in(self, dialog: QWidget) -> None:
        from ispclient.ui.dialogs.sign_in_dialog import SignInDialog

        assert isinstance(dialog, SignInDialog)
        actor = dialog.actor
        dialog.deleteLater()
        self.dialog = None
        if actor is None:
            return
        self.session.sign_in(actor)
        for window in self._hidden:
            if shiboken6.isValid(window):
                window.show()
        self._hidden = []
        QApplication.setQuitOnLastWindowClosed(True)

    def _gave_up(self, dialog: QWidget) -> None:
        dialog.deleteLater()
        self.dialog = None
        for window in self._hidden:  # shown only to close them properly (they save their state)
            if shiboken6.isValid(window):
                window.close()
        self._hidden = []
        self.quit_app()


class IdleWatcher(QObject):
    """Locks after the settings' minutes without a key or mouse press anywhere in the app (0: never).
    ``minutes_now`` reads them; they are read again when the settings change (a method slot, so the
    connection ends with this watcher: a lambda would outlive it and reach a deleted timer)."""

    _INPUT = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}

    def __init__(self, locker: Locker, minutes_now: Callable[[], int], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.locker = locker
        self._minutes_now = minutes_now
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._idle)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.set_minutes(minutes_now())

    def set_minutes(self, minutes: int) -> None:
        self.minutes = max(0, int(minutes))
        if self.minutes:
            self.timer.setInterval(self.minutes * 60_000)
            self.timer.start()
        else:
            self.timer.stop()

    def settings_changed(self) -> None:
        self.set_minutes(self._minutes_now())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if self.minutes and event.type() in self._INPUT and not self.locker.session.locked:
            self.timer.start()
        return False

    def _idle(self) -> None:
        if self.minutes and not self.locker.session.locked:
            self.locker.lock(f"nobody used it for {self.minutes} minute{'s' if self.minutes != 1 else ''}")


LAST_USERNAME_KEY = "SignIn/lastUsername"


def sign_in_at_start(ctx: AppContext, parent: QWidget | None = None) -> bool:
    """Before the main window shows: the owner account when the data has no staff yet (a new
    data folder, or the first start after the upgrade), else the sign-in. False: the person
    gave up (the app closes). Read at start-up like the settings, before any window is shown."""
    from PySide6.QtCore import QSettings

    from ispclient.store import staff
    from ispclient.ui.dialogs.sign_in_dialog import FirstOwnerDialog, SignInDialog

    if not staff.has_staff():
        actor = FirstOwnerDialog.ask(parent, upgrade=staff.has_history())
    else:
        last = str(QSettings().value(LAST_USERNAME_KEY, "") or "")
        actor = SignInDialog.ask(parent, username=last)
    if actor is None:
        return False
    QSettings().setValue(LAST_USERNAME_KEY, actor.username)
    ctx.session.sign_in(actor)
    return True


def install_locker(ctx: AppContext, window: QWidget, demo_hint: str = "") -> Locker:
    """Switch user (Ctrl+L) and the idle lock for this app."""
    locker = Locker(ctx.session, QApplication.quit, window, demo_hint=demo_hint)
    idle = IdleWatcher(locker, lambda: ctx.settings().idle_lock_minutes, locker)
    ctx.store.settings_changed.connect(idle.settings_changed)
    locker.idle = idle
    return locker
