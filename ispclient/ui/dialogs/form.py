"""Forms that say what is wrong beside each field, live, and only let Save through when valid.

:class:`FieldForm` puts a red message under every field. The dialog's validator (pure domain
rules, no database) runs on every change, so Save is enabled or not the moment a key is typed —
a quick Alt+S right after typing saves exactly what was typed, and is never swallowed by a
button that was about to become enabled. The messages themselves appear shortly after the user
stops typing, for fields the user has touched (or problems an edit caused elsewhere), so an
empty new form is not a wall of red; Save's tooltip names the first problem meanwhile. Checks
that need the database (a Client ID already used) run in the background after a pause, and the
service's own ``ValidationError`` on save lands on the same labels.

:class:`FormDialog` is the dialog frame around it: general message, form, Save/Cancel; saving
runs in the background (:mod:`ispclient.ui.ops`), and Esc on a changed form asks first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

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
from ispclient.ui import msgbox, ops

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
                 on_layout_change: Callable[[], None] | None = None,
                 remote: Callable[[], Callable[[], Mapping[str, str]] | None] | None = None,
                 on_remote: Callable[[Mapping[str, str]], None] | None = None) -> None:
        super().__init__(save)
        self._remote_check = remote  # builds a database check to run in the background (or None)
        self._on_remote = on_remote  # told each background check's answer (e.g. to offer "record anyway")
        self._on_layout_change = on_layout_change
        self.form = form
        self.save = save
        self.general = general
        self._validate = validate
        self._widgets: dict[str, QWidget] = {}
        self._rows: dict[str, QWidget] = {}
        self._messages: dict[str, QLabel] = {}
        self._aliases: dict[str, str] = {}
        self._touched: set[str] = set()
        self._live: dict[str, str] = {}
        self._server: dict[str, str] = {}
        self._initial: set[str] = set()  # problems the form opened with (e.g. a new form's empty name)
        self._started = False
        self.dirty = False  # the user changed something since the form opened
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
        self._rows[name] = box
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

    def set_row_visible(self, name: str, visible: bool) -> None:
        """Show or hide a field's whole row (caption, field and message)."""
        self.form.setRowVisible(self._rows[name], visible)

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
        self.dirty = True
        stale = False
        if name is not None:
            self._touched.add(name)
            stale = self._server.pop(name, None) is not None
        stale = self._server.pop(GENERAL, None) is not None or stale
        # Save follows the input at once; the messages wait for a pause in typing — except a
        # refusal of what the field held before, which goes as soon as the field changes.
        self._live = self._check()
        if stale:
            for label in ([self._messages[name]] if name in self._messages else []) + [self.general]:
                label.clear()
                label.hide()
        self._update_save()
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
        self._start_remote_check()
        return self.errors()

    def _start_remote_check(self) -> None:
        """The database's opinion (e.g. Client ID already used), in the background, once the
        form is valid on its own."""
        if self._remote_check is None or self._live:
            return
        check = self._remote_check()
        if check is None:
            return
        ops.Op(self, check, key="check").on_success(self._remote_result) \
            .on_failure(lambda error: log.info("background form check failed: %r", error)).run()

    def _remote_result(self, errors: Mapping[str, str]) -> None:
        if self._on_remote is not None:
            self._on_remote(errors)
        mapped = self._map(errors)
        if mapped:
            self._server.update(mapped)
            self._touched.update(k for k in mapped if k in self._widgets)
            self._refresh()

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
        self._update_save()
        if self._on_layout_change is not None:
            self._on_layout_change()

    def _update_save(self) -> None:
        errors = self.errors()
        blocking = {k: v for k, v in errors.items() if k != GENERAL or k in self._live}
        self.save.setEnabled(not blocking and not self.busy)
        self.save.setToolTip(next(iter(blocking.values()), "") if blocking else "")

    busy = False  # a save is on its way: Save stays disabled


class FormDialog(QDialog):
    """Save/Cancel dialog around a :class:`FieldForm`; subclasses give ``validate`` and ``work``.

    ``work()`` reads the form (in the GUI thread) and returns the service call to run in the
    background; its result's id closes the dialog. A ValidationError it raises lands beside the
    fields and the dialog stays open, so nothing is lost.
    """

    save_text = "&Save"

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.result_id: int | None = None
        self.result_value: Any = None
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
                                on_layout_change=self.fit_height, remote=self.remote_check,
                                on_remote=self.remote_result)

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
        """Problems found without the database (runs on every change, in the GUI thread)."""
        return {}

    def remote_check(self) -> Callable[[], Mapping[str, str]] | None:
        """A check that needs the database, to run in the background after a pause (or None)."""
        return None

    def remote_result(self, errors: Mapping[str, str]) -> None:
        """What the background check found (before it is shown beside the fields)."""

    def work(self) -> Callable[[], Any]:
        """The service call for the values in the form now, to run in the background."""
        raise NotImplementedError

    def saved_id(self, result: Any) -> int | None:
        """The id the caller gets back from what ``work``'s call returned."""
        value = getattr(result, "id", result)
        return int(value) if isinstance(value, int) else None

    # -----------------------------------------------------------------------------------

    @property
    def saving(self) -> bool:
        return self.fields.busy

    def try_save(self) -> bool:
        """Validate now (never trusting a check still waiting for a pause) and save in the
        background; False when the form is refused as it is."""
        if self.saving:
            return False
        errors = self.fields.validate_now()
        if errors:
            self.fields.touch_all()
            self.fields.validate_now()
            return False
        try:
            call = self.work()
        except ValidationError as e:
            self.fields.show_server_errors(e.errors)
            return False
        self._set_busy(True)
        ops.Op(self, call, key="save").on_success(self._saved).on_failure(self._save_failed) \
            .on_done(lambda: self._set_busy(False)).run()
        return True

    def _set_busy(self, busy: bool) -> None:
        self.fields.busy = busy
        self.fields._update_save()
        for button in self.buttons.buttons():
            if button is not self.save_button:
                button.setEnabled(not busy)

    def _saved(self, result: Any) -> None:
        self.result_value = result
        self.result_id = self.saved_id(result)
        self.fields.dirty = False
        self.accept()

    def _save_failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.fields.show_server_errors(error.errors)
            return
        ops.show_error(self, error)

    def reject(self) -> None:
        """Esc or Cancel: a form with changes asks before they are thrown away."""
        if self.saving:
            return  # the save decides; closing now would hide its outcome
        if self.fields.dirty and not msgbox.confirm(self, "Discard changes?",
                                                    "You have changed this form. Close it without saving?",
                                                    ok_text="&Discard", cancel_text="&Keep editing"):
            return
        super().reject()

    @classmethod
    def run(cls, dialog: FormDialog) -> int | None:
        """exec() the dialog; the saved id or None. The dialog is deleted afterwards (a parented
        dialog would otherwise live as long as its parent)."""
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            return dialog.result_id if accepted else None
        finally:
            dialog.deleteLater()
