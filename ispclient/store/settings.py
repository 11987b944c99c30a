"""Business settings kept in the database (UI state lives in QSettings instead)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date

from ispclient.domain import clock, validation
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.money import minor_digits
from ispclient.store import audit
from ispclient.store.db import atomic
from ispclient.store.models import Setting

PAYMENT_METHODS = ("Cash", "Bank transfer", "Mobile money", "Card", "Cheque", "Other")


@dataclass(frozen=True)
class Settings:
    currency: str = "USD"
    default_country: str = "US"
    expiring_days: int = 7
    refresh_interval_s: int = 60
    timezone: str = ""  # '' = the PC's own time zone
    client_code_prefix: str = "C"


_DEFAULTS = Settings()
_INSTALLATION_ID = "installation_id"


def ensure_defaults() -> None:
    if Setting.get_or_none(Setting.key == _INSTALLATION_ID) is None:
        Setting.insert(key=_INSTALLATION_ID, value=uuid.uuid4().hex).on_conflict_ignore().execute()


def installation_id() -> str:
    ensure_defaults()
    return str(Setting.get(Setting.key == _INSTALLATION_ID).value)


def load() -> Settings:
    stored = {s.key: s.value for s in Setting.select()}
    values: dict[str, object] = {}
    for f in fields(Settings):
        if f.name in stored:
            default = getattr(_DEFAULTS, f.name)
            values[f.name] = type(default)(stored[f.name])
    return Settings(**values)  # type: ignore[arg-type]


def validate(new: Settings) -> Settings:
    errors = Collector()
    currency = new.currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        errors.add("currency", "Use the three-letter currency code, e.g. KES, NGN, USD.")
    country = errors.check("default_country", validation.country_code, new.default_country)
    if not 1 <= new.expiring_days <= 90:
        errors.add("expiring_days", "Show “Expiring” between 1 and 90 days before the end date.")
    if not 15 <= new.refresh_interval_s <= 3600:
        errors.add("refresh_interval_s", "Refresh the connection status every 15 seconds to 1 hour.")
    errors.check("timezone", clock.zone, new.timezone.strip())
    prefix = new.client_code_prefix.strip()
    if not prefix.isascii() or not prefix.isalpha() or len(prefix) > 5:
        errors.add("client_code_prefix", "The Client ID prefix is up to 5 English letters, e.g. C.")
    errors.raise_if_any()
    return Settings(currency, str(country), new.expiring_days, new.refresh_interval_s, new.timezone.strip(), prefix)


def save(new: Settings, *, actor: str | None = None) -> Settings:
    clean = validate(new)
    old = load()
    if old.currency != clean.currency and minor_digits(old.currency) != minor_digits(clean.currency):
        from ispclient.store.models import Payment

        if Payment.select().exists():
            raise ValidationError.single(
                "currency", "The currency can't change to one with other decimals once payments exist."
            )
    with atomic():
        for f in fields(Settings):
            Setting.replace(key=f.name, value=str(getattr(clean, f.name))).execute()
        audit.record("settings.edit", "settings", None, summary="Settings changed",
                     before=audit.snapshot(old), after=audit.snapshot(clean), actor=actor)
    return clean


def today() -> date:
    return clock.today(load().timezone)
