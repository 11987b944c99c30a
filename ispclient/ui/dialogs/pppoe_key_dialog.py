"""Settings ▸ PPPoE password key: whether this PC has the key, Export (to a file protected by a
passphrase), Import (from such a file), and Start a new key when it is lost on every PC.
Also the offer to import it, at the first start of a second PC on a shared database.

The keyring, scrypt and the database work run as background ops (on the slow lane: scrypt is
meant to be slow); answers come back by signal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ispclient.domain.errors import ValidationError
from ispclient.store import secrets
from ispclient.ui import msgbox, ops

TITLE = "PPPoE password key"


def ask_passphrase(parent: QWidget, prompt: str) -> str | None:
    text, ok = QInputDialog.getText(parent, TITLE, prompt, QLineEdit.EchoMode.Password)
    return text if ok else None


def ask_file(parent: QWidget, save: bool) -> str | None:
    if save:
        path, _ = QFileDialog.getSaveFileName(parent, "Export the key to", "ispclient-pppoe.key", "Key files (*.key)")
    else:
        path, _ = QFileDialog.getOpenFileName(parent, "Import the key from", "", "Key files (*.key);;All (*)")
    return path or None


def _message(error: BaseException) -> str:
    return " ".join(error.errors.values()) if isinstance(error, ValidationError) else str(error)


class PppoeKeyDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        intro = QLabel("The key that protects the stored PPPoE passwords lives only in the keyring of each PC that "
                       "has it — not in the database, and not in its backups. Export it to keep a copy or to move "
                       "it to another front-desk PC.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.status = QLabel("Looking…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.export_button = QPushButton("&Export…")
        self.import_button = QPushButton("&Import…")
        self.new_button = QPushButton("Start a &new key…")
        for button, slot in ((self.export_button, self.export_key), (self.import_button, self.import_key),
                             (self.new_button, self.start_new_key)):
            button.clicked.connect(slot)
            layout.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.refresh()

    def _busy(self, on: bool) -> None:
        for button in (self.export_button, self.import_button, self.new_button):
            button.setEnabled(not on)

    def _run(self, fn: Callable[..., Any], *args: Any, done: Callable[[Any], None]) -> None:
        self._busy(True)

        def ok(result: Any) -> None:
            self._busy(False)
            done(result)
            self.refresh()

        def failed(error: BaseException) -> None:
            self._busy(False)
            msgbox.error(self, TITLE, _message(error))
            self.refresh()

        ops.Op(self, lambda: fn(*args), key="work", lane=ops.Lane.SLOW).on_success(ok).on_failure(failed).run()

    def refresh(self) -> None:
        ops.Op(self, _describe, key="describe").on_success(self.status.setText) \
            .on_failure(lambda e: self.status.setText(_message(e))).run()

    def export_key(self) -> None:
        path = ask_file(self, save=True)
        if not path:
            return
        first = ask_passphrase(self, "A passphrase to protect the file "
                                     f"(at least {secrets.MIN_PASSPHRASE} characters):")
        if first is None:
            return
        if ask_passphrase(self, "The same passphrase again:") != first:
            msgbox.error(self, TITLE, "The two passphrases differ; nothing was written.")
            return
        self._run(secrets.export_key_file, Path(path), first,
                  done=lambda _r: msgbox.info(self, TITLE, f"The key is in {path}. Keep the file and the passphrase "
                                                           "apart; import it on the other PC."))

    def import_key(self) -> None:
        path = ask_file(self, save=False)
        if not path:
            return
        passphrase = ask_passphrase(self, "The passphrase the key was exported with:")
        if passphrase is None:
            return
        self._run(secrets.import_key_file, Path(path), passphrase,
                  done=lambda _r: msgbox.info(self, TITLE, "The key is saved in this PC's keyring: the PPPoE "
                                                           "passwords can be read here now."))

    def start_new_key(self) -> None:
        text = ("Start a new key ONLY if no PC has the old one any more.\n\nEvery PPPoE password saved with the old "
                "key becomes unknown: the routers keep them, and each client needs a new password typed in to "
                "change it.")
        if not msgbox.confirm(self, TITLE, text, ok_text="Start a new key"):
            return
        self._run(secrets.start_new_key,
                  done=lambda r: msgbox.info(self, TITLE, f"A new key was started. {r.unknown} client(s) now have "
                                                          "an unknown PPPoE password: set a new one in their window."))


def _describe() -> str:
    status = secrets.key_status()
    text = f"This PC: {status.value}."
    if status in (secrets.KeyStatus.MISSING, secrets.KeyStatus.WRONG_KEY):
        text += " Import the key exported on the PC that has it."
    unknown = secrets.unknown_passwords()
    if unknown:
        text += f" {len(unknown)} client(s) have an unknown PPPoE password (set a new one)."
    return text


def offer_import(parent: QWidget | None) -> None:
    """At start-up, in the background: a PC on a shared database whose passwords it can't read is
    offered the import once per start."""

    def answer(offered: object) -> None:
        if offered and msgbox.confirm(
                parent, TITLE, "This PC doesn't have the key that protects the PPPoE passwords (they were saved "
                               "on another PC). Everything else works; to read or save PPPoE passwords here, import "
                               "the key exported on that PC.\n\nImport it now?", ok_text="Import…"):
            dialog = PppoeKeyDialog(parent)
            dialog.import_key()
            dialog.exec()
            dialog.deleteLater()

    ops.Op(parent, secrets.import_offered, key="key-offer").on_success(answer) \
        .on_failure(lambda _e: None).run()  # a failed look is no reason to bother anyone
