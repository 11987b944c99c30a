"""Manage ▸ Staff (the owner): accounts, their roles, on or off, a new password. Accounts are
never deleted — the activity names them — they are turned off."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain import staff as rules
from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import ROLE_HELP, Permission, Role
from ispclient.logging_setup import register_secret
from ispclient.store import staff
from ispclient.store.changes import Changes
from ispclient.store.staff import StaffView
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.dialogs.subscription_view import set_allowed
from ispclient.ui.help import install_f1
from ispclient.ui.models.rows import RowListModel, list_view
from ispclient.ui.widgets.formatting import local_time
from ispclient.ui.window_state import WindowState

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    USERNAME = 1
    ROLE = 2
    STATUS = 3
    PASSWORD = 4


HEADERS = {Column.NAME: "Name", Column.USERNAME: "Username", Column.ROLE: "Role", Column.STATUS: "Status",
           Column.PASSWORD: "Password set"}


class StaffModel(RowListModel[StaffView]):
    headers = tuple(HEADERS[c] for c in Column)
    _tz = ""

    def set_rows(self, rows: Sequence[StaffView], tz_name: str) -> None:
        self._tz = tz_name
        self._replace_rows(rows)

    def row_of(self, staff_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == staff_id), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Qt.ItemDataRole.ToolTipRole and col is Column.ROLE:
            return ROLE_HELP[row.role]
        if role == Qt.ItemDataRole.ForegroundRole and not row.active:
            return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    def _display(self, row: StaffView, col: Column) -> str:
        if col is Column.NAME:
            return row.display_name
        if col is Column.USERNAME:
            return row.username
        if col is Column.ROLE:
            return row.role.label
        if col is Column.STATUS:
            if not row.active:
                return "Turned off"
            return f"Locked ({row.locked_seconds} s)" if row.locked_seconds else "Can sign in"
        return local_time(row.password_changed_at, self._tz)


class StaffDialog(FormDialog):
    """A new account (with its first password), or an edit (a new password only when typed)."""

    def __init__(self, ctx: AppContext, existing: StaffView | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit staff account" if existing else "New staff account", parent)
        self.setObjectName("staffDialog")
        self.ctx = ctx
        self.existing = existing
        self.setMinimumWidth(500)
        self.display_name = QLineEdit(existing.display_name if existing else "")
        self.display_name.setObjectName("display_name")
        self.username = QLineEdit(existing.username if existing else "")
        self.username.setObjectName("username")
        self.role = QComboBox()
        self.role.setObjectName("role")
        for r in Role:
            self.role.addItem(r.label, r.value)
            self.role.setItemData(self.role.count() - 1, ROLE_HELP[r], Qt.ItemDataRole.ToolTipRole)
        self.role.setCurrentIndex(max(0, self.role.findData((existing.role if existing else Role.CASHIER).value)))
        self.role_help = QLabel()
        self.role_help.setWordWrap(True)
        self.role_help.setStyleSheet("color: palette(placeholder-text);")
        self.active = QCheckBox("Can &sign in")
        self.active.setChecked(existing.active if existing else True)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("repeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        if existing:
            self.password.setPlaceholderText("leave empty to keep the password")
        f = self.fields
        f.add("display_name", "&Name:", self.display_name, hint="As receipts and the activity show it.")
        f.add("username", "&Username:", self.username)
        f.add("role", "&Role:", self.role)
        self.form_layout.addRow("", self.role_help)
        f.add("active", "", self.active, hint="Turned off: can't sign in; the activity keeps the name.")
        f.add("password", "New &password:" if existing else "&Password:", self.password,
              hint=f"At least {rules.MIN_PASSWORD} characters. Tell it to the person; they can change it in "
                   "File ▸ Change my password.")
        f.add("repeat", "&Again:", self.repeat)
        self.role.currentIndexChanged.connect(self._show_role_help)
        self._show_role_help()
        self.finish_layout()
        install_f1(self, "staff")
        self.display_name.setFocus()

    def _show_role_help(self) -> None:
        self.role_help.setText(ROLE_HELP[Role(self.role.currentData())])

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        checks: tuple[tuple[str, Callable[[], object]], ...] = (
            ("display_name", lambda: rules.display_name(self.display_name.text())),
            ("username", lambda: rules.username(self.username.text())),
        )
        for field, check in checks:
            try:
                check()
            except ValidationError as e:
                errors[field] = next(iter(e.errors.values()))
        if self.password.text() or self.existing is None:
            try:
                rules.password(self.password.text(), self.username.text())
            except ValidationError as e:
                errors["password"] = next(iter(e.errors.values()))
        if self.repeat.text() != self.password.text():
            errors["repeat"] = "The two passwords differ."
        return errors

    def work(self) -> Callable[[], Any]:
        password = self.password.text() or None
        register_secret(password)
        data = staff.StaffInput(self.username.text(), self.display_name.text(), str(self.role.currentData()),
                                self.active.isChecked(), password)
        if self.existing is None:
            return lambda: staff.create_staff(data)
        staff_id, version = self.existing.id, self.existing.version
        return lambda: staff.edit_staff(staff_id, data, expected_version=version)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, existing: StaffView | None = None) -> int | None:
        return cls.run(cls(ctx, existing, parent))


class StaffWindow(WindowState, QWidget):
    state_group = "StaffWindow"
    default_size = QSize(820, 420)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("staffWindow")
        self.setWindowTitle("Staff")
        self.ctx = ctx
        self._select_later: int | None = None
        self.model = StaffModel(self)
        self.table = list_view(self.model, "staff")
        intro = QLabel("Everyone signs in with their own account; the activity and the cash-ups name them. "
                       "Accounts are turned off, never deleted.")
        intro.setWordWrap(True)
        self.add_button = QPushButton("&Add account…")
        self.edit_button = QPushButton("&Edit…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.table.activated.connect(lambda _i: self.edit())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        install_f1(self, "staff")
        ctx.events.changed.connect(self._changed)
        ctx.session.changed.connect(self._update_buttons)
        self.restore_window_state()
        self._update_buttons()
        self.reload()

    def _changed(self, changes: Changes) -> None:
        if changes.staff:
            self.reload()

    def reload(self) -> None:
        ops.Op(self, staff.staff_list, key="list").on_success(self._show).run()

    def _show(self, rows: list[StaffView]) -> None:
        selected = self._select_later or self.selected_id()
        self._select_later = None
        self.model.set_rows(rows, self.ctx.settings().timezone)
        self.table.resizeColumnsToContents()
        row = self.model.row_of(selected) if selected is not None else -1
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        self._update_buttons()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return int(self.model.row_at(rows[0].row()).id) if rows else None

    def _update_buttons(self) -> None:
        refusal = self.ctx.session.refusal(Permission.STAFF)
        set_allowed(self.add_button, refusal, "A new account with its role and first password.")
        has = bool(self.table.selectionModel().selectedRows())
        set_allowed(self.edit_button, refusal or (None if has else "Select an account first."),
                    "Name, role, turn it off or on, set a new password.")

    def add(self) -> None:
        if not self.add_button.isEnabled():
            return
        staff_id = StaffDialog.ask(self, self.ctx)
        if staff_id is not None:
            self._select_later = staff_id

    def edit(self) -> None:
        staff_id = self.selected_id()
        if staff_id is None or not self.edit_button.isEnabled():
            return
        StaffDialog.ask(self, self.ctx, self.model.row_at(self.model.row_of(staff_id)))
