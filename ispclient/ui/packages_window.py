"""Packages: list, add, edit. Packages are never deleted (history keeps them); they go off sale."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.money import format_money
from ispclient.store.queries import PackageInfo
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.package_dialog import PackageDialog
from ispclient.ui.dialogs.subscription_view import set_allowed
from ispclient.ui.help import install_f1
from ispclient.ui.models.rows import RowListModel, list_view
from ispclient.ui.widgets.formatting import plural
from ispclient.ui.window_state import WindowState

_Index = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    NAME = 0
    PRICE = 1
    VALIDITY = 2
    PROFILE = 3
    ON_SALE = 4
    DESCRIPTION = 5


HEADERS = {
    Column.NAME: "Name", Column.PRICE: "Price", Column.VALIDITY: "Validity", Column.PROFILE: "PPP profile",
    Column.ON_SALE: "On sale", Column.DESCRIPTION: "Description",
}
PACKAGE_ID_ROLE = Qt.ItemDataRole.UserRole + 1


class PackagesModel(RowListModel[PackageInfo]):
    headers = tuple(HEADERS[c] for c in Column)
    _currency = "USD"

    def set_rows(self, rows: Sequence[PackageInfo], currency: str) -> None:
        self._currency = currency
        self._replace_rows(rows)

    def row_of(self, package_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == package_id), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        pkg = self._rows[index.row()]
        col = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(pkg, col)
        if role == Qt.ItemDataRole.ForegroundRole and not pkg.active:
            return QApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        if role == Qt.ItemDataRole.ToolTipRole and not pkg.active:
            return "Not on sale: existing subscriptions keep it, new ones can't use it."
        if role == Qt.ItemDataRole.TextAlignmentRole and col is Column.PRICE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == PACKAGE_ID_ROLE:
            return pkg.id
        return None

    def _display(self, pkg: PackageInfo, col: Column) -> str:
        if col is Column.NAME:
            return str(pkg.name)
        if col is Column.PRICE:
            return format_money(pkg.price_minor, self._currency)
        if col is Column.VALIDITY:
            return plural(pkg.validity_days, "day")
        if col is Column.PROFILE:
            return str(pkg.ppp_profile)
        if col is Column.ON_SALE:
            return "Yes" if pkg.active else "No"
        return str(pkg.description).splitlines()[0] if pkg.description else ""


class PackagesWindow(WindowState, QWidget):
    state_group = "PackagesWindow"
    default_size = QSize(820, 420)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Packages")
        self.ctx = ctx
        self._select_later: int | None = None
        self.model = PackagesModel(self)
        self.table = list_view(self.model, "packages")
        self.show_inactive = QCheckBox("Show packages &not on sale")
        self.show_inactive.setChecked(True)
        self.add_button = QPushButton("&Add package…")
        self.edit_button = QPushButton("&Edit…")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_inactive)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.show_inactive.toggled.connect(self.reload)
        self.table.activated.connect(lambda _i: self.edit())
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        install_f1(self, "packages")
        ctx.store.catalog_changed.connect(self.reload)
        ctx.store.settings_changed.connect(self.reload)
        self.restore_window_state()
        self.reload()

    def reload(self, *_args: object) -> None:
        selected = self.selected_id()
        if self._select_later is not None:
            selected, self._select_later = self._select_later, None
        packages = self.ctx.catalog().packages
        rows = packages if self.show_inactive.isChecked() else [p for p in packages if p.active]
        self.model.set_rows(rows, self.ctx.settings().currency)
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
        has = bool(self.table.selectionModel().selectedRows())
        set_allowed(self.edit_button, None if has else
                    ("Select a package first." if self.model.rowCount() else "No packages yet."),
                    "Change price, validity or profile, or take it off sale. Sold subscriptions keep "
                    "the price they were sold at.")

    def add(self) -> None:
        package_id = PackageDialog.ask(self, self.ctx)
        if package_id is not None:
            self._select_later = package_id  # selected once the catalog is read again
            if self.model.row_of(package_id) >= 0:
                self.reload()

    def edit(self) -> None:
        package_id = self.selected_id()
        if package_id is not None:
            PackageDialog.ask(self, self.ctx, package_id)
