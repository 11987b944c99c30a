"""Add or edit a MikroTik router. The API password goes to the OS keyring, never the database.

“Test connection” runs in the background (an op on the router lane) and reports the router's
identity and RouterOS version, or exactly why it could not connect; the dialog stays usable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ispclient.domain import validation
from ispclient.domain.connection import ConnectionState
from ispclient.domain.errors import ValidationError
from ispclient.routeros.errors import RouterError
from ispclient.routeros.session import RouterInfo, test_connection
from ispclient.routeros.target import API_PORT, API_SSL_PORT, RouterTarget
from ispclient.store import catalog, id_of
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.style import CONNECTION_COLOURS
from ispclient.ui.widgets import NoticeBox


class ServerDialog(FormDialog):
    def __init__(self, ctx: AppContext, server_id: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Edit server" if server_id else "Add server", parent)
        self.ctx = ctx
        self.server_id = server_id
        self.setMinimumWidth(560)
        self._saved_password = ctx.credentials.get(server_id) if server_id else None
        problem = ctx.credentials.backend_problem()
        self.session_only = problem is not None

        self.keyring_note = NoticeBox("Remember for this session only", problem or "")
        self.keyring_note.setObjectName("keyring_note")
        self.keyring_note.setVisible(self.session_only)
        self.outer.insertWidget(1, self.keyring_note)

        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Main tower")
        self.host = QLineEdit()
        self.host.setPlaceholderText("IP address or host name, e.g. 10.10.0.1")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(API_PORT)
        self.tls = QCheckBox("Use API-SSL (&TLS) — verifies the router's certificate")
        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText("Optional: the CA certificate that signed the router's certificate")
        self.browse = QPushButton("&Browse…")
        ca_box = QWidget()
        ca_row = QHBoxLayout(ca_box)
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.browse)
        self.username = QLineEdit("admin")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        if server_id:
            self.password.setPlaceholderText("Saved — leave empty to keep it" if self._saved_password is not None
                                             else "Not saved yet")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(1, 120)
        self.timeout.setDecimals(0)
        self.timeout.setSuffix(" s")
        self.timeout.setValue(5)
        self.encoding = QComboBox()
        self.encoding.addItems(catalog.ENCODINGS)
        self.encoding.setToolTip("How the router stores text: utf-8 on RouterOS 7, often cp1252 on older routers.")

        f = self.fields
        f.add("name", "&Name:", self.name)
        f.add("host", "&Host:", self.host)
        f.add("port", "API &port:", self.port, hint="8728 for the API, 8729 for API-SSL.")
        f.add("tls", "", self.tls)
        f.add("ca_file", "&CA file:", ca_box, buddy=self.ca_file)
        f.watch(self.ca_file, "ca_file")
        f.add("username", "API &user:", self.username)
        where = "this session only" if self.session_only else "Windows Credential Manager (the OS keyring)"
        f.add("password", "Pass&word:", self.password, hint=f"Kept in {where}, never in the database.")
        f.add("timeout_s", "T&imeout:", self.timeout, aliases=("timeout",))
        f.add("encoding", "&Encoding:", self.encoding)

        self.test_button = QPushButton("T&est connection")
        self.test_result = QLabel()
        self.test_result.setObjectName("test_result")
        self.test_result.setWordWrap(True)
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_box = QWidget()
        test_row = QHBoxLayout(test_box)
        test_row.setContentsMargins(0, 0, 0, 0)
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        self.form_layout.addRow("", test_box)
        # A row of its own, the dialog's whole width: a long failure wraps in full instead of being
        # cut (a word-wrapped label beside a button in a form row gets no height for its lines).
        self.form_layout.addRow(self.test_result)

        self.tls.toggled.connect(self._tls_toggled)
        self.browse.clicked.connect(self._browse)
        self.test_button.clicked.connect(self.test)
        for w in (self.name, self.host, self.ca_file, self.username, self.password):
            w.textChanged.connect(self._invalidate_test)
        for s in (self.port, self.timeout):
            s.valueChanged.connect(self._invalidate_test)
        self.tls.toggled.connect(self._invalidate_test)
        self.encoding.currentIndexChanged.connect(self._invalidate_test)

        self._fill()
        self._tls_toggled(self.tls.isChecked(), adjust_port=False)
        self.finish_layout()
        self.name.setFocus()

    def _fill(self) -> None:
        if not self.server_id:
            return
        srv = self.ctx.catalog().server(self.server_id)
        if srv is None:  # removed meanwhile
            return
        self.name.setText(srv.name)
        self.host.setText(srv.host)
        self.tls.setChecked(srv.tls)
        self.port.setValue(srv.port)
        self.ca_file.setText(srv.ca_file)
        self.username.setText(srv.username)
        self.timeout.setValue(srv.timeout_s)
        self.encoding.setCurrentIndex(max(self.encoding.findText(srv.encoding), 0))

    # -- field behaviour -----------------------------------------------------------------

    def _tls_toggled(self, on: bool, adjust_port: bool = True) -> None:
        if adjust_port:  # only move a port that is still the other mode's default
            if on and self.port.value() == API_PORT:
                self.port.setValue(API_SSL_PORT)
            elif not on and self.port.value() == API_SSL_PORT:
                self.port.setValue(API_PORT)
        self.ca_file.setEnabled(on)
        self.browse.setEnabled(on)
        why = "" if on else "Only used with API-SSL (TLS)."
        self.ca_file.setToolTip(why)
        self.browse.setToolTip(why)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate", self.ca_file.text(),
                                              "Certificates (*.crt *.pem *.cer);;All files (*)")
        if path:
            self.ca_file.setText(path)

    # -- validation and saving -----------------------------------------------------------

    def data(self) -> catalog.ServerInput:
        return catalog.ServerInput(
            name=self.name.text(), host=self.host.text(), port=self.port.value(), tls=self.tls.isChecked(),
            ca_file=self.ca_file.text() if self.tls.isChecked() else "", username=self.username.text(),
            timeout_s=float(self.timeout.value()), encoding=self.encoding.currentText(),
        )

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        checks: tuple[tuple[str, Callable[[], object]], ...] = (
            ("name", lambda: validation.required_text(self.name.text(), "name", "router name")),
            ("host", lambda: catalog.validate_host(self.host.text())),
            ("username", lambda: validation.required_text(self.username.text(), "username", "API user name")),
        )
        for field, check in checks:
            try:
                check()
            except ValidationError as e:
                errors[field] = next(iter(e.errors.values()))
        ca = self.ca_file.text().strip()
        if self.tls.isChecked() and ca and not Path(ca).is_file():
            errors["ca_file"] = f"No certificate file at {ca}."
        return errors

    def password_for_test(self) -> str:
        return self.password.text() or self._saved_password or ""

    def work(self) -> Callable[[], Any]:
        data, server_id, credentials, session_only = self.data(), self.server_id, self.ctx.credentials, \
            self.session_only
        # A new router's admin may have an empty password; an edit keeps the saved one when empty.
        password: str | None = self.password.text() if server_id is None else (self.password.text() or None)

        def save() -> int:
            row = catalog.create_server(data) if server_id is None else catalog.edit_server(server_id, data)
            saved = id_of(row)
            if password is not None:
                credentials.set(saved, password, session_only=session_only)
            return saved

        return save

    def _saved(self, result: Any) -> None:
        self.server_id = int(result)
        super()._saved(result)
        self.ctx.connections.request_refresh()

    # -- test connection -----------------------------------------------------------------

    def target(self) -> RouterTarget:
        d = self.data()
        return RouterTarget(
            server_id=self.server_id or 0, name=d.name.strip() or d.host.strip(), host=d.host.strip(),
            port=d.port, tls=d.tls, ca_file=d.ca_file.strip() or None, username=d.username.strip(),
            password=self.password_for_test(), timeout=d.timeout_s, encoding=d.encoding,
        )

    def test(self) -> None:
        errors = {k: v for k, v in self.fields.validate_now().items() if k in ("host", "username", "ca_file")}
        if errors:
            self.fields.touch_all()
            self.fields.validate_now()
            self._show_test("Fix the fields marked in red first.", ConnectionState.UNKNOWN)
            return
        target = self.target()
        self._show_test(f"Connecting to {target.address}…", None)
        self.test_button.setEnabled(False)
        # A newer test, or an edit of the fields (_invalidate_test), drops this answer: it would
        # be about another router.
        ops.Op(self, lambda: test_connection(target), key="test", lane=ops.Lane.ROUTER) \
            .on_success(lambda info: self._tested(info, None)) \
            .on_failure(lambda exc: self._tested(None, exc)).run()

    def _tested(self, info: RouterInfo | None, exc: BaseException | None) -> None:
        self.test_button.setEnabled(True)
        if info is not None:
            board = f" ({info.board_name})" if info.board_name else ""
            self._show_test(f"Connected to {info.identity}, RouterOS {info.version}{board}.", ConnectionState.ONLINE)
        elif isinstance(exc, RouterError):
            self._show_test(f"Could not connect — {exc.reason.label}: {exc.detail}", ConnectionState.OFFLINE)
        else:
            self._show_test(f"Could not connect: unexpected {type(exc).__name__}.", ConnectionState.OFFLINE)

    def _invalidate_test(self) -> None:
        if self.test_result.text():
            ops.forget_key(self, "test")
            self.test_button.setEnabled(True)
            self._show_test("", None)

    def _show_test(self, text: str, state: ConnectionState | None) -> None:
        self.test_result.setText(text)
        colour = CONNECTION_COLOURS[state] if state is not None else "palette(text)"
        self.test_result.setStyleSheet(f"color: {colour};" if state else "")
        self.fit_height()

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext, server_id: int | None = None) -> int | None:
        """The saved server's id, or None if the user cancelled."""
        return cls.run(cls(ctx, server_id, parent))
