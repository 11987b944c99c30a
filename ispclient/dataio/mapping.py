"""Which column holds what: guessed from the header, ready-made for known exports, saved for
the next import of a file with the same columns."""

from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

log = logging.getLogger(__name__)


class Field(StrEnum):
    """What a column can be imported as."""

    CLIENT_CODE = "client_code"
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    NOTES = "notes"
    PPPOE_USERNAME = "pppoe_username"
    PPPOE_PASSWORD = "pppoe_password"
    SERVER = "server"
    PACKAGE = "package"
    PRICE = "price"
    ENDS_ON = "ends_on"
    PAID = "paid"
    OPENING_BALANCE = "opening_balance"
    CREDIT = "credit"


LABELS: dict[Field, str] = {
    Field.CLIENT_CODE: "Client ID",
    Field.NAME: "Name",
    Field.PHONE: "Phone",
    Field.EMAIL: "E-mail",
    Field.ADDRESS: "Address",
    Field.NOTES: "Notes",
    Field.PPPOE_USERNAME: "PPPoE username",
    Field.PPPOE_PASSWORD: "PPPoE password",
    Field.SERVER: "Router (server)",
    Field.PACKAGE: "Package (name, PPP profile or price)",
    Field.PRICE: "Package price (for new packages)",
    Field.ENDS_ON: "Subscription ends on",
    Field.PAID: "Subscription paid (yes/no)",
    Field.OPENING_BALANCE: "Opening balance (owed)",
    Field.CREDIT: "Credit",
}

# Header words (compared folded: lower case, no accents, punctuation as spaces) → field.
SYNONYMS: dict[Field, tuple[str, ...]] = {
    Field.CLIENT_CODE: ("client id", "clientid", "client code", "client no", "client number", "customer id",
                        "customer code", "customer no", "customer number", "account", "account no",
                        "account number", "acc no", "subscriber id", "id", "code"),
    Field.NAME: ("name", "full name", "fullname", "client name", "customer name", "customer", "client",
                 "subscriber", "subscriber name", "names", "client names"),
    Field.PHONE: ("phone", "mobile", "msisdn", "phone number", "phonenumber", "phone no", "mobile number",
                  "mobile no", "tel", "telephone", "cell", "cell phone", "cellphone", "contact", "whatsapp",
                  "contact number"),
    Field.EMAIL: ("email", "e mail", "mail", "email address", "e mail address"),
    Field.ADDRESS: ("address", "location", "physical address", "street", "street address", "premises",
                    "house"),
    Field.NOTES: ("notes", "note", "remarks", "remark", "comments", "description", "memo"),
    Field.PPPOE_USERNAME: ("pppoe username", "username", "user name", "user", "login", "pppoe", "pppoe user",
                           "pppoe login", "pppoe name", "secret", "account name", "user id"),
    Field.PPPOE_PASSWORD: ("pppoe password", "password", "pass", "secret password", "pppoe pass", "pwd"),
    Field.SERVER: ("server", "router", "routers", "nas", "mikrotik", "router name", "server name"),
    Field.PACKAGE: ("package", "plan", "namebp", "plan name", "package name", "profile", "service plan",
                    "bandwidth", "speed", "internet plan", "tariff", "subscription plan", "product"),
    Field.PRICE: ("price", "package price", "plan price", "monthly fee", "fee", "monthly price", "rate"),
    Field.ENDS_ON: ("expiry", "expires", "expires on", "expiry date", "expiration", "expiration date", "end date",
                    "ends on", "ends", "valid until", "valid till", "due date", "subscription ends", "expire",
                    "expired date", "expire date", "expiry time", "paid until", "paid till", "renewal date",
                    "next due"),
    Field.PAID: ("paid", "payment status", "paid up", "is paid"),
    # "Balance" as this app means it: what the client owes (negative: paid ahead).
    Field.OPENING_BALANCE: ("opening balance", "balance", "owes", "debt", "arrears", "amount due", "due",
                            "outstanding"),
    Field.CREDIT: ("credit", "deposit", "wallet", "prepaid balance"),
}
_BY_WORDS = {word: f for f, words in SYNONYMS.items() for word in words}


def fold(text: str) -> str:
    """'E-Mail Address ' → 'e mail address' (for comparing headers)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()  # phoneNumber → phone number
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class Mapping:
    """Column index → field, and how to fill what the file lacks."""

    columns: dict[int, Field] = field(default_factory=dict)
    name_from_username: bool = False  # a router's secret without a comment: the username as name

    def column_of(self, f: Field) -> int | None:
        return next((i for i, g in self.columns.items() if g is f), None)

    def has(self, f: Field) -> bool:
        return f in self.columns.values()

    def with_column(self, index: int, f: Field | None) -> Mapping:
        """One column mapped to ``f`` (None: not imported); a field goes to one column only."""
        columns = {i: g for i, g in self.columns.items() if i != index and g is not f}
        if f is not None:
            columns[index] = f
        return Mapping(dict(sorted(columns.items())), self.name_from_username)

    def to_json(self) -> dict[str, object]:
        return {"columns": {str(i): f.value for i, f in self.columns.items()},
                "name_from_username": self.name_from_username}

    @classmethod
    def from_json(cls, data: object, width: int) -> Mapping | None:
        if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
            return None
        columns: dict[int, Field] = {}
        for key, value in data["columns"].items():
            try:
                index, f = int(key), Field(value)
            except ValueError:
                return None
            if 0 <= index < width and f not in columns.values():
                columns[index] = f
        return cls(dict(sorted(columns.items())), bool(data.get("name_from_username", False)))


def guess(header: Sequence[str]) -> Mapping:
    """The likeliest field for each column, from its header; each field at most once (the first
    column whose header says so exactly wins, then the first that merely contains a synonym)."""
    columns: dict[int, Field] = {}
    taken: set[Field] = set()
    folded = [fold(h) for h in header]
    for i, h in enumerate(folded):
        f = _BY_WORDS.get(h)
        if f is not None and f not in taken:
            columns[i] = f
            taken.add(f)
    for i, h in enumerate(folded):
        if i in columns or not h:
            continue
        # The longest synonym inside the header wins: "client's phone number" is a phone, not a name.
        found = [(len(w), f) for w, f in _BY_WORDS.items()
                 if f not in taken and len(w) > 3 and re.search(rf"\b{re.escape(w)}\b", h)]
        if found:
            f = max(found, key=lambda x: x[0])[1]
            columns[i] = f
            taken.add(f)
    return Mapping(dict(sorted(columns.items())))


# -- ready-made mappings ----------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    headers: dict[str, Field | None]  # folded header → field (None: not imported)
    name_from_username: bool = False
    note: str = ""

    def matches(self, header: Sequence[str]) -> bool:
        folded = {fold(h) for h in header}
        required = [h for h, f in self.headers.items() if f in (Field.PPPOE_USERNAME, Field.NAME)]
        return all(h in folded for h in required) and len(folded & set(self.headers)) >= min(4, len(self.headers))

    def mapping(self, header: Sequence[str]) -> Mapping:
        columns: dict[int, Field] = {}
        for i, h in enumerate(header):
            f = self.headers.get(fold(h))
            if f is not None and f not in columns.values():
                columns[i] = f
        return Mapping(columns, self.name_from_username)


# PHPNuxBill's Customers ▸ Export (system/controllers/customers.php, "csv" and "csv-prepaid"):
# id, username, fullname, address, phonenumber, email, balance, service_type[, namebp, routers,
# status, Payment]. Its "balance" is the customer's wallet: money they have with the ISP.
PHPNUXBILL = Preset(
    "phpnuxbill", "PHPNuxBill customers (CSV export)",
    {"id": Field.CLIENT_CODE, "username": Field.PPPOE_USERNAME, "fullname": Field.NAME, "address": Field.ADDRESS,
     "phonenumber": Field.PHONE, "email": Field.EMAIL, "balance": Field.CREDIT, "service type": None,
     "namebp": Field.PACKAGE, "routers": Field.SERVER, "status": None, "payment": None},
    note="PHPNuxBill's balance is the customer's wallet: it comes in as credit.")
# A router's PPP secrets: /ppp secret export (.rsc), or the list saved as CSV from Winbox.
MIKROTIK = Preset(
    "mikrotik", "MikroTik PPP secret list",
    {"name": Field.PPPOE_USERNAME, "password": Field.PPPOE_PASSWORD, "profile": Field.PACKAGE,
     "comment": Field.NAME, "service": None, "disabled": None, "caller id": None, "remote address": None,
     "local address": None},
    name_from_username=True,
    note="The comment becomes the name (the username when there is none); the profile picks the package.")
PRESETS = (PHPNUXBILL, MIKROTIK)


def preset_for(header: Sequence[str]) -> Preset | None:
    return next((p for p in PRESETS if p.matches(header)), None)


# -- saved for next time ----------------------------------------------------------------------

SAVED_FILE = "import-mappings.json"
MAX_SAVED = 20


def _signature(header: Sequence[str]) -> str:
    return "\x1f".join(fold(h) for h in header)


def load_saved(config_dir: Path, header: Sequence[str]) -> Mapping | None:
    """The mapping last used for a file with this header, if any."""
    try:
        data = json.loads((config_dir / SAVED_FILE).read_text(encoding="utf-8"))
        entries = data.get("mappings", []) if isinstance(data, dict) else []
    except (OSError, ValueError):
        return None
    signature = _signature(header)
    for entry in entries:
        if isinstance(entry, dict) and entry.get("header") == signature:
            return Mapping.from_json(entry.get("mapping"), len(header))
    return None


def save(config_dir: Path, header: Sequence[str], mapping: Mapping) -> None:
    """Remember the mapping for this header (the newest first, a few kept)."""
    path = config_dir / SAVED_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = [e for e in data.get("mappings", []) if isinstance(e, dict)]
    except (OSError, ValueError, AttributeError):
        entries = []
    signature = _signature(header)
    entries = [{"header": signature, "mapping": mapping.to_json()}] + \
        [e for e in entries if e.get("header") != signature]
    tmp = path.with_name(path.name + ".tmp")
    try:
        config_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"mappings": entries[:MAX_SAVED]}, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        log.warning("could not save the import mapping in %s", path, exc_info=True)


def initial(header: Sequence[str], config_dir: Path | None = None) -> tuple[Mapping, str]:
    """The mapping to start from and where it came from: saved, a preset, or guessed."""
    if config_dir is not None:
        saved = load_saved(config_dir, header)
        if saved is not None:
            return saved, "the mapping used last time for these columns"
    preset = preset_for(header)
    if preset is not None:
        return preset.mapping(header), preset.label
    return guess(header), "guessed from the column names"
