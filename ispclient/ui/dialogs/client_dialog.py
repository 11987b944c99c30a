"""Add or edit a client: Client ID (suggested), name, contact details, PPPoE username, server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from ispclient.domain.validation import display_phone
from ispclient.store import clients, id_of
from ispclient.store.queries import ClientInfo
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog

NO_SERVER = "— none —"


class ClientDialog(FormDialog):
    def __init__(self, ctx: AppContext, client: ClientInfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit client" if client else "New client", parent)
        self.ctx = ctx
        self.client = client
        self.client_id = client.id if client else None
        # The version the form was filled from: an edit is refused if another PC saved since.
        self.version: int | None = client.version if client else None
        self.setMinimumWidth(520)

        self.client_code = QLineEdit()
        self.name = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("e.g. +254 712 345678")
        self.email = QLineEdit()
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.pppoe_username = QLineEdit()
        self.pppoe_password = QLineEdit()
        self.pppoe_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.server = QComboBox()
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)

        f = self.fields
        f.add("client_code", "Client &ID:", self.client_code,
              hint="Your own reference for this customer; suggested, but you can change it.")
        f.add("name", "&Name:", self.name)
        f.add("phone", "&Phone:", self.phone)
        f.add("email", "&Email:", self.email)
        f.add("address", "&Address:", self.address)
        f.add("pppoe_username", "PPPoE &username:", self.pppoe_username)
        f.add("pppoe_password", "PPPoE pass&word:", self.pppoe_password,
              hint="Stored encrypted, never shown in lists or the activity log.")
        f.add("server_id", "Ser&ver:", self.server, aliases=("server",))
        f.add("notes", "N&otes:", self.notes)

        self._fill()
        self.finish_layout()
        self.name.setFocus()

    def _fill(self) -> None:
        self.server.addItem(NO_SERVER, None)
        for srv in self.ctx.catalog().servers:
            self.server.addItem(srv.name, srv.id)
        c = self.client
        if c is None:
            self.client_code.setPlaceholderText("…")
            ops.Op(self, clients.suggest_client_code, key="code").on_success(self._suggested).run()
            return
        self.client_code.setText(c.client_code)
        self.name.setText(c.name)
        self.phone.setText(display_phone(c.phone))
        self.email.setText(c.email)
        self.address.setPlainText(c.address)
        self.pppoe_username.setText(c.pppoe_username)
        if c.has_pppoe_password:
            self.pppoe_password.setPlaceholderText("Saved — leave empty to keep it")
        elif c.pppoe_password_unknown:
            self.pppoe_password.setPlaceholderText("Unknown — set a new one (its key was lost)")
        index = self.server.findData(c.server_id) if c.server_id else 0
        self.server.setCurrentIndex(max(index, 0))
        self.notes.setPlainText(c.notes)

    def _suggested(self, code: str) -> None:
        """The next free Client ID, unless the user typed one meanwhile."""
        self.client_code.setPlaceholderText("")
        if not self.client_code.text():
            dirty = self.fields.dirty
            self.client_code.setText(code)
            self.fields.dirty = dirty  # a suggestion is not an edit of the user's
            self.fields.validate_now()

    def data(self) -> clients.ClientInput:
        return clients.ClientInput(
            client_code=self.client_code.text(),
            name=self.name.text(),
            phone=self.phone.text(),
            email=self.email.text(),
            address=self.address.toPlainText(),
            pppoe_username=self.pppoe_username.text(),
            server_id=self.server.currentData(),
            notes=self.notes.toPlainText(),
            pppoe_password=self.pppoe_password.text() or None,  # None keeps the saved one
        )

    def validate(self) -> Mapping[str, str]:
        return clients.field_errors(self.data(), self.ctx.settings().default_country)

    def remote_check(self) -> Callable[[], Mapping[str, str]] | None:
        data, client_id = self.data(), self.client_id
        return lambda: clients.check(data, client_id)

    def work(self) -> Callable[[], Any]:
        data, client_id, version = self.data(), self.client_id, self.version
        if client_id is None:
            return lambda: id_of(clients.create_client(data))
        # ChangedElsewhere / RecordDeleted (another PC saved or deleted the client since this form
        # was filled) are ValidationErrors: the form shows them and keeps what was typed.
        return lambda: id_of(clients.edit_client(client_id, data, expected_version=version))

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, client: ClientInfo | None = None) -> int | None:
        """The saved client's id, or None if the user cancelled."""
        return cls.run(cls(ctx, client, parent))
