"""Backups in the app: "Back up now", "Restore from a backup…", "Check database", the daily
backup at start-up, and the offer to restore when the data is refused at start-up.

The main window creates one :class:`BackupActions` and puts ``.actions`` in its File menu; the
slow parts (copying, checking, the file swap of a restore) run as background ops on the slow
lane; a restore first stops the other background work and closes the database, then the app
restarts on the restored data.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ispclient import store
from ispclient.domain.permissions import SYSTEM, Permission
from ispclient.paths import AppPaths
from ispclient.store import access, backup, integrity
from ispclient.store.instance_lock import InstanceLock
from ispclient.store.schema import SchemaError
from ispclient.ui import msgbox, ops

log = logging.getLogger(__name__)

_ON_POSTGRES = "The data is on PostgreSQL: it is backed up and checked on the server (pg_dump)."
AUTOMATIC_BACKUP_DELAY_MS = 30_000
PATH_ROLE = Qt.ItemDataRole.UserRole


class RestoreDialog(QDialog):
    """Choose a backup: newest first, with its date, kind and size — or another file."""

    def __init__(self, parent: QWidget | None, backups: list[backup.BackupInfo]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore from a backup")
        self.resize(560, 360)
        self._other: Path | None = None
        self.list = QTreeWidget(self)
        self.list.setHeaderLabels(["Made", "Kind", "Size"])
        self.list.setRootIsDecorated(False)
        for info in backups:
            item = QTreeWidgetItem([f"{info.taken_at:%a %d %b %Y %H:%M}", info.kind_label, backup.size_text(info.size)])
            item.setData(0, PATH_ROLE, str(info.path))
            item.setToolTip(0, str(info.path))
            self.list.addTopLevelItem(item)
        for column in range(3):
            self.list.resizeColumnToContents(column)
        first = self.list.topLevelItem(0)
        if first is not None:
            self.list.setCurrentItem(first)
        self.list.itemDoubleClicked.connect(lambda *_: self.accept())
        note = QLabel("The data you have now is kept as a copy before the backup is put back. "
                      "ispclient then restarts." if backups else "There are no backups yet.", self)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok = buttons.addButton("&Restore…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setEnabled(bool(backups))
        other: QPushButton = buttons.addButton("&Other file…", QDialogButtonBox.ButtonRole.ActionRole)
        other.clicked.connect(self._choose_file)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Restore a backup file", "",
                                              "ispclient backups (*.sqlite3);;All files (*)")
        if name:
            self._other = Path(name)
            self.accept()

    def chosen(self) -> Path | None:
        if self._other is not None:
            return self._other
        item = self.list.currentItem()
        return Path(item.data(0, PATH_ROLE)) if item is not None else None

    @classmethod
    def ask(cls, parent: QWidget | None, backups: list[backup.BackupInfo]) -> Path | None:
        dialog = cls(parent, backups)
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None


def restart_command() -> tuple[str, list[str]]:
    """How to start this program again with the same arguments (frozen build or Python)."""
    if getattr(sys, "frozen", False):
        return sys.executable, sys.argv[1:]
    return sys.executable, ["-m", "ispclient", *sys.argv[1:]]


def restart_app() -> None:
    program, args = restart_command()
    if not QProcess.startDetached(program, args):
        log.error("could not restart %s %s", program, args)
    QApplication.quit()


class BackupActions(QObject):
    status_message = Signal(str)  # for the main window's status bar

    def __init__(self, parent: QWidget, paths: AppPaths, *, db_url: str | None = None,
                 lock: InstanceLock | None = None, restart: Callable[[], object] = restart_app) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.paths = paths
        self.db_url = db_url
        self.db_path = backup.sqlite_file(paths, db_url)
        self.lock = lock
        self.restart = restart
        self.back_up_action = QAction("&Back up now", parent)
        self.restore_action = QAction("&Restore from a backup…", parent)
        self.check_action = QAction("&Check database", parent)
        self.back_up_action.triggered.connect(self.back_up_now)
        self.restore_action.triggered.connect(self.restore)
        self.check_action.triggered.connect(self.check_database)
        for action in self.actions:
            action.setEnabled(self.db_path is not None)
            if self.db_path is None:
                action.setToolTip(_ON_POSTGRES)
                action.setStatusTip(_ON_POSTGRES)

    @property
    def actions(self) -> list[QAction]:
        return [self.back_up_action, self.restore_action, self.check_action]

    # --- backing up ----------------------------------------------------------------------------

    def schedule_automatic_backup(self, delay_ms: int = AUTOMATIC_BACKUP_DELAY_MS) -> None:
        """The daily backup, a little after start-up: at 100,000 clients the copy and its check
        take ~0.7 s of disk and CPU, which would slow the first load of the client list."""
        QTimer.singleShot(delay_ms, self, self.start_automatic_backup)

    def start_automatic_backup(self) -> ops.Op[backup.BackupInfo | None] | None:
        """The daily backup, if due, in the background; the status bar tells when it's done.
        None when the data is not a SQLite file (PostgreSQL is backed up on its server)."""
        if self.db_path is None:
            return None
        paths, db_url = self.paths, self.db_url
        return ops.Op(self, access.as_system(lambda: backup.maybe_backup(paths, db_url=db_url)), key="auto",
                      lane=ops.Lane.SLOW) \
            .on_success(self._automatic_backup_done) \
            .on_failure(lambda error: msgbox.error(self.parent_widget, "Daily backup failed", str(error))).run()

    def _automatic_backup_done(self, result: backup.BackupInfo | None) -> None:
        if result is not None:
            self.status_message.emit(f"Daily backup saved ({backup.size_text(result.size)}).")

    def back_up_now(self) -> None:
        db_path, backup_dir = self.db_path, self.paths.backup_dir
        assert db_path is not None
        self.back_up_action.setEnabled(False)
        self.status_message.emit("Backing up…")
        ops.Op(self, lambda: backup.create_backup(db_path, backup_dir, "manual"), key="backup", lane=ops.Lane.SLOW) \
            .on_success(self._backed_up).on_failure(self._failed("Backup failed")) \
            .on_done(lambda: self.back_up_action.setEnabled(True)).run()

    def _backed_up(self, info: backup.BackupInfo) -> None:
        self.status_message.emit("Backup saved.")
        msgbox.info(self.parent_widget, "Backup saved",
                    f"The data was backed up to:\n{info.path}\n({backup.size_text(info.size)})")

    def _failed(self, title: str) -> Callable[[BaseException], None]:
        def show(error: BaseException) -> None:
            QGuiApplication.restoreOverrideCursor()
            self.status_message.emit(f"{title}.")
            msgbox.error(self.parent_widget, title, str(error))
        return show

    # --- restoring -----------------------------------------------------------------------------

    def restore(self) -> None:
        assert self.db_path is not None
        chosen = RestoreDialog.ask(self.parent_widget, backup.list_backups(self.paths.backup_dir, self.db_path.stem))
        if chosen is None:
            return
        if not msgbox.confirm(self.parent_widget, "Restore from a backup",
                              f"Put back the data saved in {chosen.name}?\n\nEverything entered since then "
                              f"is replaced. The data as it is now is kept as a copy in {self.paths.backup_dir}. "
                              "ispclient restarts afterwards.", ok_text="Restore and restart"):
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        self.status_message.emit("Checking the backup…")
        def check() -> int:
            access.check(Permission.RESTORE)  # asked while the database is open; restore() trusts the session
            return backup.verify_backup(chosen)

        ops.Op(self, check, key="restore", lane=ops.Lane.SLOW) \
            .on_success(lambda version: self._put_back(chosen, version)) \
            .on_failure(self._failed("The backup can't be restored")).run()

    def _put_back(self, chosen: Path, version: int) -> None:
        """The backup checked out: stop the background work (each worker closes its database
        connection), close the database, swap the files in the background, restart."""
        db_path, backup_dir = self.db_path, self.paths.backup_dir
        assert db_path is not None
        self.status_message.emit("Restoring…")
        ops.shutdown(5000)
        store.close_database()

        def failed(error: BaseException) -> None:
            store.open_database(db_path, backup_dir)  # carry on with the data as it was
            self._failed("The backup can't be restored")(error)

        ops.Op(self, lambda: backup.restore(chosen, db_path, backup_dir, verified_version=version),
               key="restore", lane=ops.Lane.SLOW).on_success(lambda _r: self._restored()).on_failure(failed).run()

    def _restored(self) -> None:
        QGuiApplication.restoreOverrideCursor()
        if self.lock is not None:
            self.lock.release()  # the restarted app takes it
        self.restart()

    # --- checking ------------------------------------------------------------------------------

    def check_database(self) -> None:
        assert self.db_path is not None
        self.check_action.setEnabled(False)
        self.status_message.emit("Checking the database…")
        db_path = self.db_path
        ops.Op(self, lambda: integrity.check_file(db_path), key="check", lane=ops.Lane.SLOW) \
            .on_success(self._checked).on_failure(self._failed("The check could not run")) \
            .on_done(lambda: self.check_action.setEnabled(True)).run()

    def _checked(self, result: integrity.CheckResult) -> None:
        assert self.db_path is not None
        if result.ok:
            self.status_message.emit("Database checked: no problems.")
            msgbox.info(self.parent_widget, "Database check", result.summary())
            return
        integrity.mark_suspect(self.db_path, "the check in the app found damage")
        hint, _ = backup.restore_hint(self.paths.backup_dir, self.db_path.stem)
        if msgbox.choose(self.parent_widget, "The database is damaged", f"{result.summary()}\n\n{hint}",
                         ["Restore from a backup…"]):
            self.restore()


def offer_restore(parent: QWidget | None, error: SchemaError, paths: AppPaths, db_url: str | None = None) -> bool:
    """At start-up, when the data was refused: say why and offer the newest good backup (or a
    choice of backups). True when one was restored and the caller should open the data again."""
    db_path = backup.sqlite_file(paths, db_url)
    choices = ["Restore this backup"] if error.backup is not None else []
    if db_path is not None:
        choices.append("Choose a backup…")
    answer = msgbox.choose(parent, "The data can't be opened", str(error), choices, close_text="Quit")
    if answer is None or db_path is None:
        return False
    chosen = error.backup if answer == "Restore this backup" else RestoreDialog.ask(
        parent, backup.list_backups(paths.backup_dir, db_path.stem))
    if chosen is None:
        return False
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        with access.acting_as(SYSTEM):  # the data can't be opened, so nobody could sign in: the PC's user decides
            backup.restore(chosen, db_path, paths.backup_dir)
    except backup.BackupError as e:
        QGuiApplication.restoreOverrideCursor()
        msgbox.error(parent, "The backup can't be restored", str(e))
        return False
    QGuiApplication.restoreOverrideCursor()
    return True
