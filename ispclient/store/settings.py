"""Business settings kept in the database (UI state lives in QSettings instead)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields, replace
from datetime import date

from ispclient import APP_NAME
from ispclient.domain import clock, localization, validation
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.money import minor_digits
from ispclient.domain.permissions import Permission
from ispclient.store import access, audit
from ispclient.store.db import atomic, db, is_sqlite
from ispclient.store.memo import transaction_memo
from ispclient.store.models import Setting

PAYMENT_METHODS = ("Cash", "Bank transfer", "Mobile money", "Card", "Cheque", "Other")
# What happens on the router when a client's service ends (after the grace period).
EXPIRY_ACTIONS = ("disable", "limit", "remove", "nothing")
MAX_GRACE_DAYS = 365
MAX_IDLE_LOCK_MINUTES = 240
# Paper the receipts are laid out for: A4/A5 sheets or 80 mm / 58 mm thermal rolls.
RECEIPT_LAYOUTS = ("a4", "a5", "80mm", "58mm")
MAX_RECEIPT_PREFIX = 10


@dataclass(frozen=True)
class Settings:
    currency: str = "USD"
    default_country: str = "US"
    expiring_days: int = 7
    refresh_interval_s: int = 60
    timezone: str = ""  # '' = the PC's own time zone
    client_code_prefix: str = "C"
    # Off until the ISP turns it on: nothing is pushed to a real router by surprise.
    manage_secrets: bool = False
    grace_days: int = 3
    expiry_action: str = "disable"  # one of EXPIRY_ACTIONS
    limit_profile: str = "expired"  # the slow PPP profile for the "limit" action
    # How amounts are typed and shown: "" = as the PC's locale writes them, "." or ",".
    decimal_separator: str = ""
    # Lock the window behind the sign-in after this many minutes without use (0: never).
    idle_lock_minutes: int = 0
    # The ISP itself, for receipts and the set-up wizard.
    isp_name: str = ""
    isp_address: str = ""
    isp_phone: str = ""
    isp_tax_number: str = ""
    # The set-up wizard: "" never finished, "page:N" stopped at page N, "skipped", "done".
    setup_progress: str = ""
    # Receipts (the logo is kept apart, store/receipts.py set_logo/logo, so loading settings stays cheap).
    receipt_prefix: str = "R-"  # receipt numbers read R-000001, R-000002…; changing it never restarts them
    receipt_layout: str = "80mm"  # one of RECEIPT_LAYOUTS
    receipt_footer: str = "Thank you for your payment."


_DEFAULTS = Settings()
_INSTALLATION_ID = "installation_id"


def ensure_defaults() -> None:
    if Setting.get_or_none(Setting.key == _INSTALLATION_ID) is None:
        Setting.insert(key=_INSTALLATION_ID, value=uuid.uuid4().hex).on_conflict_ignore().execute()


def put(key: str, value: str) -> None:
    """Insert or update one row (``Model.replace`` is SQLite/MySQL only)."""
    memo = transaction_memo()
    if memo is not None:
        memo.pop(_MEMO_KEY, None)  # read again after this write
    Setting.insert(key=key, value=value).on_conflict(conflict_target=[Setting.key],
                                                     update={Setting.value: value}).execute()


def installation_id() -> str:
    ensure_defaults()
    return str(Setting.get(Setting.key == _INSTALLATION_ID).value)


def keyring_service() -> str:
    """The OS keyring service name of this installation (router API passwords, PPPoE key)."""
    return f"{APP_NAME}/{installation_id()}"


def _parse(text: str, default: object) -> object:
    if isinstance(default, bool):  # bool("False") is True
        return text.strip().lower() in ("true", "1", "yes", "on")
    return int(text) if isinstance(default, int) else str(text)


_MEMO_KEY = "settings"


def load() -> Settings:
    """The settings as stored; inside a write transaction, read once for all of it."""
    memo = transaction_memo()
    if memo is not None:
        known = memo.get(_MEMO_KEY)
        if known is None:
            known = memo[_MEMO_KEY] = _read()
        return known  # type: ignore[no-any-return]
    return _read()


def _read() -> Settings:
    stored = {s.key: s.value for s in Setting.select()}
    values: dict[str, object] = {}
    for f in fields(Settings):
        if f.name in stored:
            try:
                values[f.name] = _parse(stored[f.name], getattr(_DEFAULTS, f.name))
            except ValueError:  # a damaged value: the default, rather than no app at all
                continue
    return Settings(**values)  # type: ignore[arg-type]


def apply_locale(current: Settings | None = None) -> None:
    """Read and write amounts with the installation's decimal separator from now on."""
    localization.configure((current or load()).decimal_separator)


def validate(new: Settings) -> Settings:
    errors = Collector()
    for f in fields(Settings):  # wrong types are field messages, never a TypeError
        default = getattr(_DEFAULTS, f.name)
        value = getattr(new, f.name)
        if type(value) is not type(default):
            errors.add(f.name, f"Wrong kind of value for {f.name.replace('_', ' ')}.")
    errors.raise_if_any()
    currency = new.currency.strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        errors.add("currency", "Use the three-letter currency code, e.g. KES, NGN, USD.")
    country = errors.check("default_country", validation.country_code, new.default_country)
    if not 1 <= new.expiring_days <= 90:
        errors.add("expiring_days", "Show “Expiring” between 1 and 90 days before the end date.")
    if not 15 <= new.refresh_interval_s <= 3600:
        errors.add("refresh_interval_s", "Refresh the connection status every 15 seconds to 1 hour.")
    if len(new.timezone) > 100:
        errors.add("timezone", "That is not a time zone (e.g. Africa/Nairobi).")
    else:
        errors.check("timezone", clock.zone, new.timezone.strip())
    prefix = new.client_code_prefix.strip()
    if not prefix.isascii() or not prefix.isalpha() or len(prefix) > 5:
        errors.add("client_code_prefix", "The Client ID prefix is up to 5 English letters, e.g. C.")
    if not 0 <= new.grace_days <= MAX_GRACE_DAYS:
        errors.add("grace_days", f"The grace period is 0 to {MAX_GRACE_DAYS} days.")
    if new.decimal_separator not in localization.DECIMAL_SEPARATORS:
        errors.add("decimal_separator", "Decimals are written with “.” or “,” (or as this PC's language does).")
    if not 0 <= new.idle_lock_minutes <= MAX_IDLE_LOCK_MINUTES:
        errors.add("idle_lock_minutes", f"Lock after 1 to {MAX_IDLE_LOCK_MINUTES} minutes without use, or 0 for never.")
    if new.expiry_action not in EXPIRY_ACTIONS:
        errors.add("expiry_action", "Choose what happens on expiry: disable, limit, remove or nothing.")
    limit_profile = new.limit_profile.strip()
    if new.expiry_action == "limit" or limit_profile:
        errors.check("limit_profile", validation.required_text, limit_profile, "limit_profile",
                     "slow PPP profile for expired clients")
    isp_name = errors.check("isp_name", validation.line, new.isp_name, "isp_name", "business name", 200)
    isp_address = errors.check("isp_address", validation.text_block, new.isp_address, "isp_address", "address",
                               500)
    isp_phone = errors.check("isp_phone", validation.phone, new.isp_phone, str(country or "US")) \
        if new.isp_phone.strip() else ""
    isp_tax = errors.check("isp_tax_number", validation.line, new.isp_tax_number, "isp_tax_number",
                           "tax number", 50)
    if len(new.setup_progress) > 20:
        errors.add("setup_progress", "Not a set-up wizard step.")
    receipt = _receipt_details(new, errors)
    errors.raise_if_any()
    return Settings(currency=currency, default_country=str(country), expiring_days=new.expiring_days,
                    refresh_interval_s=new.refresh_interval_s, timezone=new.timezone.strip(),
                    client_code_prefix=prefix, manage_secrets=bool(new.manage_secrets),
                    grace_days=new.grace_days, expiry_action=new.expiry_action, limit_profile=limit_profile,
                    decimal_separator=new.decimal_separator, idle_lock_minutes=new.idle_lock_minutes,
                    isp_name=str(isp_name), isp_address=str(isp_address), isp_phone=str(isp_phone or ""),
                    isp_tax_number=str(isp_tax), setup_progress=new.setup_progress, **receipt)


def _receipt_details(new: Settings, errors: Collector) -> dict[str, str]:
    """The receipt fields, cleaned; problems go to ``errors``."""
    out: dict[str, str] = {}
    out["receipt_footer"] = str(errors.check("receipt_footer", validation.text_block, new.receipt_footer,
                                             "receipt_footer", "receipt footer", validation.MAX_ADDRESS) or "")
    prefix = new.receipt_prefix.strip()
    if len(prefix) > MAX_RECEIPT_PREFIX or prefix[-1:].isdigit() \
            or not all(ch.isascii() and (ch.isalnum() or ch in "-/._") for ch in prefix):
        errors.add("receipt_prefix", f"The receipt prefix is up to {MAX_RECEIPT_PREFIX} English letters, digits "
                                     "or - / . _, not ending in a digit (e.g. R- or 2026/).")
    out["receipt_prefix"] = prefix
    if new.receipt_layout not in RECEIPT_LAYOUTS:
        errors.add("receipt_layout", "Choose the receipt paper: A4, A5, 80 mm or 58 mm roll.")
    out["receipt_layout"] = new.receipt_layout
    return out


@access.requires(Permission.SETTINGS)
def save(new: Settings, *, actor: str | None = None, changed_from: Settings | None = None) -> Settings:
    """Validate and store the settings. ``changed_from`` is what the form was filled from: only
    the fields changed since then are written, so two forms (or two PCs) editing different
    settings never undo each other's."""
    clean = validate(new)
    with atomic():
        old = load()
        if changed_from is not None:
            clean = replace(old, **{f.name: getattr(clean, f.name) for f in fields(Settings)
                                    if getattr(clean, f.name) != getattr(changed_from, f.name)})
        if old.currency != clean.currency and minor_digits(old.currency) != minor_digits(clean.currency):
            from ispclient.store.models import Payment

            if not is_sqlite():
                # No payment may slip in (typed in the old currency's decimals) between this
                # check and the change; SQLite's IMMEDIATE transaction already keeps writers out.
                db.execute_sql("LOCK TABLE payment IN SHARE MODE")
            if Payment.select().exists():
                raise ValidationError.single(
                    "currency", "The currency can't change to one with other decimals once payments exist."
                )
        for f in fields(Settings):
            put(f.name, str(getattr(clean, f.name)))
        if clean.manage_secrets and not old.manage_secrets:
            from ispclient.store.models import Client

            # The routers may have drifted while unmanaged: the next sync queues every client.
            Client.update(router_desired="").execute()
        audit.record("settings.edit", "settings", None, summary="Settings changed",
                     before=audit.snapshot(old), after=audit.snapshot(clean), actor=actor)
    apply_locale(clean)
    return clean


def today() -> date:
    return clock.today(load().timezone)
