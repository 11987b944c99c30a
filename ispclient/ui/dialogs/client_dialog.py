"""Add or edit a client: Client ID (suggested), name, contact details, PPPoE username, server."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from ispclient.domain.errors import ValidationError
from ispclient.domain.validation import display_phone
from ispclient.store import clients, queries
from ispclient.store.models import Client
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog

NO_SERVER = "— none —"


class ClientDialog(FormDialog):
    def __init__(self, ctx: AppContext, client_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit client" if client_id else "New client", parent)
        self.ctx = ctx
        self.client_id = client_id
        self.version: int | None = None  # the version the form was filled from (edit refused if stale)
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
        for srv in queries.servers():
            self.server.addItem(srv.name, srv.id)
        if self.client_id is None:
            self.client_code.setText(clients.suggest_client_code())
            return
        c = Client.get_by_id(self.client_id)
        self.version = c.version
        self.client_code.setText(c.client_code)
        self.name.setText(c.name)
        self.phone.setText(display_phone(c.phone))
        self.email.setText(c.email)
        self.address.setPlainText(c.address)
        self.pppoe_username.setText(c.pppoe_username)
        if c.pppoe_password_enc:
            self.pppoe_password.setPlaceholderText("Saved — leave empty to keep it")
        elif c.pppoe_password_unknown:
            self.pppoe_password.setPlaceholderText("Unknown — set a new one (its key was lost)")
        index = self.server.findData(c.server_id) if c.server_id else 0
        self.server.setCurrentIndex(max(index, 0))
        self.notes.setPlainText(c.notes)

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
        try:
            clients.validate(self.data(), self.client_id)
        except ValidationError as e:
            return e.errors
        return {}

    def commit(self) -> int:
        if self.client_id is None:
            client_id = clients.create_client(self.data()).id
        else:
            # ChangedElsewhere / RecordDeleted (another PC saved or deleted the client since this form
            # was filled) are ValidationErrors: the form shows them and keeps what was typed.
            client_id = clients.edit_client(self.client_id, self.data(), expected_version=self.version).id
        self.ctx.events.clients_changed.emit([client_id])
        return int(client_id)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, client_id: int | None = None) -> int | None:
        """The saved client's id, or None if the user cancelled."""
        return cls.run(cls(ctx, client_id, parent))
