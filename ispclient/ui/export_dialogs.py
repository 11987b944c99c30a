"""File ▸ Export: the client list as shown, and payments, subscriptions or the audit log.

The list export takes what the window shows — the rows in their order (search, filters and
sort applied) and the visible columns in their on-screen order — and reads the values again in
the background (:func:`ispclient.dataio.export.client_list`): the GUI thread only collects ids.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ispclient.dataio import export
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.help import install_f1
from ispclient.ui.import_wizard import ask_save_path
from ispclient.ui.models.client_list import HEADERS, ClientListModel, Column

FILE_TYPES = "Excel workbook (*.xlsx);;CSV (*.csv)"


def shown_columns(header: QHeaderView) -> list[Column]:
    """The list's visible columns in the order the user sees them."""
    logical = [header.logicalIndex(v) for v in range(header.count())]
    return [Column(i) for i in logical if 0 <= i < len(Column) and not header.isSectionHidden(i)]


def export_client_list(parent: QWidget, ctx: AppContext, model: ClientListModel, header: QHeaderView,
                       on_done: object = None) -> ops.Op[int] | None:
    """Ask where, then write the list as shown; the op, or None when the user cancelled."""
    path = ask_save_path(parent, "Export the client list", str(Path.home() / f"clients-{date.today()}.xlsx"),
                         FILE_TYPES)
    if not path:
        return None
    ids = model.visible_client_ids()
    columns = shown_columns(header)
    names, titles = [c.name for c in columns], [HEADERS[c] for c in columns]
    today, days, book = ctx.today(), ctx.settings().expiring_days, ctx.connections
    fmt = export.format_for(Path(path))

    def connection(server_id: int | None, username: str) -> str:
        # The book is only read here (dictionary look-ups of values the GUI thread replaces whole).
        return book.state(server_id, username).label

    def write() -> int:
        table = export.client_list(ids, names, titles, today, days, connection)
        return export.write(table, Path(path), fmt)

    def done(count: int) -> None:
        window = parent.window()
        bar = getattr(window, "statusBar", None)
        if callable(bar):
            bar().showMessage(f"Exported {count:,} clients to {path}", 10_000)

    return ops.Op(parent, write, key="export-list", lane=ops.Lane.SLOW).on_success(done).run()


class ExportDialog(QDialog):
    """Payments in a date range, subscriptions, or the audit log, to CSV or XLSX."""

    KINDS = (("payments", "Payments"), ("subscriptions", "Subscriptions"), ("audit", "Audit log (who changed what)"),
             ("clients", "Every client, with their current subscription"))

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, kind: str = "payments") -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export data")
        self.kind_box = QComboBox()
        for key, label in self.KINDS:
            self.kind_box.addItem(label, key)
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(kind)))
        today = ctx.today()
        self.start = QDateEdit(QDate(today.year, today.month, 1))
        self.end = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
        self.note = QLabel()
        self.note.setObjectName("exportNote")
        self.note.setWordWrap(True)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        form = QFormLayout()
        form.addRow("&What:", self.kind_box)
        form.addRow("&From:", self.start)
        form.addRow("&To (included):", self.end)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("&Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        install_f1(self, "import")
        self._kind_changed()

    def kind(self) -> str:
        return str(self.kind_box.currentData())

    def _kind_changed(self) -> None:
        dated = self.kind() != "clients"
        self.start.setEnabled(dated)
        self.end.setEnabled(dated)
        self.note.setText({"payments": "Payments taken between the two days.",
                           "subscriptions": "Subscriptions running at some time between the two days.",
                           "audit": "Every change recorded between the two days.",
                           "clients": "Every client (not deleted): what an import into another data folder "
                                      "reads back."}[self.kind()])

    def range(self) -> tuple[date, date]:
        a, b = self.start.date(), self.end.date()
        return date(a.year(), a.month(), a.day()), date(b.year(), b.month(), b.day())

    def export(self) -> None:
        kind = self.kind()
        start, end = self.range()
        if start > end:
            self.note.setText("The first day is after the last one.")
            return
        path = ask_save_path(self, "Export to", str(Path.home() / f"{kind}-{start}-{end}.xlsx"), FILE_TYPES)
        if not path:
            return
        fmt = export.format_for(Path(path))

        def write() -> int:
            if kind == "payments":
                table = export.payments(start, end)
            elif kind == "subscriptions":
                table = export.subscriptions(start, end)
            elif kind == "audit":
                table = export.audit(start, end)
            else:
                table = export.clients()
            return export.write(table, Path(path), fmt)

        self.save_button.setEnabled(False)
        self.note.setText("Exporting…")
        ops.Op(self, write, key="export", lane=ops.Lane.SLOW).on_success(
            lambda n: self._written(n, path)).on_done(lambda: self.save_button.setEnabled(True)).run()

    def _written(self, count: int, path: str) -> None:
        self.note.setText(f"Exported {count:,} rows to {path}.")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")


def open_export(ctx: AppContext, parent: QWidget | None, kind: str = "payments") -> ExportDialog:
    dialog = ExportDialog(ctx, parent, kind)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
