"""PPPoE passwords encrypted at rest: Fernet (``cryptography``) with a key in the OS keyring.

Where the key lives: only in the keyring of each PC that has it (Windows Credential Manager),
under the installation's keyring service name, entry ``pppoe-password-key``. The database keeps
only a fingerprint of it, so a PC holding a different key (or none — a second front-desk PC on
one PostgreSQL database) says so instead of quietly writing tokens the others can't read.
Backups of the database do not contain the key.

Moving it: :func:`export_key_file` writes it to a file protected by a passphrase the user types
(scrypt + Fernet); :func:`import_key_file` reads it on the other PC (Settings, or
``ispclient key export FILE`` / ``ispclient key import FILE``). When the key is truly lost,
:func:`start_new_key` makes a new one: the passwords saved with the old one become "unknown — set
a new one" (the routers keep them; nothing is pushed until a new password is typed).

When no keyring backend works, or the only one stores plain text, we refuse to store PPPoE
passwords: a key in a file next to the database would protect nothing.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
import secrets as random
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ispclient.domain.errors import ValidationError
from ispclient.domain.permissions import Permission
from ispclient.logging_setup import register_secret
from ispclient.store import access, settings
from ispclient.store.models import Setting

if TYPE_CHECKING:
    from types import ModuleType

# keyring and cryptography are imported on first use: the start-up (auto-renew imports this
# module through provisioning) needs neither, and they cost ~150 ms of it.

KEY_NAME = "pppoe-password-key"
_KEY_ID_SETTING = "pppoe_key_id"
FILE_FORMAT = "ispclient-pppoe-key"
MIN_PASSPHRASE = 8
# scrypt work factor: ~0.1 s and 32 MB on a front-desk PC; a guessed passphrase costs the same.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
IMPORT_HINT = ("Import the key from the PC that saved them (Settings → PPPoE password key, or "
               "ispclient key import FILE).")

_cache: dict[tuple[int, str], PasswordCipher] = {}
_lock = threading.Lock()


class SecretsUnavailable(ValidationError):
    """PPPoE passwords can't be encrypted or decrypted on this PC; the message says why."""

    def __init__(self, message: str, field: str = "pppoe_password") -> None:
        super().__init__({field: message})


class KeyMissing(SecretsUnavailable):
    """This PC lacks the key the database's passwords were saved with (another PC has it).

    Work needing a password waits for a PC that has the key: the router queue leaves such a
    change pending, it never marks it failed."""


class KeyStatus(enum.Enum):
    NOT_STARTED = "no PPPoE password has been saved yet"
    PRESENT = "this PC has the key"
    MISSING = "the key is on another PC"
    WRONG_KEY = "this PC holds another key"
    NO_KEYRING = "no secure keyring on this PC"


class PasswordCipher:
    """Encrypts and decrypts PPPoE passwords (Fernet); thread-safe, holds only the key.

    Fernet's own code on both sides, on purpose: a hand-chained CBC was measured at ~3 µs less
    per password (0.3 s of a 100,000-row import), not worth our own cipher code."""

    def __init__(self, key: bytes) -> None:
        from cryptography.fernet import Fernet

        self._fernet = Fernet(key)
        self.key_id = key_id(key)

    def encrypt(self, password: str) -> str:
        register_secret(password)
        return self._fernet.encrypt(password.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            password = self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise KeyMissing(f"A stored PPPoE password could not be decrypted with this PC's key. {IMPORT_HINT}") \
                from None
        register_secret(password)
        return password


def key_id(key: bytes) -> str:
    """A fingerprint that identifies the key without revealing it."""
    return hashlib.sha256(b"ispclient-pppoe-key:" + key).hexdigest()[:16]


def _keyring() -> ModuleType:
    import keyring

    return keyring


def keyring_problem() -> str | None:
    from ispclient.routeros.credentials import keyring_backend_problem

    why = keyring_backend_problem()
    if why:
        return (f"No secure password store (keyring) works on this computer ({why}), so PPPoE passwords can't "
                "be saved safely. Leave the PPPoE password empty, or set up the keyring and try again.")
    return None


def _read_key() -> str | None:
    try:
        value = _keyring().get_password(settings.keyring_service(), KEY_NAME)
    except Exception as error:  # backends raise their own types
        raise SecretsUnavailable(f"The keyring could not be read ({type(error).__name__}).") from None
    return str(value) if value is not None else None


def _write_key(text: str) -> None:
    try:
        _keyring().set_password(settings.keyring_service(), KEY_NAME, text)
    except Exception as error:
        raise SecretsUnavailable(f"The keyring could not save the PPPoE password key ({type(error).__name__}).") \
            from None


def _forget_key() -> None:
    try:
        _keyring().delete_password(settings.keyring_service(), KEY_NAME)
    except Exception:  # noqa: BLE001 - nothing saved, or a backend's own failure: nothing to undo
        pass


def _claim_key_id(new_id: str) -> str:
    """Record ``new_id`` as the database's key unless another PC recorded one first; the id the
    database holds afterwards."""
    Setting.insert(key=_KEY_ID_SETTING, value=new_id).on_conflict_ignore().execute()
    return _stored_key_id()


def key_status() -> KeyStatus:
    """Whether this PC can read and write the database's PPPoE passwords (for the first-start
    offer to import the key, and for Settings)."""
    if keyring_problem():
        return KeyStatus.NO_KEYRING
    expected = _stored_key_id()
    text = _read_key()
    if not expected:
        return KeyStatus.NOT_STARTED
    if text is None:
        return KeyStatus.MISSING
    return KeyStatus.PRESENT if key_id(text.encode("ascii")) == expected else KeyStatus.WRONG_KEY


def import_offered() -> bool:
    """True on a PC that should be offered the key's import: passwords exist, this PC can't read them."""
    return key_status() in (KeyStatus.MISSING, KeyStatus.WRONG_KEY)


def cipher(*, create: bool = True) -> PasswordCipher:
    """This installation's cipher; made (key included) on first use when ``create``.

    Raises :class:`SecretsUnavailable` when there is no working keyring, and :class:`KeyMissing`
    when this PC's key is missing or not the one the database was written with.
    """
    problem = keyring_problem()
    if problem:
        raise SecretsUnavailable(problem)
    service = settings.keyring_service()
    cache_key = (id(_keyring().get_keyring()), service)
    with _lock:
        cached = _cache.get(cache_key)
        expected = _stored_key_id()
        if cached is not None and cached.key_id == expected:
            return cached
        text = _read_key()
        if text is None:
            if expected:
                raise KeyMissing("This PC doesn't have the key that protects the PPPoE passwords (they were saved "
                                 f"on another PC). {IMPORT_HINT}")
            if not create:
                raise SecretsUnavailable("No PPPoE password has been saved yet.")
            from cryptography.fernet import Fernet

            text = Fernet.generate_key().decode("ascii")
            _write_key(text)
            # Two PCs saving their first password at once each made a key: the database keeps the
            # first one recorded, and the other PC gives its own key up.
            if _claim_key_id(key_id(text.encode("ascii"))) != key_id(text.encode("ascii")):
                _forget_key()
                raise KeyMissing("Another PC has just started the key that protects the PPPoE passwords. "
                                 f"{IMPORT_HINT}")
            expected = _stored_key_id()
        made = PasswordCipher(text.encode("ascii"))
        if expected and made.key_id != expected:
            raise KeyMissing("This PC's PPPoE password key is not the one the database was saved with. "
                             f"{IMPORT_HINT}")
        if not expected and _claim_key_id(made.key_id) != made.key_id:
            raise KeyMissing("Another PC has just started the key that protects the PPPoE passwords. "
                             f"{IMPORT_HINT}")
        _cache[cache_key] = made
        return made


def try_cipher() -> PasswordCipher | None:
    """The cipher if this PC can use one, else None (workers then leave passwords alone)."""
    try:
        return cipher(create=False)
    except SecretsUnavailable:
        return None


def check_key_unchanged(used: PasswordCipher) -> None:
    """Inside the transaction that stores a token made with ``used``: refuse it if another PC
    started a new key since (the row is read under a share lock, so the change waits for us or
    we see it)."""
    from ispclient.store.db import db, is_sqlite

    lock = "" if is_sqlite() else " FOR SHARE"
    row = db.execute_sql(f"SELECT value FROM setting WHERE key = {db.obj.param}{lock}", (_KEY_ID_SETTING,)).fetchone()
    if row is None or row[0] != used.key_id:
        raise KeyMissing(f"The PPPoE password key was just changed on another PC. {IMPORT_HINT}")


def _stored_key_id() -> str:
    row = Setting.get_or_none(Setting.key == _KEY_ID_SETTING)
    return str(row.value) if row is not None else ""


# --- moving the key between PCs ------------------------------------------------------------------


@access.requires(Permission.SERVERS)
def export_key() -> str:
    """The key as text (for :func:`export_key_file`); checks the keyring holds the database's key."""
    cipher(create=False)
    return str(_read_key())


@access.requires(Permission.SERVERS)
def import_key(text: str) -> None:
    """Save a key on this PC; refused unless it is the one the database uses (or the database
    has none yet)."""
    from cryptography.fernet import Fernet

    try:
        key = text.strip().encode("ascii")
        Fernet(key)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise SecretsUnavailable("That is not a PPPoE password key exported from ispclient.") from None
    expected = _stored_key_id()
    if expected and key_id(key) != expected:
        raise SecretsUnavailable("That key is not the one this database's PPPoE passwords were saved with "
                                 "(it belongs to another database, or a new key was started since).")
    problem = keyring_problem()
    if problem:
        raise SecretsUnavailable(problem)
    _write_key(key.decode("ascii"))
    if not expected:
        _claim_key_id(key_id(key))
    with _lock:
        _cache.clear()


def _derive(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))


def check_passphrase(passphrase: str) -> str:
    if len(passphrase) < MIN_PASSPHRASE:
        raise SecretsUnavailable(f"Use a passphrase of at least {MIN_PASSPHRASE} characters.", field="passphrase")
    return passphrase


@access.requires(Permission.SERVERS)
def export_key_file(path: Path, passphrase: str) -> Path:
    """Write this PC's key to ``path``, encrypted with ``passphrase``; the file alone is useless."""
    from cryptography.fernet import Fernet

    check_passphrase(passphrase)
    key = export_key()
    salt = random.token_bytes(16)
    token = Fernet(_derive(passphrase, salt)).encrypt(key.encode("ascii")).decode("ascii")
    data = {"format": FILE_FORMAT, "version": 1, "key_id": key_id(key.encode("ascii")),
            "kdf": {"name": "scrypt", "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P,
                    "salt": base64.b64encode(salt).decode("ascii")},
            "token": token}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise SecretsUnavailable(f"The key file could not be written to {path}: {e.strerror or e}",
                                 field="file") from None
    return path


@dataclass(frozen=True)
class KeyFile:
    key_id: str
    token: str
    salt: bytes
    n: int
    r: int
    p: int


def read_key_file(path: Path) -> KeyFile:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        kdf = data["kdf"]
        if data.get("format") != FILE_FORMAT or kdf.get("name") != "scrypt":
            raise ValueError("not ours")
        return KeyFile(str(data["key_id"]), str(data["token"]), base64.b64decode(kdf["salt"]),
                       int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
    except OSError as e:
        raise SecretsUnavailable(f"The key file can't be read: {e.strerror or e}", field="file") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SecretsUnavailable(f"{Path(path).name} is not a PPPoE password key exported from ispclient.",
                                 field="file") from None


@access.requires(Permission.SERVERS)
def import_key_file(path: Path, passphrase: str) -> None:
    """Read a key exported on another PC with its passphrase and keep it in this PC's keyring."""
    from cryptography.fernet import Fernet, InvalidToken
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    found = read_key_file(path)
    expected = _stored_key_id()
    if expected and found.key_id != expected:
        raise SecretsUnavailable("This key file holds another key than the one this database's PPPoE passwords "
                                 "were saved with (another database's, or an old one).", field="file")
    try:
        kdf = Scrypt(salt=found.salt, length=32, n=found.n, r=found.r, p=found.p)
        derived = base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))
        key = Fernet(derived).decrypt(found.token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        raise SecretsUnavailable("The passphrase is not the one the key was exported with.",
                                 field="passphrase") from None
    import_key(key)


# --- when the key is truly lost --------------------------------------------------------------------


@dataclass(frozen=True)
class NewKeyResult:
    unknown: int  # clients whose PPPoE password is now "unknown — set a new one"


@access.requires(Permission.SERVERS)
def start_new_key(*, actor: str | None = None) -> NewKeyResult:
    """Start a new key when the old one is lost on every PC. Refused while this PC has the
    database's key (nothing is lost then: export it instead).

    Every password saved with the old key becomes unknown: the routers keep the passwords they
    have, and the client window asks for a new one. One transaction with its audit event."""
    from cryptography.fernet import Fernet

    from ispclient.store import audit
    from ispclient.store.db import atomic, db, is_sqlite
    from ispclient.store.models import Client

    problem = keyring_problem()
    if problem:
        raise SecretsUnavailable(problem)
    if key_status() is KeyStatus.PRESENT:
        raise SecretsUnavailable("This PC has the key that protects the PPPoE passwords: nothing is lost. "
                                 "Export it to move it to another PC.", field="__all__")
    text = Fernet.generate_key().decode("ascii")
    new_id = key_id(text.encode("ascii"))
    _write_key(text)
    with atomic():
        if not is_sqlite():
            db.execute_sql(f"SELECT key FROM setting WHERE key = {db.obj.param} FOR UPDATE", (_KEY_ID_SETTING,))
        old_id = _stored_key_id()
        lost = (Client.update(pppoe_password_enc="", pppoe_password_unknown=True)
                .where(Client.pppoe_password_enc != "").execute())
        settings.put(_KEY_ID_SETTING, new_id)
        audit.record("pppoe_key.new", "settings", None,
                     summary=f"A new PPPoE password key was started; {lost} saved password(s) are now unknown",
                     before={"key_id": old_id}, after={"key_id": new_id, "passwords_unknown": lost}, actor=actor)
    with _lock:
        _cache.clear()
    return NewKeyResult(int(lost))


@dataclass(frozen=True)
class UnknownPassword:
    client_id: int
    client_code: str
    name: str
    pppoe_username: str


def unknown_passwords() -> list[UnknownPassword]:
    """Clients whose PPPoE password is "unknown — set a new one" (after a new key was started)."""
    from ispclient.store.models import Client

    q = (Client.select(Client.id, Client.client_code, Client.name, Client.pppoe_username)
         .where(Client.pppoe_password_unknown & Client.deleted_at.is_null()).order_by(Client.client_code))
    return [UnknownPassword(c.id, c.client_code, c.name, c.pppoe_username) for c in q]
