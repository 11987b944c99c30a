"""Everything a worker needs to reach one router, as plain frozen data (no database rows)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field

API_PORT = 8728
API_SSL_PORT = 8729
DEFAULT_TIMEOUT = 5.0
# One call (connect, TLS, log in and read the replies; or one change on a logged-in session)
# may take this many timeouts in all: each of those waits may use a whole timeout.
TIMEOUTS_PER_CALL = 4


@dataclass(frozen=True)
class RouterTarget:
    """One MikroTik router's API endpoint and login.

    The password is excluded from ``repr``/``str`` so a target can be logged or shown in a
    traceback safely; it is kept out of comparisons too, so a target never leaks it by
    appearing in an assertion message.
    """

    server_id: int
    name: str
    host: str
    port: int = API_PORT
    tls: bool = False
    ca_file: str | None = None  # verify the router's certificate against this CA (TLS only)
    username: str = "admin"
    password: str = field(default="", repr=False, compare=False)
    timeout: float = DEFAULT_TIMEOUT  # seconds a connect, handshake or single read may take; see deadline_s
    encoding: str = "utf-8"  # how the router stores text: RouterOS keeps raw bytes

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("a router target needs a host")
        if not 0 < self.port < 65536:
            raise ValueError(f"port {self.port} is not a TCP port")
        if not self.timeout > 0:
            raise ValueError("the timeout must be positive")
        codecs.lookup(self.encoding)  # LookupError now beats a confusing failure mid-reply

    @property
    def deadline_s(self) -> float:
        """Seconds one whole call may take, whatever the router sends meanwhile."""
        return self.timeout * TIMEOUTS_PER_CALL

    @property
    def address(self) -> str:
        """``host:port`` for messages."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
