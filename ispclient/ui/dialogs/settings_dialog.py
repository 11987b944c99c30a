"""Settings: currency, country, dates, and what the app does on the routers.

Turning "manage PPP secrets" on says first how many clients the next run would change (and cut
off), since that is the moment the app starts writing to real routers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QPushButton, QSpinBox, QWidget

from ispclient.domain.errors import ValidationError
from ispclient.store import provisioning, settings
from ispclient.ui import msgbox, ops
from ispclient.ui.context import AppContext
from ispclient.ui.dialogs.database_dialog import DatabaseDialog
from ispclient.ui.dialogs.form import FormDialog
from ispclient.ui.dialogs.pppoe_key_dialog import PppoeKeyDialog

DECIMAL_LABELS = {"": "As this PC's language writes them", ".": "With a point: 12.50", ",": "With a comma: 12,50"}
ACTION_LABELS = {
    "disable": "Disable the secret and disconnect",
    "limit": "Switch to a slow profile and disconnect",
    "remove": "Remove the secret from the router",
    "nothing": "Do nothing on the router",
}


class SettingsDialog(FormDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Settings", parent)
        self.ctx = ctx
        self.setMinimumWidth(520)
        self.old = ctx.settings()
        self._confirmed = False  # "manage PPP secrets" turned on with the user's say-so

        self.currency = QLineEdit()
        self.country = QLineEdit()
        self.expiring_days = QSpinBox()
        self.expiring_days.setRange(1, 90)
        self.expiring_days.setSuffix(" days")
        self.refresh = QSpinBox()
        self.refresh.setRange(15, 3600)
        self.refresh.setSuffix(" s")
        self.timezone = QLineEdit()
        self.timezone.setPlaceholderText("this PC's time zone")
        self.prefix = QLineEdit()
        self.manage = QCheckBox("&Manage PPP secrets on the routers")
        self.grace = QSpinBox()
        self.grace.setRange(0, settings.MAX_GRACE_DAYS)
        self.grace.setSuffix(" days")
        self.action = QComboBox()
        for key, label in ACTION_LABELS.items():
            self.action.addItem(label, key)
        self.limit_profile = QLineEdit()
        self.decimals = QComboBox()
        for key, label in DECIMAL_LABELS.items():
            self.decimals.addItem(label, key)
        self.idle_lock = QSpinBox()
        self.idle_lock.setRange(0, settings.MAX_IDLE_LOCK_MINUTES)
        self.idle_lock.setSuffix(" min")
        self.idle_lock.setSpecialValueText("never")

        f = self.fields
        f.add("currency", "&Currency:", self.currency)
        f.add("default_country", "Co&untry:", self.country, hint="For phone numbers typed without +code.")
        f.add("expiring_days", "“&Expiring” from:", self.expiring_days)
        f.add("refresh_interval_s", "Status &refresh:", self.refresh)
        f.add("timezone", "&Time zone:", self.timezone, hint="e.g. Africa/Nairobi; empty: this PC's.")
        f.add("client_code_prefix", "Client &ID prefix:", self.prefix)
        f.add("manage_secrets", "", self.manage,
              hint="Create, enable, disable and remove PPPoE accounts on the routers as subscriptions "
                   "start, end and are paid.")
        f.add("grace_days", "&Grace period:", self.grace, hint="Days of service after the end date.")
        f.add("expiry_action", "&On expiry:", self.action)
        f.add("limit_profile", "S&low profile:", self.limit_profile,
              hint="The router's PPP profile for expired clients when limiting.")
        f.add("decimal_separator", "&Decimals:", self.decimals, hint="How amounts are typed: 12.50 or 12,50.")
        f.add("idle_lock_minutes", "&Lock when idle:", self.idle_lock,
              hint="Behind the sign-in after this long without use, on every PC.")
        database = QPushButton("Data&base (several PCs)…")
        database.clicked.connect(lambda: DatabaseDialog.ask(self, self.ctx))
        key_button = QPushButton("PPPoE password &key…")
        key_button.clicked.connect(self._key)
        self.form_layout.addRow(database, key_button)
        receipts_button = QPushButton("Receipts and &business details…")
        receipts_button.clicked.connect(self._receipts)
        self.form_layout.addRow(receipts_button)
        self.manage.toggled.connect(self._enable_router_fields)
        self.action.currentIndexChanged.connect(self._enable_router_fields)
        self._fill()
        self.finish_layout()

    def _fill(self) -> None:
        s = self.old
        self.currency.setText(s.currency)
        self.country.setText(s.default_country)
        self.expiring_days.setValue(s.expiring_days)
        self.refresh.setValue(s.refresh_interval_s)
        self.timezone.setText(s.timezone)
        self.prefix.setText(s.client_code_prefix)
        self.manage.setChecked(s.manage_secrets)
        self.grace.setValue(s.grace_days)
        self.action.setCurrentIndex(max(0, self.action.findData(s.expiry_action)))
        self.limit_profile.setText(s.limit_profile)
        self.decimals.setCurrentIndex(max(0, self.decimals.findData(s.decimal_separator)))
        self.idle_lock.setValue(s.idle_lock_minutes)
        self._enable_router_fields()

    def _receipts(self) -> None:
        # Imported here: its paper sizes come with printing (QtPrintSupport), loaded only when needed.
        from ispclient.ui.dialogs.receipt_settings_dialog import ReceiptSettingsDialog

        ReceiptSettingsDialog.ask(self, self.ctx)

    def _key(self) -> None:
        dialog = PppoeKeyDialog(self)
        dialog.exec()
        dialog.deleteLater()

    def _enable_router_fields(self) -> None:
        on = self.manage.isChecked()
        for w in (self.grace, self.action):
            w.setEnabled(on)
        self.limit_profile.setEnabled(on and self.action.currentData() == "limit")

    def data(self) -> settings.Settings:
        return replace(
            self.old, currency=self.currency.text(), default_country=self.country.text(),
            expiring_days=self.expiring_days.value(), refresh_interval_s=self.refresh.value(),
            timezone=self.timezone.text(), client_code_prefix=self.prefix.text(),
            manage_secrets=self.manage.isChecked(), grace_days=self.grace.value(),
            expiry_action=str(self.action.currentData()), limit_profile=self.limit_profile.text(),
            decimal_separator=str(self.decimals.currentData()), idle_lock_minutes=self.idle_lock.value(),
        )

    def validate(self) -> Mapping[str, str]:
        try:
            settings.validate(self.data())
        except ValidationError as e:
            return e.errors
        return {}

    def try_save(self) -> bool:
        """Turning router management on first says what the next run would do (counted in the
        background), and saves only if the user agrees."""
        if self.saving or self.fields.validate_now():
            return super().try_save()
        new = settings.validate(self.data())
        if new.manage_secrets and not self.old.manage_secrets and not self._confirmed:
            self._set_busy(True)
            ops.Op(self, lambda: provisioning.sync_all(dry_run=True, settings=new), key="dry-run") \
                .on_success(lambda counts: self._confirm_manage(new, counts)) \
                .on_done(lambda: self._set_busy(False)).run()
            return True
        return super().try_save()

    def _confirm_manage(self, new: settings.Settings, counts: provisioning.SyncCounts) -> None:
        text = (f"The app will now write to your routers. The next run changes {counts.queued} PPP "
                f"secret(s); {counts.cut_off} client(s) without a running subscription will be cut off "
                f"({ACTION_LABELS[new.expiry_action].lower()}).\n\nTurn it on?")
        if msgbox.confirm(self, "Manage PPP secrets", text, ok_text="Turn on"):
            self._confirmed = True
            self._set_busy(False)
            super().try_save()
        else:
            self.fields.show_server_errors(
                {"manage_secrets": "Not turned on: the routers are left as they are."})

    def work(self) -> Callable[[], Any]:
        new, old = self.data(), self.old
        # Only what this form changed: the receipt details (saved from their own dialog) stay.
        return lambda: (settings.save(new, changed_from=old), 1)[1]

    @classmethod
    def ask(cls, parent: QWidget | None, ctx: AppContext) -> bool:
        return cls.run(cls(ctx, parent)) is not None
