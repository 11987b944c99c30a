"""Forms that say what is wrong beside each field, live, and only let Save through when valid.

:class:`FieldForm` puts a red message under every field, runs the dialog's validator shortly
after the user stops typing (domain validators / ``store.clients.validate``) and keeps Save
disabled while anything is wrong. Messages show for fields the user has touched (or problems an
edit caused elsewhere), so an empty new form is not a wall of red; Save's tooltip names the
first problem meanwhile. Errors
the server raises on save (``ValidationError.errors``) are mapped onto the same labels.

:class:`FormDialog` is the dialog frame around it: general message, form, Save/Cancel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.errors import ValidationError
from ispclient.ui import msgbox

log = logging.getLogger(__name__)

GENERAL = "__all__"
DEBOUNCE_MS = 250


def error_colour(widget: QWidget) -> str:
    """A red that reads on the widget's palette (lighter on dark backgrounds)."""
    return "#ff7b72" if widget.palette().window().color().lightness() < 128 else "#c5221f"


def _connect_change(widget: QWidget, slot: Callable[[], None]) -> None:
    if isinstance(widget, QLineEdit):
        widget.textChanged.connect(slot)
    elif isinstance(widget, QPlainTextEdit):
        widget.textChanged.connect(slot)
    elif isinstance(widget, QComboBox):
        widget.currentIndexChanged.connect(slot)
        if widget.isEditable():
            widget.editTextChanged.connect(slot)
    elif isinstance(widget, QDateEdit):
        widget.dateChanged.connect(slot)
    elif isinstance(widget, QAbstractSpinBox):
        widget.valueChanged.connect(slot)  # type: ignore[attr-defined]
    elif isinstance(widget, QAbstractButton):
        widget.toggled.connect(slot)


class FieldForm(QObject):
    def __init__(self, form: QFormLayout, save: QPushButton, validate: Callable[[], Mapping[str, str]],
                 general: QLabel, *, delay_ms: int = DEBOUNCE_MS,
                 on_layout_change: Callable[[], None] | None = None) -> None:
        super().__init__(save)
        self._on_layout_change = on_layout_change
        self.form = form
        self.save = save
        self.general = general
        self._validate = validate
        self._widgets: dict[str, QWidget] = {}
        self._messages: dict[str, QLabel] = {}
        self._aliases: dict[str, str] = {}
        self._touched: set[str] = set()
        self._live: dict[str, str] = {}
        self._server: dict[str, str] = {}
        self._initial: set[str] = set()  # problems the form opened with (e.g. a new form's empty name)
        self._started = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.validate_now)

    # -- building ------------------------------------------------------------------------

    def add(self, name: str, label: str, widget: QWidget, *, hint: str = "",
            aliases: Iterable[str] = (), buddy: QWidget | None = None) -> QWidget:
        """A row: ``label`` (its ``&`` mnemonic focuses ``buddy``, by default ``widget``), the
        widget, an optional hint and the field's message."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        if hint:
            hint_label = QLabel(hint)
            hint_label.setWordWrap(True)
            hint_label.setObjectName(f"{name}_hint")
            hint_label.setStyleSheet("color: palette(placeholder-text);")
            layout.addWidget(hint_label)
        message = QLabel()
        message.setObjectName(f"{name}_error")
        message.setWordWrap(True)
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setStyleSheet(f"color: {error_colour(box)};")
        message.hide()
        layout.addWidget(message)
        caption = QLabel(label)
        caption.setBuddy(buddy or widget)
        self.form.addRow(caption, box)
        widget.setObjectName(widget.objectName() or name)
        self._widgets[name] = widget
        self._messages[name] = message
        for alias in aliases:
            self._aliases[alias] = name
        _connect_change(widget, lambda *_args: self._changed(name))
        return widget

    def watch(self, widget: QWidget, name: str | None = None) -> None:
        """Revalidate when a widget that is not a field row (e.g. a radio button) changes."""
        _connect_change(widget, lambda *_args: self._changed(name))

    def alias(self, key: str, name: str) -> None:
        """Show errors the services raise under ``key`` beside field ``name``."""
        self._aliases[key] = name

    def start(self) -> None:
        """Call once the fields hold their initial values: decides Save without any red yet."""
        self._started = True
        self._live = self._check()
        self._initial = set(self._live)
        self._refresh()

    # -- state ---------------------------------------------------------------------------

    def widget(self, name: str) -> QWidget:
        return self._widgets[name]

    def message(self, name: str) -> str:
        """The message shown under a field ('' when none is shown)."""
        label = self._messages[name]
        return label.text() if not label.isHidden() else ""

    def errors(self) -> dict[str, str]:
        """What is wrong now: live problems plus any the server reported on the last save."""
        return {**self._live, **self._server}

    def is_valid(self) -> bool:
        return not self.errors()

    # -- validation ----------------------------------------------------------------------

    def schedule(self) -> None:
        if self._started:
            self._timer.start()

    def _changed(self, name: str | None) -> None:
        if not self._started:
            return
        if name is not None:
            self._touched.add(name)
            self._server.pop(name, None)
        self._server.pop(GENERAL, None)
        self._timer.start()

    def _field_for(self, key: str) -> str:
        key = self._aliases.get(key, key)
        return key if key in self._widgets else GENERAL

    def _map(self, errors: Mapping[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, text in errors.items():
            field = self._field_for(key)
            out[field] = f"{out[field]}\n{text}" if field in out else text
        return out

    def pending(self) -> bool:
        """True while a check is waiting for the user to stop typing."""
        return self._timer.isActive()

    def _check(self) -> dict[str, str]:
        try:
            return self._map(self._validate())
        except ValidationError as e:  # a validator may raise instead of returning
            return self._map(e.errors)
        except Exception:  # noqa: BLE001 - a broken validator must not close the dialog
            log.exception("form validation failed")
            return {GENERAL: "This form could not be checked; see the log."}

    def validate_now(self) -> dict[str, str]:
        self._timer.stop()
        self._live = self._check()
        self._refresh()
        return self.errors()

    def touch_all(self) -> None:
        self._touched.update(self._widgets)

    def show_server_errors(self, errors: Mapping[str, str]) -> None:
        """Errors from a service call on save, beside their fields (all shown, touched or not)."""
        self._server = self._map(errors)
        self.touch_all()
        self._refresh()
        first = next((n for n in self._widgets if n in self._server), None)
        if first is not None:
            self._widgets[first].setFocus()

    def _refresh(self) -> None:
        # A problem shows once its field was touched, or when an edit elsewhere caused it (a PPPoE
        # username typed without a server); a new form's empty required fields stay quiet.
        shown = {**{k: v for k, v in self._live.items()
                    if k in self._touched or k not in self._initial or k == GENERAL}, **self._server}
        for name, label in self._messages.items():
            text = shown.get(name, "")
            label.setText(text)
            label.setVisible(bool(text))
            self._widgets[name].setToolTip(text)
        general = shown.get(GENERAL, "")
        self.general.setText(general)
        self.general.setVisible(bool(general))
        errors = self.errors()
        blocking = {k: v for k, v in errors.items() if k != GENERAL or k in self._live}
        self.save.setEnabled(not blocking)
        self.save.setToolTip(next(iter(blocking.values()), "") if blocking else "")
        if self._on_layout_change is not None:
            self._on_layout_change()


class FormDialog(QDialog):
    """Save/Cancel dialog around a :class:`FieldForm`; subclasses give ``validate`` and ``commit``.

    ``commit()`` calls the service and returns the saved id; a ValidationError it raises lands
    beside the fields and the dialog stays open, so nothing is lost.
    """

    save_text = "&Save"

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.result_id: int | None = None
        self.outer = QVBoxLayout(self)
        self.general = QLabel()
        self.general.setObjectName("general_error")
        self.general.setWordWrap(True)
        self.general.setStyleSheet(f"color: {error_colour(self)}; font-weight: 600;")
        self.general.hide()
        self.outer.addWidget(self.general)
        self.form_layout = QFormLayout()
        self.form_layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form_layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.outer.addLayout(self.form_layout)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(self.save_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        self.fields = FieldForm(self.form_layout, self.save_button, self.validate, self.general,
                                on_layout_change=self.fit_height)

    def finish_layout(self) -> None:
        """Add the buttons last and start validating; call at the end of the subclass __init__."""
        self.outer.addStretch(1)
        self.outer.addWidget(self.buttons)
        self.fields.start()

    def fit_height(self) -> None:
        """Grow to show wrapped messages that appeared after opening (Qt doesn't for top-level
        windows with height-for-width contents)."""
        if not self.isVisible():
            return
        self.outer.activate()
        needed = self.outer.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    # Subclasses -------------------------------------------------------------------------

    def validate(self) -> Mapping[str, str]:
        return {}

    def commit(self) -> int:
        raise NotImplementedError

    # -----------------------------------------------------------------------------------

    def try_save(self) -> bool:
        errors = self.fields.validate_now()
        if errors:
            self.fields.touch_all()
            self.fields.validate_now()
            return False
        try:
            self.result_id = self.commit()
        except ValidationError as e:
            self.fields.show_server_errors(e.errors)
            return False
        except Exception as e:  # noqa: BLE001 - the database may be locked or gone
            log.exception("saving %s failed", type(self).__name__)
            msgbox.error(self, self.windowTitle(), f"The change could not be saved: {e}")
            return False
        self.accept()
        return True

    @classmethod
    def run(cls, dialog: FormDialog) -> int | None:
        """exec() the dialog; the saved id or None. The dialog is deleted afterwards (a parented
        dialog would otherwise live as long as its parent)."""
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            return dialog.result_id if accepted else None
        finally:
            dialog.deleteLater()
