"""Signing in: the first owner account, the sign-in (at start and behind a locked window), and a
member changing their own password.

The password goes from the field straight into the background call; the field is cleared after
each try and the text is registered with the log scrubber as a safety net (nothing logs it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPushButton, QWidget

from ispclient.domain import staff as rules
from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import Actor
from ispclient.logging_setup import register_secret
from ispclient.store import staff
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.help import install_f1


def _password_field(placeholder: str = "") -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    field.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
                              | Qt.InputMethodHint.ImhNoPredictiveText)
    return field


def _check(errors: dict[str, str], field: str, check: Callable[[], object]) -> None:
    try:
        check()
    except ValidationError as e:
        errors[field] = next(iter(e.errors.values()))


class SignInDialog(FormDialog):
    """Username and password; :attr:`actor` once accepted. ``locked`` shows it as the lock screen
    (Switch user, the idle lock): nothing behind it is closed."""

    save_text = "&Sign in"

    def __init__(self, parent: QWidget | None = None, *, locked_by: str = "", username: str = "",
                 hint: str = "") -> None:
        super().__init__("Locked — sign in" if locked_by else "Sign in", parent)
        self.setObjectName("signInDialog")
        self.actor: Actor | None = None
        self.setMinimumWidth(420)
        intro = QLabel(f"The window is locked ({locked_by}). Sign in to go on; nothing was closed."
                       if locked_by else "Sign in with your own account: what you do is recorded under your name.")
        intro.setWordWrap(True)
        intro.setObjectName("signInIntro")
        self.outer.insertWidget(0, intro)
        self.username = QLineEdit(username)
        self.username.setObjectName("username")
        self.username.setMaxLength(rules.MAX_USERNAME)
        self.password = _password_field()
        self.password.setObjectName("password")
        self.fields.add("username", "&Username:", self.username)
        self.fields.add("password", "&Password:", self.password, hint=hint)
        self.quit_button: QPushButton | None = None
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._locked_left = 0
        self.finish_layout()
        install_f1(self, "staff")
        (self.password if username else self.username).setFocus()

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        if not self.username.text().strip():
            errors["username"] = "Type your username."
        if not self.password.text():
            errors["password"] = "Type your password."
        if self._locked_left:
            errors["__all__"] = rules.locked_message(self._locked_left)
        return errors

    def work(self) -> Callable[[], Any]:
        username, password = self.username.text(), self.password.text()
        register_secret(password)
        self.password.clear()  # a wrong one is typed again; a right one is not kept in the field
        self.fields.dirty = False
        return lambda: staff.sign_in(username, password)

    def saved_id(self, result: Any) -> int | None:
        self.actor = result if isinstance(result, Actor) else None
        return self.actor.staff_id if self.actor else None

    def _save_failed(self, error: BaseException) -> None:
        seconds = getattr(error, "locked_seconds", 0)
        if seconds:
            self._locked_left = int(seconds)
            self._countdown.start()
        super()._save_failed(error)
        self.password.setFocus()

    def _tick(self) -> None:
        self._locked_left = max(0, self._locked_left - 1)
        if not self._locked_left:
            self._countdown.stop()
            self.fields.show_server_errors({})
        self.fields.validate_now()

    def reject(self) -> None:
        """Esc: nothing typed is worth keeping (no "discard changes?"); the caller decides what
        cancelling means."""
        if not self.saving:
            QDialog.reject(self)

    @classmethod
    def ask(cls, parent: QWidget | None = None, **kwargs: Any) -> Actor | None:
        dialog = cls(parent, **kwargs)
        try:
            dialog.exec()
            return dialog.actor
        finally:
            dialog.deleteLater()


class FirstOwnerDialog(FormDialog):
    """No staff account yet: a new data folder, or the first start after the upgrade."""

    save_text = "&Create and sign in"

    def __init__(self, parent: QWidget | None = None, *, upgrade: bool = False) -> None:
        super().__init__("Create the owner account", parent)
        self.setObjectName("firstOwnerDialog")
        self.actor: Actor | None = None
        self.setMinimumWidth(480)
        text = ("This version has staff accounts: everyone signs in, and what they do is recorded under their "
                "name. Create the owner account first — the owner adds the others in Manage ▸ Staff. The "
                "activity recorded so far keeps the PC user names it had." if upgrade else
                "Welcome. Create the owner account: the owner can do everything, and adds the other staff "
                "in Manage ▸ Staff.")
        intro = QLabel(text)
        intro.setWordWrap(True)
        intro.setObjectName("firstOwnerIntro")
        self.outer.insertWidget(0, intro)
        self.display_name = QLineEdit()
        self.display_name.setObjectName("display_name")
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = _password_field()
        self.password.setObjectName("password")
        self.repeat = _password_field()
        self.repeat.setObjectName("repeat")
        f = self.fields
        f.add("display_name", "Your &name:", self.display_name, hint="As receipts and the activity show it.")
        f.add("username", "&Username:", self.username, hint="What you type to sign in.")
        f.add("password", "&Password:", self.password, hint=f"At least {rules.MIN_PASSWORD} characters.")
        f.add("repeat", "&Again:", self.repeat)
        self.finish_layout()
        install_f1(self, "staff")
        self.display_name.setFocus()

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        _check(errors, "display_name", lambda: rules.display_name(self.display_name.text()))
        _check(errors, "username", lambda: rules.username(self.username.text()))
        _check(errors, "password", lambda: rules.password(self.password.text(), self.username.text()))
        if self.repeat.text() != self.password.text():
            errors["repeat"] = "The two passwords differ."
        return errors

    def work(self) -> Callable[[], Any]:
        name, username, password = self.display_name.text(), self.username.text(), self.password.text()
        register_secret(password)
        return lambda: staff.create_first_owner(username, name, password)

    def saved_id(self, result: Any) -> int | None:
        self.actor = result if isinstance(result, Actor) else None
        return self.actor.staff_id if self.actor else None

    @classmethod
    def ask(cls, parent: QWidget | None = None, *, upgrade: bool = False) -> Actor | None:
        dialog = cls(parent, upgrade=upgrade)
        try:
            dialog.exec()
            return dialog.actor
        finally:
            dialog.deleteLater()


class ChangePasswordDialog(FormDialog):
    save_text = "&Change password"

    def __init__(self, username: str, parent: QWidget | None = None) -> None:
        super().__init__("Change my password", parent)
        self.user = username
        self.current = _password_field()
        self.new = _password_field()
        self.repeat = _password_field()
        self.fields.add("current_password", "&Current password:", self.current)
        self.fields.add("new_password", "&New password:", self.new, hint=f"At least {rules.MIN_PASSWORD} characters.")
        self.fields.add("repeat", "&Again:", self.repeat)
        self.finish_layout()
        install_f1(self, "staff")

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        if not self.current.text():
            errors["current_password"] = "Type your current password."
        _check(errors, "new_password", lambda: rules.password(self.new.text(), self.user, "new_password"))
        if self.repeat.text() != self.new.text():
            errors["repeat"] = "The two passwords differ."
        return errors

    def work(self) -> Callable[[], Any]:
        current, new = self.current.text(), self.new.text()
        register_secret(current)
        register_secret(new)
        return lambda: staff.change_own_password(current, new)

    def saved_id(self, result: Any) -> int | None:
        return 0
