"""API passwords in the keyring, and the session-only fallback when there is no keyring."""

from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backends import fail
from keyring.errors import PasswordSetError

from ispclient.routeros.credentials import CredentialStore
from tests.conftest import MemoryKeyring

SERVICE = "ispclient/test-installation"


def test_set_get_delete(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore(SERVICE)
    assert store.get(1) is None
    assert store.set(1, "pässwörd-1") is True
    store.set(2, "other")
    assert (store.get(1), store.get(2)) == ("pässwörd-1", "other")
    assert memory_keyring.store[(SERVICE, "server-1")] == "pässwörd-1"
    assert CredentialStore(SERVICE).get(1) == "pässwörd-1"  # saved, not just remembered
    store.delete(1)
    assert store.get(1) is None and store.get(2) == "other"
    store.delete(1)  # deleting twice is fine
    assert store.backend_problem() is None


def test_installations_do_not_share_passwords() -> None:
    CredentialStore("ispclient/a").set(1, "for-a")
    assert CredentialStore("ispclient/b").get(1) is None


def test_session_only_is_never_saved_and_replaces_a_saved_one(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore(SERVICE)
    store.set(1, "saved-before")
    assert store.set(1, "just-for-today", session_only=True) is False
    assert store.get(1) == "just-for-today"
    assert memory_keyring.store == {}
    assert CredentialStore(SERVICE).get(1) is None  # gone at the next start


def test_no_keyring_backend_falls_back_to_this_session(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keyring.set_keyring(fail.Keyring())  # the autouse fixture restores the memory backend
    store = CredentialStore(SERVICE)
    problem = store.backend_problem()
    assert problem is not None
    assert problem.startswith("No secure password store is available on this computer")
    assert problem.endswith("The password will be remembered only until the app closes.")

    assert store.get(1) is None
    assert store.set(1, "Fallback-Secret-9") is False
    assert store.get(1) == "Fallback-Secret-9"
    store.delete(1)
    assert store.get(1) is None
    assert "Fallback-Secret-9" not in caplog.text


class RefusingKeyring(MemoryKeyring):
    """A backend that exists but fails to save (a locked or broken Credential Manager)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("locked")


def test_a_backend_that_fails_to_save_falls_back_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keyring.set_keyring(RefusingKeyring())
    store = CredentialStore(SERVICE)
    assert store.backend_problem() is None  # nothing known to be wrong yet
    assert store.set(4, "Locked-Out-Secret") is False
    assert store.get(4) == "Locked-Out-Secret"
    problem = store.backend_problem()
    assert problem is not None and "PasswordSetError" in problem
    assert "Locked-Out-Secret" not in caplog.text and "Locked-Out-Secret" not in problem

    keyring.set_keyring(MemoryKeyring())  # the store works again: saving clears the problem
    assert store.set(4, "Locked-Out-Secret") is True
    assert store.backend_problem() is None


def test_a_service_name_is_required() -> None:
    with pytest.raises(ValueError):
        CredentialStore("")
