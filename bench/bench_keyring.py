"""The bench's keyring, named by ``PYTHON_KEYRING_BACKEND`` so the probe never imports ``keyring``
itself: the app imports it when it first needs a password (in the background, once the list is
in), and a probe importing it first thing (~0.1 s: keyring.backend pulls in jaraco, urllib,
http.client, email) counted that in "first rows" though the app doesn't pay it there."""

from __future__ import annotations

from keyring.backend import KeyringBackend

from bench.routers import API_PASSWORD


class BenchKeyring(KeyringBackend):
    """The routers' API password for every server; anything else kept in memory (never the OS's)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        if username.startswith("server-"):
            return API_PASSWORD
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)
