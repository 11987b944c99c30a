"""Add or edit a client: Client ID (suggested), name, contact details, PPPoE username, server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QPlainTextEdit, QPushButton, QWidget

from ispclient.domain.clients import generate_password
from ispclient.domain.validation import display_phone, example_phone
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
        example = example_phone(ctx.settings().default_country)
        self.phone.setPlaceholderText(f"e.g. {example}" if example else "")
        self.email = QLineEdit()
        self.address = QPlainTextEdit()
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.pppoe_username = QLineEdit()
        self.pppoe_password = QLineEdit()
        self.pppoe_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_password = QPushButton("S&how")
        self.show_password.setObjectName("show_password")
        self.show_password.setCheckable(True)
        self.show_password.setToolTip("Show the password while typing it (to read it out to the customer)")
        self.show_password.toggled.connect(self._show_password)
        self.generate_password = QPushButton("&Generate")
        self.generate_password.setObjectName("generate_password")
        self.generate_password.setToolTip("Make up a password that is easy to read out (and show it)")
        self.generate_password.clicked.connect(self._generate_password)
        password_row = QWidget()
        row = QHBoxLayout(password_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.pppoe_password, 1)
        row.addWidget(self.show_password)
        row.addWidget(self.generate_password)
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
        f.add("pppoe_password", "PPPoE pass&word:", password_row, buddy=self.pppoe_password,
              hint="Stored encrypted, never shown in lists or the activity log.")
        f.watch(self.pppoe_password, "pppoe_password")
        f.add("server_id", "Ser&ver:", self.server, aliases=("server",))
        f.add("notes", "N&otes:", self.notes)

        # A new client's PPPoE username follows the name (unique on the chosen router) until the
        # user types one of their own.
        self._username_suggested = ""
        self._suggest_timer = QTimer(self)
        self._suggest_timer.setSingleShot(True)
        self._suggest_timer.setInterval(300)
        self._suggest_timer.timeout.connect(self._suggest_username)
        self._fill()
        self.finish_layout()
        if client is None:
            self.name.textChanged.connect(self._suggest_timer.start)
            self.server.currentIndexChanged.connect(self._suggest_timer.start)
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

    def _show_password(self, shown: bool) -> None:
        self.pppoe_password.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_password.setText("&Hide" if shown else "S&how")

    def _generate_password(self) -> None:
        self.pppoe_password.setText(generate_password())
        self.show_password.setChecked(True)  # a made-up password is one to read out

    def _suggest_username(self) -> None:
        typed = self.pppoe_username.text()
        if typed and typed != self._username_suggested:
            return  # the user's own
        name, server_id = self.name.text(), self.server.currentData()
        if server_id is None:
            return  # a username needs its router; nothing to suggest yet
        ops.Op(self, lambda: clients.suggest_pppoe_username(name, server_id), key="username") \
            .on_success(self._username_ready).run()

    def _username_ready(self, username: str) -> None:
        typed = self.pppoe_username.text()
        if typed and typed != self._username_suggested:
            return  # typed meanwhile
        self._username_suggested = username
        self.pppoe_username.setText(username)

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
