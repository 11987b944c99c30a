"""Shared fixtures: offscreen Qt, a fresh database per test, an in-memory keyring."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
os.environ.pop("ISPCLIENT_HOME", None)
os.environ["ISPCLIENT_LOCALE"] = "en_US"  # money and dates read and written the same on every machine

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import keyring  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402


class MemoryKeyring(KeyringBackend):
    """Never the real OS keychain in tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            del self.store[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(autouse=True)
def router_calls_allowed() -> Iterator[None]:
    """A test that closes the app (which stops every router call in the process) leaves
    router calls allowed again for the next test."""
    yield
    from ispclient.routeros import deadline

    deadline.resume()


@pytest.fixture(autouse=True)
def staff_session_reset() -> Iterator[None]:
    """Cheap argon2 parameters (the same format; the hashing test uses the real ones), and no
    sign-in carried from one test to the next (the GUI thread is the tests' thread)."""
    from argon2 import PasswordHasher

    from ispclient.domain.permissions import SYSTEM
    from ispclient.store import access, staff

    old = staff.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    staff.use_hasher(old)
    access.sign_in_here(None)
    access.set_process_default(SYSTEM)
