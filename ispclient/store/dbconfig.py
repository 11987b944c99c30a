"""How this PC reaches a shared PostgreSQL database: host, port, database, user and TLS mode in
the data folder's ``database.json`` (never in the database itself, which can't be read before
it is reached), and the password only in the OS keyring.

A ``--db-url`` on the command line is read through the same type: a URL without a password
takes it from the keyring; one with a password still works but is warned about, because a
shortcut and every process list then show it. :func:`mask` is how a URL appears in any log or
message.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from ispclient.domain import validation
from ispclient.domain.errors import Collector, ValidationError
from ispclient.domain.permissions import Permission
from ispclient.store import access

log = logging.getLogger(__name__)

CONFIG_NAME = "database.json"
KEYRING_SERVICE = "ispclient-database"  # not per installation: the installation id lives in the database
# "prefer" is libpq's own default (TLS when the server offers it); "require" refuses a plain
# connection; "verify-full" also checks the server's certificate and name against a CA file.
TLS_MODES = ("disable", "prefer", "require", "verify-full")
TLS_LABELS = {"disable": "Off", "prefer": "If the server offers it", "require": "Required",
              "verify-full": "Required, certificate checked (CA file)"}
DEFAULT_PORT = 5432
CONNECT_TIMEOUT_S = 10
# Without keepalives a dead network link looks like a very slow query: TCP keepalives make a
# pulled cable an error within about a minute instead of a hang.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
PASSWORD_IN_URL_WARNING = ("The database URL contains its password, so it shows in shortcuts and process lists. "
                           "Save the password once (Settings → Database, or ispclient db-password) and leave "
                           "it out of the URL.")


@dataclass(frozen=True)
class DbConfig:
    host: str
    database: str
    user: str
    port: int = DEFAULT_PORT
    tls: str = "prefer"
    ca_file: str = ""

    @property
    def label(self) -> str:
        """user@host:port/database — what the user recognises, and the keyring entry's name."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def url(self) -> str:
        """The URL without any password (safe to log)."""
        query = {"sslmode": self.tls} if self.tls != "prefer" else {}
        if self.ca_file:
            query["sslrootcert"] = self.ca_file
        host = f"[{self.host}]" if ":" in self.host else self.host
        netloc = f"{quote(self.user, safe='')}@{host}:{self.port}"
        return urlunsplit(("postgresql", netloc, "/" + quote(self.database, safe=""), urlencode(query), ""))

    def connect_params(self, password: str | None) -> dict[str, Any]:
        """Keyword arguments for psycopg2.connect (the password goes nowhere else)."""
        params: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user,
                                  "sslmode": self.tls, "connect_timeout": CONNECT_TIMEOUT_S,
                                  "application_name": "ispclient", **KEEPALIVES}
        if self.ca_file:
            params["sslrootcert"] = self.ca_file
        if password:
            params["password"] = password
        return params


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgres://", "postgresql://"))


def parse_url(url: str) -> tuple[DbConfig, str | None]:
    """A ``postgresql://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=…]`` URL as a
    config and the password it carries (None when it carries none)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValidationError.single("url", "A PostgreSQL URL starts with postgresql://")
    query = dict(parse_qsl(parts.query))
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ValidationError.single("port", "The port in the URL is not a number from 1 to 65535.") from None
    config = DbConfig(host=parts.hostname or "", database=unquote(parts.path.lstrip("/")),
                      user=unquote(parts.username or ""), port=port, tls=query.get("sslmode", "prefer"),
                      ca_file=query.get("sslrootcert", ""))
    password = unquote(parts.password) if parts.password is not None else None
    return config, password


def mask(url: str) -> str:
    """The URL with its password replaced by ***, for logs and messages."""
    if not is_postgres_url(url):
        return url
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rsplit("@", 1)[1]
    except ValueError:
        return "postgresql://***"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def validate(config: DbConfig) -> DbConfig:
    """The cleaned config, or ValidationError with a message for every bad field."""
    from ispclient.store.catalog import validate_host

    errors = Collector()
    host = errors.check("host", validate_host, config.host)
    database = errors.check("database", validation.required_text, config.database, "database", "database name", 63)
    user = errors.check("user", validation.required_text, config.user, "user", "database user name", 63)
    if isinstance(config.port, bool) or not isinstance(config.port, int) or not 1 <= config.port <= 65535:
        errors.add("port", "The port is a number from 1 to 65535 (PostgreSQL's is usually 5432).")
    if config.tls not in TLS_MODES:
        errors.add("tls", f"TLS is one of: {', '.join(TLS_MODES)}.")
    ca_file = config.ca_file.strip()
    if config.tls == "verify-full" and not ca_file:
        errors.add("ca_file", "Checking the server's certificate needs the CA certificate file it was signed with.")
    elif ca_file and not Path(ca_file).is_file():
        errors.add("ca_file", f"No certificate file at {ca_file}.")
    errors.raise_if_any()
    return replace(config, host=str(host), database=str(database), user=str(user), ca_file=ca_file)


# --- the data folder's settings ----------------------------------------------------------------


def config_path(config_dir: Path) -> Path:
    return Path(config_dir) / CONFIG_NAME


def load(config_dir: Path) -> DbConfig | None:
    """This PC's PostgreSQL settings, or None when it uses its own SQLite file."""
    path = config_path(config_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = {k: data[k] for k in ("host", "database", "user", "port", "tls", "ca_file") if k in data}
        return DbConfig(**fields)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as e:
        log.warning("ignoring the unreadable database settings in %s: %s", path, e)
        return None


@access.requires(Permission.SETTINGS)
def save(config_dir: Path, config: DbConfig) -> Path:
    """Write the settings (never a password: the dataclass has none)."""
    clean = validate(config)
    path = config_path(config_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(clean), indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


@access.requires(Permission.SETTINGS)
def forget(config_dir: Path) -> None:
    """Back to this PC's own SQLite file."""
    config_path(config_dir).unlink(missing_ok=True)


# --- the password, in the OS keyring -----------------------------------------------------------


class PasswordNotSaved(ValidationError):
    def __init__(self, message: str) -> None:
        super().__init__({"password": message})


def saved_password(config: DbConfig) -> str | None:
    """The password saved for this config, or None (no keyring, or nothing saved)."""
    import keyring

    from ispclient.logging_setup import register_secret
    from ispclient.routeros.credentials import keyring_backend_problem

    if keyring_backend_problem():
        return None
    try:
        password = keyring.get_password(KEYRING_SERVICE, config.label)
    except Exception as e:  # noqa: BLE001 - backends raise their own types
        log.warning("the keyring could not be read (%s)", type(e).__name__)
        return None
    register_secret(password)
    return password


@access.requires(Permission.SETTINGS)
def save_password(config: DbConfig, password: str) -> None:
    """Keep the password in the OS keyring; refused (PasswordNotSaved) when there is no safe one."""
    import keyring

    from ispclient.logging_setup import register_secret
    from ispclient.routeros.credentials import keyring_backend_problem

    register_secret(password)
    problem = keyring_backend_problem()
    if problem:
        raise PasswordNotSaved(f"The password can't be saved: {problem}. Without a secure keyring it has to be "
                               "typed at every start.")
    try:
        keyring.set_password(KEYRING_SERVICE, config.label, password)
    except Exception as e:  # noqa: BLE001
        raise PasswordNotSaved(f"The keyring could not save the password ({type(e).__name__}).") from None


@access.requires(Permission.SETTINGS)
def forget_password(config: DbConfig) -> None:
    import keyring
    from keyring.errors import PasswordDeleteError

    try:
        keyring.delete_password(KEYRING_SERVICE, config.label)
    except PasswordDeleteError:
        pass
    except Exception as e:  # noqa: BLE001
        log.warning("the keyring could not delete the database password (%s)", type(e).__name__)


@dataclass(frozen=True)
class Target:
    """Where the app's data is: a SQLite file, or a PostgreSQL config with its password."""

    sqlite: Path | None = None
    postgres: DbConfig | None = None
    password: str | None = None
    password_in_url: bool = False

    def describe(self) -> str:
        return str(self.sqlite) if self.sqlite is not None else (self.postgres.url() if self.postgres else "")


def resolve(db_url: str | None, config_dir: Path | None, default_sqlite: Path) -> Target:
    """What to open: ``--db-url`` first (its password, else the keyring's), then the data folder's
    saved PostgreSQL settings, then the SQLite file."""
    if db_url:
        if not is_postgres_url(db_url):
            return Target(sqlite=Path(db_url.removeprefix("sqlite:///")))
        config, password = parse_url(db_url)
        if password is not None:
            from ispclient.logging_setup import register_secret

            register_secret(password)
            log.warning(PASSWORD_IN_URL_WARNING)
            return Target(postgres=config, password=password, password_in_url=True)
        return Target(postgres=config, password=saved_password(config))
    saved = load(config_dir) if config_dir is not None else None
    if saved is not None:
        return Target(postgres=saved, password=saved_password(saved))
    return Target(sqlite=default_sqlite)
