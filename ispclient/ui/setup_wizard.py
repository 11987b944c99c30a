"""The set-up wizard: a new ISP's first hour, on first start and from Manage ▸ Set-up wizard.

Four steps — the ISP's details and locale, the first router (with Test connection), packages
made from the router's PPP profiles, then clients (typed, imported from a spreadsheet, or from
the router's PPP secrets). Each step is checked like the dialogs (pure rules on every change,
the messages beside the fields) and saved when the user moves on, in the background. Skippable
(Finish later) and resumable: the step reached is kept in the settings.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ispclient.domain import localization, validation
from ispclient.domain import subscriptions as rules
from ispclient.domain.errors import ValidationError
from ispclient.domain.money import parse_amount
from ispclient.routeros.credentials import CredentialStore
from ispclient.routeros.errors import RouterError
from ispclient.routeros.import_secrets import ImportRow
from ispclient.routeros.target import API_PORT, RouterTarget
from ispclient.store import catalog, id_of
from ispclient.store import settings as store_settings
from ispclient.ui import ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.form import FieldForm, error_colour
from ispclient.ui.help import install_f1
from ispclient.ui.window_state import fitted_size

log = logging.getLogger(__name__)

DONE, SKIPPED, PAGE = "done", "skipped", "page:"
SEPARATORS = [("As this PC writes them", ""), ("Point: 1,234.50", "."), ("Comma: 1.234,50", ",")]
DEFAULT_DAYS = 30


def needs_setup(settings: store_settings.Settings, has_clients: bool, has_routers: bool) -> bool:
    """Open the wizard at start-up: a fresh installation, or one whose set-up was left half-way."""
    if settings.setup_progress in (DONE, SKIPPED):
        return False
    if settings.setup_progress.startswith(PAGE):
        return True
    return not has_clients and not has_routers


def resume_page(settings: store_settings.Settings) -> int:
    if settings.setup_progress.startswith(PAGE):
        try:
            return max(0, int(settings.setup_progress[len(PAGE):]))
        except ValueError:
            return 0
    return 0


class _Page(QWizardPage):
    """A page with a :class:`FieldForm` (messages beside fields, checked on every change) that
    saves in the background when the user presses Next, and moves on once saved."""

    def __init__(self, ctx: AppContext, title: str, subtitle: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.setTitle(title)
        self.setSubTitle(subtitle)
        # The page scrolls rather than grow past a small screen (1366×768 at 150 %).
        body = QWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        page = QVBoxLayout(self)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(scroll)
        self.outer = QVBoxLayout(body)
        self.general = QLabel()
        self.general.setObjectName("general_error")
        self.general.setWordWrap(True)
        self.general.setStyleSheet(f"color: {error_colour(self)}; font-weight: 600;")
        self.general.hide()
        self.outer.addWidget(self.general)
        self.form_layout = QFormLayout()
        self.form_layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.outer.addLayout(self.form_layout)
        # FieldForm enables a Save button; a wizard page has Next instead, checked in validatePage.
        self._unused_save = QPushButton()
        self._unused_save.hide()
        self.fields = FieldForm(self.form_layout, self._unused_save, self.validate, self.general)
        self.saved = False
        self.saving = False

    def finish(self) -> None:
        self.outer.addStretch(1)
        self.fields.start()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return not self.saving

    def validate(self) -> Mapping[str, str]:
        return {}

    def work(self) -> Callable[[], Any] | None:
        """The save for Next, run in the background (None: nothing to save)."""
        return None

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if self.saved:
            self.saved = False  # a later Back and Next saves again
            return True
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
        if call is None:
            return True
        self._set_saving(True)
        ops.Op(self, call, key="save").on_success(self._saved).on_failure(self._failed) \
            .on_done(lambda: self._set_saving(False)).run()
        return False

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        self.completeChanged.emit()

    def _saved(self, result: object) -> None:
        self.after_save(result)
        self.saved = True
        wizard = self.wizard()
        if wizard is None:
            return
        if wizard.nextId() == -1:
            wizard.accept()  # validates this page again: saved, so it passes
        else:
            wizard.next()

    def after_save(self, result: object) -> None:
        """What the page keeps of its save (e.g. the new router's id)."""

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.fields.show_server_errors(error.errors)
        else:
            ops.show_error(self, error)


class IspPage(_Page):
    """Who the ISP is (for receipts) and how it counts money, dates and phone numbers."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, "Your business (step 1 of 4)",
                         "Your name, address, phone and tax number appear on receipts. Country, currency, time "
                         "zone and decimals start from this PC's settings.")
        s = ctx.settings()
        fresh = s.setup_progress == "" and s.currency == store_settings.Settings().currency
        country, currency, zone, separator = localization.locale_defaults() if fresh else (
            s.default_country, s.currency, s.timezone, s.decimal_separator)
        self.isp_name = QLineEdit(s.isp_name)
        self.isp_address = QPlainTextEdit(s.isp_address)
        self.isp_address.setTabChangesFocus(True)
        self.isp_address.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.isp_phone = QLineEdit(validation.display_phone(s.isp_phone) if s.isp_phone else "")
        self.isp_tax_number = QLineEdit(s.isp_tax_number)
        self.country = QLineEdit(country)
        self.country.setMaxLength(2)
        self.currency = QLineEdit(currency)
        self.currency.setMaxLength(3)
        self.timezone = QLineEdit(zone)
        self.timezone.setPlaceholderText("this PC's time zone")
        self.separator = QComboBox()
        for text, value in SEPARATORS:
            self.separator.addItem(text, value)
        self.separator.setCurrentIndex(max(self.separator.findData(separator), 0))
        f = self.fields
        f.add("isp_name", "Business &name:", self.isp_name)
        f.add("isp_address", "&Address:", self.isp_address)
        f.add("isp_phone", "&Phone:", self.isp_phone)
        f.add("isp_tax_number", "&Tax number:", self.isp_tax_number, hint="e.g. your KRA PIN or VAT number")
        f.add("default_country", "&Country:", self.country, hint="Two letters, e.g. KE; for phone numbers "
                                                                  "typed without +code.")
        f.add("currency", "C&urrency:", self.currency, hint="Three letters, e.g. KES.")
        f.add("timezone", "Time &zone:", self.timezone, hint="e.g. Africa/Nairobi; empty: this PC's.")
        f.add("decimal_separator", "&Decimals:", self.separator)
        self.finish()
        self.isp_name.setFocus()

    def settings(self) -> store_settings.Settings:
        return replace(self.ctx.settings(), isp_name=self.isp_name.text(), isp_address=self.isp_address.toPlainText(),
                       isp_phone=self.isp_phone.text(), isp_tax_number=self.isp_tax_number.text(),
                       default_country=self.country.text().strip().upper(), currency=self.currency.text(),
                       timezone=self.timezone.text(), decimal_separator=self.separator.currentData())

    def validate(self) -> Mapping[str, str]:
        errors: dict[str, str] = {}
        if not self.isp_name.text().strip():
            errors["isp_name"] = "Enter your business name (it goes on receipts)."
        try:
            store_settings.validate(self.settings())
        except ValidationError as e:
            errors.update({k: v for k, v in e.errors.items() if k not in errors})
        return errors

    def work(self) -> Callable[[], Any]:
        chosen = replace(self.settings(), setup_progress=f"{PAGE}1")
        return lambda: store_settings.save(chosen)


@dataclass(frozen=True)
class TestOutcome:
    ok: bool
    text: str


class RouterPage(_Page):
    """The first router: where it is, its API login (the password goes to the keyring) and a test."""

    tested = Signal(bool)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx, "Your first router (step 2 of 4)",
                         "The MikroTik router your PPPoE customers log in to. The app reads who is online from "
                         "it through the RouterOS API (enable it under IP ▸ Services).")
        self.server_id: int | None = None
        self.test_ok = False
        existing = ctx.catalog().servers
        first = existing[0] if existing else None
        self.name = QLineEdit(first.name if first else "")
        self.name.setPlaceholderText("e.g. Main tower")
        self.host = QLineEdit(first.host if first else "")
        self.host.setPlaceholderText("IP address or host name, e.g. 10.10.0.1")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(first.port if first else API_PORT)
        self.username = QLineEdit(first.username if first else "admin")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        if first is not None:
            self.server_id = first.id
            self.password.setPlaceholderText("Saved — leave empty to keep it")
        f = self.fields
        f.add("name", "Router &name:", self.name)
        f.add("host", "&Address:", self.host)
        f.add("port", "API &port:", self.port, hint="8728 (API) or 8729 (API-SSL)")
        f.add("username", "API &user:", self.username)
        f.add("password", "API pass&word:", self.password, hint="Kept in the OS keyring, never in the database.")
        self.test_button = QPushButton("T&est connection")
        self.test_result = QLabel()
        self.test_result.setObjectName("test_result")
        self.test_result.setWordWrap(True)
        self.test_result.setTextFormat(Qt.TextFormat.PlainText)
        self.form_layout.addRow("", self.test_button)
        self.form_layout.addRow(self.test_result)
        self.test_button.clicked.connect(self.test)
        for w in (self.name, self.host, self.username, self.password):
            w.textChanged.connect(self._untested)
        self.port.valueChanged.connect(self._untested)
        self.finish()

    def _untested(self) -> None:
        ops.forget_key(self, "test")
        self.test_ok = False
        self.test_result.clear()
        self.test_button.setEnabled(True)

    def data(self) -> catalog.ServerInput:
        return catalog.ServerInput(name=self.name.text(), host=self.host.text(), port=self.port.value(),
                                   username=self.username.text())

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
        return errors

    def _password(self) -> str:
        if self.password.text() or self.server_id is None:
            return self.password.text()
        return self.ctx.credentials.get(self.server_id) or ""

    def test(self) -> None:
        errors = self.fields.validate_now()
        if errors:
            self.fields.touch_all()
            self.fields.validate_now()
            self.test_result.setText("Fix the fields marked in red first.")
            return
        d = self.data()
        host = d.host.strip()
        port, name, user, server_id = d.port, d.name.strip(), d.username.strip(), self.server_id or 0
        credentials, typed = self.ctx.credentials, self.password.text()

        def run() -> TestOutcome:
            from ispclient.routeros.session import test_connection

            password = typed or (credentials.get(server_id) if server_id else "") or ""
            target = RouterTarget(server_id=server_id, name=name, host=host, port=port, username=user,
                                  password=password)
            try:
                info = test_connection(target)
            except RouterError as e:
                return TestOutcome(False, f"Could not connect — {e.reason.label}: {e.detail}")
            return TestOutcome(True, f"Connected to {info.identity}, RouterOS {info.version}.")

        self.test_button.setEnabled(False)
        self.test_result.setText(f"Connecting to {host}:{port}…")
        ops.Op(self, run, key="test", lane=ops.Lane.ROUTER).on_success(self._tested) \
            .on_done(lambda: self.test_button.setEnabled(True)).run()

    def _tested(self, outcome: TestOutcome) -> None:
        self.test_ok = outcome.ok
        self.test_result.setText(outcome.text)
        self.tested.emit(outcome.ok)

    def work(self) -> Callable[[], Any] | None:
        if not self.name.text().strip() and not self.host.text().strip():
            return None
        data, server_id, credentials = self.data(), self.server_id, self.ctx.credentials
        password: str | None = self.password.text() if server_id is None else (self.password.text() or None)
        session_only = credentials.backend_problem() is not None

        def save() -> int:
            row = catalog.create_server(data) if server_id is None else catalog.edit_server(server_id, data)
            saved = id_of(row)
            if password is not None:
                credentials.set(saved, password, session_only=session_only)
            _progress(2)
            return saved

        return save

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if not self.name.text().strip() and not self.host.text().strip():
            return True  # skipped: no router yet
        return super().validatePage()

    def after_save(self, result: object) -> None:
        self.server_id = int(result)  # type: ignore[call-overload]


def _progress(page: int) -> None:
    """Remember the step reached (in the worker, with the step's own save)."""
    current = store_settings.load()
    if current.setup_progress not in (DONE, SKIPPED):
        store_settings.save(replace(current, setup_progress=f"{PAGE}{page}"))


class PackageColumn:
    USE, PROFILE, NAME, PRICE, DAYS = range(5)


class PackagesPage(_Page):
    """Packages from the router's PPP profiles: tick the ones you sell, name and price them."""

    def __init__(self, ctx: AppContext, router: RouterPage) -> None:
        super().__init__(ctx, "Packages (step 3 of 4)",
                         "What you sell. Each package sets a PPP profile (its speed) on the router; tick the "
                         "router's profiles you sell and give each a name and a price.")
        self.router = router
        self.read_button = QPushButton("&Read the router's PPP profiles")
        self.read_button.clicked.connect(self.read_profiles)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("profiles")
        self.table.setHorizontalHeaderLabels(["Sell", "PPP profile", "Package name", "Price", "Days"])
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(PackageColumn.NAME, QHeaderView.ResizeMode.Stretch)
        row = QHBoxLayout()
        row.addWidget(self.read_button)
        row.addWidget(self.status, 1)
        self.outer.addLayout(row)
        self.outer.addWidget(self.table, 1)
        self.table.itemChanged.connect(lambda _item: self.fields.validate_now())
        self.fields.add("packages", "", QWidget())  # where the rows' problems are said
        self.finish()

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        if self.table.rowCount() == 0 and self.router.server_id is not None:
            self.read_profiles()

    def read_profiles(self) -> None:
        server_id = self.router.server_id
        if server_id is None:
            self.status.setText("Add a router on the previous step first (or add packages later in Manage ▸ "
                                "Packages).")
            return
        credentials = self.ctx.credentials

        def read() -> list[str]:
            from ispclient.routeros.session import ppp_profiles

            return ppp_profiles(router_target(server_id, credentials))

        self.status.setText("Reading the router's PPP profiles…")
        self.read_button.setEnabled(False)
        ops.Op(self, read, key="profiles", lane=ops.Lane.ROUTER).on_success(self.show_profiles) \
            .on_failure(lambda e: self.status.setText(f"Could not read them: {ops.describe_error(e)[1]}")) \
            .on_done(lambda: self.read_button.setEnabled(True)).run()

    def show_profiles(self, profiles: list[str]) -> None:
        existing = {p.ppp_profile for p in self.ctx.catalog().packages}
        offered = [p for p in profiles if p not in existing]
        self.table.blockSignals(True)
        self.table.setRowCount(len(offered))
        for r, profile in enumerate(offered):
            use = QTableWidgetItem()
            use.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            use.setCheckState(Qt.CheckState.Checked)
            self.table.setItem(r, PackageColumn.USE, use)
            fixed = QTableWidgetItem(profile)
            fixed.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(r, PackageColumn.PROFILE, fixed)
            self.table.setItem(r, PackageColumn.NAME, QTableWidgetItem(package_name(profile)))
            self.table.setItem(r, PackageColumn.PRICE, QTableWidgetItem(""))
            self.table.setItem(r, PackageColumn.DAYS, QTableWidgetItem(str(DEFAULT_DAYS)))
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        self.status.setText(f"{len(offered)} profile(s) not sold yet." if offered else
                            "Every PPP profile of the router already has a package.")
        self.fields.validate_now()

    def chosen(self) -> list[catalog.PackageInput]:
        out = []
        for r in range(self.table.rowCount()):
            use = self.table.item(r, PackageColumn.USE)
            if use is None or use.checkState() != Qt.CheckState.Checked:
                continue
            text = [item.text() if (item := self.table.item(r, c)) is not None else "" for c in range(5)]
            days = int(text[PackageColumn.DAYS]) if text[PackageColumn.DAYS].strip().isdigit() else 0
            out.append(catalog.PackageInput(text[PackageColumn.NAME], text[PackageColumn.PRICE], days,
                                            text[PackageColumn.PROFILE]))
        return out

    def validate(self) -> Mapping[str, str]:
        s = self.ctx.settings()
        problems = []
        for p in self.chosen():
            what = p.name.strip() or p.ppp_profile
            if not p.name.strip():
                problems.append(f"{p.ppp_profile}: enter a package name.")
            try:
                parse_amount(p.price, s.currency, allow_zero=True, decimal_separator=s.decimal_separator)
            except ValidationError as e:
                problems.append(f"{what}: {next(iter(e.errors.values()))}")
            try:
                rules.validate_validity(p.validity_days)
            except ValidationError as e:
                problems.append(f"{what}: {next(iter(e.errors.values()))}")
        return {"packages": "\n".join(problems)} if problems else {}

    def work(self) -> Callable[[], Any] | None:
        chosen = self.chosen()

        def save() -> int:
            for p in chosen:
                catalog.create_package(p)
            _progress(3)
            return len(chosen)

        return save

    def after_save(self, result: object) -> None:
        self.table.setRowCount(0)  # made: a Back shows what is left to sell


def router_target(server_id: int, credentials: CredentialStore) -> RouterTarget:
    """The saved router with its API password (in the worker: the database and the keyring)."""
    from ispclient.store import queries

    server = queries.catalog().server(server_id)
    if server is None:
        raise ValidationError.single("__all__", "That router was removed meanwhile; add it again.")
    return RouterTarget(server_id=server.id, name=server.name, host=server.host, port=server.port, tls=server.tls,
                        ca_file=server.ca_file or None, username=server.username,
                        password=credentials.get(server.id) or "", timeout=server.timeout_s,
                        encoding=server.encoding)


def package_name(profile: str) -> str:
    """A first guess at a package name from a profile: "home-10m" → "Home 10M"."""
    words = profile.replace("_", " ").replace("-", " ").split()
    return " ".join(w.upper() if any(ch.isdigit() for ch in w) else w.capitalize() for w in words) or profile


class ClientsPage(_Page):
    """The first clients: type one, import a spreadsheet, or import the router's PPP secrets."""

    def __init__(self, ctx: AppContext, router: RouterPage) -> None:
        super().__init__(ctx, "Your clients (step 4 of 4)",
                         "Add your customers: one by one, from a spreadsheet, or from the PPP accounts already on "
                         "your router (their passwords come along, kept encrypted).")
        self.router = router
        self.preview: list[ImportRow] = []
        self.imported: list[int] = []
        self.type_button = QPushButton("&Type a client…")
        self.sheet_button = QPushButton("Import a &spreadsheet…")
        self.secrets_button = QPushButton("Import the router's PPP &secrets")
        self.status = QLabel()
        self.status.setObjectName("clients_status")
        self.status.setWordWrap(True)
        for b in (self.type_button, self.sheet_button, self.secrets_button):
            self.outer.addWidget(b)
        self.outer.addWidget(self.status)
        self.type_button.clicked.connect(self.type_client)
        self.secrets_button.clicked.connect(self.import_secrets)
        self._wire_spreadsheet()
        self.finish()

    def _wire_spreadsheet(self) -> None:
        if importlib.util.find_spec("ispclient.ui.import_wizard") is None:  # issue 15's wizard, once on main
            self.sheet_button.setEnabled(False)
            self.sheet_button.setText("Import a spreadsheet (not available yet)")
            self.sheet_button.setToolTip("Spreadsheet import is not in this version yet: type the clients, or "
                                         "import them from the router.")
            return
        self.sheet_button.clicked.connect(self.import_spreadsheet)

    def import_spreadsheet(self) -> None:
        import_wizard = importlib.import_module("ispclient.ui.import_wizard")
        opener = getattr(import_wizard, "ask", None) or getattr(import_wizard, "open_import", None)
        if callable(opener):
            wizard = opener(self, self.ctx)
            signal = getattr(wizard, "imported", None)
            if signal is not None:
                signal.connect(self._sheet_imported)

    def _sheet_imported(self, result: Any) -> None:
        self.status.setText(f"From the spreadsheet: {result.summary()}")

    def type_client(self) -> None:
        from ispclient.ui.dialogs.client_dialog import ClientDialog

        client_id = ClientDialog.ask(self, self.ctx)
        if client_id is not None:
            self.imported.append(client_id)
            self.status.setText(f"{len(self.imported)} client(s) added so far.")

    def import_secrets(self) -> None:
        server_id = self.router.server_id
        if server_id is None:
            self.status.setText("Add a router first (the previous steps).")
            return
        credentials = self.ctx.credentials

        def read_and_import() -> tuple[list[int], list[ImportRow]]:
            from ispclient.routeros.reconcile import fetch_secrets
            from ispclient.store import router_sync

            rows = router_sync.import_preview(server_id, fetch_secrets(router_target(server_id, credentials)))
            return router_sync.import_clients(server_id, rows), rows

        self.secrets_button.setEnabled(False)
        self.status.setText("Reading the router's PPP secrets…")
        ops.Op(self, read_and_import, key="import", lane=ops.Lane.SLOW).on_success(self._imported) \
            .on_failure(self._import_failed).on_done(lambda: self.secrets_button.setEnabled(True)).run()

    def _imported(self, result: tuple[list[int], list[ImportRow]]) -> None:
        created, rows = result
        self.imported += created
        left = [r for r in rows if not r.importable]
        text = f"{len(created)} client(s) imported from the router."
        if left:
            text += f" {len(left)} secret(s) not imported (see Manage ▸ Router sync ▸ Import preview)."
        self.status.setText(text)

    def _import_failed(self, error: BaseException) -> None:
        self.status.setText(f"Could not import: {ops.describe_error(error)[1]}")

    def work(self) -> Callable[[], Any]:
        def finish() -> bool:
            current = store_settings.load()
            store_settings.save(replace(current, setup_progress=DONE))
            return True

        return finish


class SetupWizard(QWizard):
    """Closing it before the end keeps the step reached; the next start offers it again there."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Dialog)
        self.setObjectName("setupWizard")
        self.ctx = ctx
        self.setWindowTitle("Set up")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setButtonText(QWizard.WizardButton.CancelButton, "Finish &later")
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Done")
        install_f1(self, "setup")
        self.isp = IspPage(ctx)
        self.router = RouterPage(ctx)
        self.packages = PackagesPage(ctx, self.router)
        self.clients = ClientsPage(ctx, self.router)
        for page in (self.isp, self.router, self.packages, self.clients):
            self.addPage(page)
        self.resize(fitted_size(QSize(760, 620), parent))
        start = min(resume_page(ctx.settings()), 3)
        if start:
            self.setStartId(start)

    def reject(self) -> None:
        """Finish later: the step reached is kept (saved when each step was)."""
        ops.forget(self)
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        ops.forget(self)
        super().closeEvent(event)

    def skip_for_good(self) -> None:
        """Never offer the wizard at start-up again (Manage ▸ Set-up wizard still opens it)."""
        current = self.ctx.settings()
        ops.Op(None, lambda: store_settings.save(replace(current, setup_progress=SKIPPED))).run()

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext) -> bool:
        wizard = cls(ctx, parent)
        try:
            return bool(wizard.exec() == QWizard.DialogCode.Accepted)
        finally:
            wizard.deleteLater()


