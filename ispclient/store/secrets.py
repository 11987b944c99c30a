"""PPPoE passwords encrypted at rest: Fernet (``cryptography``) with a key in the OS keyring.

The key is made on first use and kept under the installation's keyring service name; the
database keeps only a fingerprint of it, so a PC holding a different key (or none — several
front-desk PCs on one PostgreSQL database) says so instead of quietly writing tokens the others
can't read. The administrator moves the key with :func:`export_key` / :func:`import_key`.
When no keyring backend works we refuse to store PPPoE passwords: a key in a file next to the
database would protect nothing.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from ispclient.domain.errors import ValidationError
from ispclient.logging_setup import register_secret
from ispclient.store import settings
from ispclient.store.models import Setting

if TYPE_CHECKING:
    from types import ModuleType

# keyring and cryptography are imported on first use: the start-up (auto-renew imports this
# module through provisioning) needs neither, and they cost ~150 ms of it.

KEY_NAME = "pppoe-password-key"
_KEY_ID_SETTING = "pppoe_key_id"

_cache: dict[tuple[int, str], PasswordCipher] = {}
_lock = threading.Lock()


class SecretsUnavailable(ValidationError):
    """PPPoE passwords can't be encrypted or decrypted on this PC; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__({"pppoe_password": message})


class PasswordCipher:
    """Encrypts and decrypts PPPoE passwords; thread-safe, holds only the key."""

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
            raise SecretsUnavailable(
                "A stored PPPoE password could not be decrypted with this PC's key. "
                "Import the key from the PC that saved it (Settings → Routers)."
            ) from None
        register_secret(password)
        return password


def key_id(key: bytes) -> str:
    """A fingerprint that identifies the key without revealing it."""
    return hashlib.sha256(b"ispclient-pppoe-key:" + key).hexdigest()[:16]


def _keyring() -> ModuleType:
    import keyring

    return keyring


def keyring_problem() -> str | None:
    from keyring.backends import chainer, fail

    backend = _keyring().get_keyring()
    if isinstance(backend, fail.Keyring) or (isinstance(backend, chainer.ChainerBackend) and not backend.backends):
        return ("No secure password store (keyring) works on this computer, so PPPoE passwords can't be "
                "saved safely. Leave the PPPoE password empty, or set up the keyring and try again.")
    return None


def cipher(*, create: bool = True) -> PasswordCipher:
    """This installation's cipher; made (key included) on first use when ``create``.

    Raises :class:`SecretsUnavailable` when there is no working keyring or this PC's key is
    missing or not the one the database was written with.
    """
    problem = keyring_problem()
    if problem:
        raise SecretsUnavailable(problem)
    keyring = _keyring()
    service = settings.keyring_service()
    cache_key = (id(keyring.get_keyring()), service)
    with _lock:
        cached = _cache.get(cache_key)
        expected = _stored_key_id()
        if cached is not None and cached.key_id == expected:
            return cached
        try:
            text = keyring.get_password(service, KEY_NAME)
        except Exception as error:  # backends raise their own types
            raise SecretsUnavailable(f"The keyring could not be read ({type(error).__name__}).") from None
        if text is None:
            if expected:
                raise SecretsUnavailable(
                    "This PC doesn't have the key that protects the PPPoE passwords (they were saved on "
                    "another PC). Import the key from that PC (Settings → Routers)."
                )
            if not create:
                raise SecretsUnavailable("No PPPoE password has been saved yet.")
            from cryptography.fernet import Fernet

            text = Fernet.generate_key().decode("ascii")
            try:
                keyring.set_password(service, KEY_NAME, text)
            except Exception as error:
                raise SecretsUnavailable(
                    f"The keyring could not save the PPPoE password key ({type(error).__name__})."
                ) from None
            settings.put(_KEY_ID_SETTING, key_id(text.encode("ascii")))
        made = PasswordCipher(text.encode("ascii"))
        if expected and made.key_id != expected:
            raise SecretsUnavailable(
                "This PC's PPPoE password key is not the one the database was saved with. Import the key "
                "from the PC that saved the passwords (Settings → Routers)."
            )
        if not expected:
            settings.put(_KEY_ID_SETTING, made.key_id)
        _cache[cache_key] = made
        return made


def try_cipher() -> PasswordCipher | None:
    """The cipher if this PC can use one, else None (workers then leave passwords alone)."""
    try:
        return cipher(create=False)
    except SecretsUnavailable:
        return None


def _stored_key_id() -> str:
    row = Setting.get_or_none(Setting.key == _KEY_ID_SETTING)
    return str(row.value) if row is not None else ""


def export_key() -> str:
    """The key as text, for the administrator to carry to another front-desk PC."""
    cipher(create=False)  # checks the keyring holds the database's key
    return str(_keyring().get_password(settings.keyring_service(), KEY_NAME))


def import_key(text: str) -> None:
    """Save a key exported on another PC; refused unless it is the one the database uses."""
    from cryptography.fernet import Fernet

    key = text.strip().encode("ascii")
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise SecretsUnavailable("That is not a PPPoE password key exported from ispclient.") from None
    expected = _stored_key_id()
    if expected and key_id(key) != expected:
        raise SecretsUnavailable("That key is not the one this database's PPPoE passwords were saved with.")
    problem = keyring_problem()
    if problem:
        raise SecretsUnavailable(problem)
    _keyring().set_password(settings.keyring_service(), KEY_NAME, key.decode("ascii"))
    with _lock:
        _cache.clear()
