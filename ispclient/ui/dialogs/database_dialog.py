"""Settings ▸ Database: how this PC reaches the shared PostgreSQL (host, port, database, user,
TLS and its CA file), with Test connection in the background. The settings go to the data
folder, the password to the OS keyring; the app uses them from its next start."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget

from ispclient.domain.errors import ValidationError
from ispclient.store import dbconfig
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FormDialog


class DatabaseDialog(FormDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Database (several front-desk PCs)", parent)
        self.ctx = ctx
        self.setMinimumWidth(560)
        self.saved = dbconfig.load(ctx.paths.config_dir)

        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.database = QLineEdit()
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.tls = QComboBox()
        for mode in dbconfig.TLS_MODES:
            self.tls.addItem(dbconfig.TLS_LABELS[mode], mode)
        self.ca_file = QLineEdit()
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        ca_row = QWidget()
        row = QHBoxLayout(ca_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.ca_file, 1)
        row.addWidget(browse)
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)

        f = self.fields
        f.add("host", "&Server:", self.host, hint="The PostgreSQL server's name or IP address.")
        f.add("port", "&Port:", self.port)
        f.add("database", "&Database:", self.database)
        f.add("user", "&User:", self.user)
        f.add("password", "Pass&word:", self.password,
              hint="Kept in this PC's keyring, never in a file. Leave empty to keep the saved one.")
        f.add("tls", "&TLS:", self.tls)
        f.add("ca_file", "&CA certificate:", ca_row,
              hint="The CA file that signed the server's certificate (for “certificate checked”).")
        self.form_layout.addRow(self.test_button, self.test_result)
        self._fill()
        self.finish_layout()

    def _fill(self) -> None:
        c = self.saved or dbconfig.DbConfig(host="", database="ispclient", user="")
        self.host.setText(c.host)
        self.port.setValue(c.port)
        self.database.setText(c.database)
        self.user.setText(c.user)
        self.tls.setCurrentIndex(max(0, self.tls.findData(c.tls)))
        self.ca_file.setText(c.ca_file)
        if self.saved is not None and dbconfig.saved_password(self.saved):
            self.password.setPlaceholderText("Saved — leave empty to keep it")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CA certificate", "", "Certificates (*.pem *.crt *.cer);;All (*)")
        if path:
            self.ca_file.setText(path)

    def config(self) -> dbconfig.DbConfig:
        return dbconfig.DbConfig(host=self.host.text(), database=self.database.text(), user=self.user.text(),
                                 port=self.port.value(), tls=str(self.tls.currentData()),
                                 ca_file=self.ca_file.text())

    def _password(self, config: dbconfig.DbConfig) -> str | None:
        return self.password.text() or dbconfig.saved_password(config)

    def validate(self) -> Mapping[str, str]:
        try:
            dbconfig.validate(self.config())
        except ValidationError as e:
            return e.errors
        return {}

    def test_connection(self) -> None:
        """In a worker: the GUI never waits on the network. An older test's answer is dropped."""
        from ispclient.store import test_connection

        try:
            config = dbconfig.validate(self.config())
        except ValidationError as e:
            self.fields.show_server_errors(e.errors)
            return
        self.test_result.setText("Connecting…")
        self.test_button.setEnabled(False)
        password = self._password(config)

        def done(text: str, ok: bool) -> None:
            self.test_button.setEnabled(True)
            self.test_result.setText(("✔ " if ok else "✘ ") + text)

        # A newer test supersedes this one (same key): its answer is dropped.
        ops.Op(self, lambda: test_connection(config, password), key="test", lane=ops.Lane.SLOW) \
            .on_success(lambda text: done(str(text), True)) \
            .on_failure(lambda error: done(str(error), False)).run()

    def work(self) -> Callable[[], Any]:
        config = dbconfig.validate(self.config())
        typed, config_dir = self.password.text(), self.ctx.paths.config_dir

        def save() -> int:  # the keyring and the data folder, off the GUI thread
            if typed:
                dbconfig.save_password(config, typed)
            elif not dbconfig.saved_password(config):
                raise ValidationError.single("password", "Type the database user's password.")
            dbconfig.save(config_dir, config)
            return 1

        return save

    def _saved(self, result: Any) -> None:
        msgbox.info(self, self.windowTitle(), "Saved. ispclient uses this database from its next start.")
        super()._saved(result)

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext) -> bool:
        return cls.run(cls(ctx, parent)) is not None
