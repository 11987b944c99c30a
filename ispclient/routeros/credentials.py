"""Router API passwords in the OS keyring (Windows Credential Manager), never anywhere else.

When no keyring backend works (a locked-down PC, a headless Linux box) the password is kept in
this process's memory instead — "remember for this session only" — and
:meth:`CredentialStore.backend_problem` says so in words the user can act on. Passwords are
never logged: only server ids are.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ispclient.logging_setup import register_secret

if TYPE_CHECKING:
    from types import ModuleType

# keyring is imported on first use, not at start-up (~60 ms of the window's start).

log = logging.getLogger(__name__)

_PROBLEM = ("No secure password store is available on this computer ({why}). "
            "The password will be remembered only until the app closes.")


class CredentialStore:
    """Passwords per server id under one keyring service name (one per installation).

    Hold one store for the app's lifetime: the session-only passwords live in it.
    """

    def __init__(self, service_name: str) -> None:
        if not service_name:
            raise ValueError("a keyring service name is needed")
        self.service_name = service_name
        self._session: dict[int, str] = {}
        self._failure: str | None = None  # why the backend last failed, for backend_problem()

    @staticmethod
    def key(server_id: int) -> str:
        return f"server-{server_id}"

    def get(self, server_id: int) -> str | None:
        if server_id in self._session:
            return self._session[server_id]
        try:
            password: str | None = _keyring().get_password(self.service_name, self.key(server_id))
        except Exception as error:
            self._note_failure("read", server_id, error)
            return None
        register_secret(password)
        return password

    def set(self, server_id: int, password: str, *, session_only: bool = False) -> bool:
        """Store ``password``; True if it was saved in the keyring, False if only in memory."""
        register_secret(password)
        if not session_only and _missing_backend() is None:
            try:
                _keyring().set_password(self.service_name, self.key(server_id), password)
            except Exception as error:  # backends raise their own types (pywintypes.error…)
                self._note_failure("save", server_id, error)
            else:
                self._session.pop(server_id, None)
                self._failure = None
                return True
        self._session[server_id] = password
        if session_only:  # an old saved password must not come back at the next start
            self._delete_saved(server_id)
        return False

    def delete(self, server_id: int) -> None:
        self._session.pop(server_id, None)
        self._delete_saved(server_id)

    def backend_problem(self) -> str | None:
        """Why passwords can't be saved permanently, as a message for the user; None if they can."""
        why = _missing_backend() or self._failure
        return _PROBLEM.format(why=why) if why else None

    def _delete_saved(self, server_id: int) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            _keyring().delete_password(self.service_name, self.key(server_id))
        except PasswordDeleteError:
            pass  # nothing was saved
        except Exception as error:
            self._note_failure("delete", server_id, error)

    def _note_failure(self, action: str, server_id: int, error: Exception) -> None:
        # The class name, not str(error): a backend's message is not ours to trust.
        self._failure = f"the keyring could not {action} a password: {type(error).__name__}"
        log.warning("Keyring %s failed for server %s (%s)", action, server_id, type(error).__name__)


def warm() -> None:
    """Import keyring and pick its backend, as the first password read would: ~70 ms of imports
    (keyring, its backends' entry points, importlib_metadata, email…) holding the GIL. Called in
    the background once the client list is in, so that no client window's first status check
    pays them while the window is being filled and painted."""
    _keyring().get_keyring()


def _keyring() -> ModuleType:
    import keyring

    return keyring


def _missing_backend() -> str | None:
    return keyring_backend_problem()


# Backends that keep secrets readable by anyone who can read a file (keyrings.alt's plain-text
# files) or keep nothing at all: a keyring like that counts as no keyring.
_INSECURE_BACKENDS = frozenset({
    "keyring.backends.null.Keyring",
    "keyrings.alt.file.PlaintextKeyring",
    "keyrings.alt.pyfs.PlaintextKeyring",
})


def _insecure(backend: object) -> bool:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}" in _INSECURE_BACKENDS or "plaintext" in cls.__name__.lower()


def keyring_backend_problem() -> str | None:
    """Why the OS keyring can't hold a secret safely, or None when it can.

    A chain of backends counts as unsafe when any member is: the chain falls through to the
    next backend whenever one refuses, so a plain-text file could end up holding the secret."""
    from keyring.backends import chainer, fail

    backend = _keyring().get_keyring()
    members = list(backend.backends) if isinstance(backend, chainer.ChainerBackend) else [backend]
    if isinstance(backend, fail.Keyring) or not members:
        return "no keyring backend is installed or working"
    unsafe = [type(b).__name__ for b in members if _insecure(b)]
    if unsafe:
        return f"the keyring backend ({', '.join(unsafe)}) stores passwords unprotected, in plain text"
    return None
