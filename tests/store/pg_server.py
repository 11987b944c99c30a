"""A private PostgreSQL server on a loopback port, for the tests that restart a server or make it
demand TLS (never the shared server other tests use).

It is made with the installed ``initdb`` / ``pg_ctl`` (Debian's /usr/lib/postgresql/N/bin, or
PATH) in a temporary directory; as root it runs as the ``postgres`` user, since PostgreSQL
refuses to run as root. TLS: a test CA signs a server certificate for localhost / 127.0.0.1, and
pg_hba.conf accepts only TLS connections with a password.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

USER = "ispclient_admin"
PASSWORD = "private-pg-pass-7Qx"


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: [int(x) for x in p.split("/")[4].split(".") if x.isdigit()])
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable_reason() -> str | None:
    """Why no private server can be started here, or None."""
    if sys.platform == "win32":  # pwd, geteuid, chown: imported here so Windows can collect the tests
        return "a private PostgreSQL server is started on Linux only"
    import pwd

    if bin_dir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run a private server as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateServer:
    def __init__(self, *, tls_files: tuple[Path, Path] | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ispclient-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.tls_files = tls_files
        import pwd

        self._owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._owner is not None:
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)
        self.bin = bin_dir()
        assert self.bin is not None

    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bin / cmd[0]), *cmd[1:]]
        if self._owner is not None:
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(argv)]
        return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=120)

    def _own(self, path: Path, mode: int) -> None:
        os.chmod(path, mode)
        if self._owner is not None:
            os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def init(self) -> PrivateServer:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD)
        self._own(pwfile, 0o600)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=scram-sha-256", f"--pwfile={pwfile}",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        pwfile.unlink()
        conf = [f"port = {self.port}", "listen_addresses = '127.0.0.1'",
                f"unix_socket_directories = '{self.root}'", "fsync = off", "max_connections = 30"]
        hba = ["local all all scram-sha-256"]
        if self.tls_files is not None:
            cert, key = self.tls_files
            for src, name, mode in ((cert, "server.crt", 0o644), (key, "server.key", 0o600)):
                dest = self.data / name
                shutil.copyfile(src, dest)
                self._own(dest, mode)
            conf += ["ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'"]
            hba += ["hostssl all all 127.0.0.1/32 scram-sha-256", "hostnossl all all 0.0.0.0/0 reject"]
        else:
            hba += ["host all all 127.0.0.1/32 scram-sha-256"]
        with (self.data / "postgresql.conf").open("a") as f:
            f.write("\n".join(conf) + "\n")
        (self.data / "pg_hba.conf").write_text("\n".join(hba) + "\n")
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60", "start")

    def restart(self) -> None:
        """What a server restart does to clients: every connection is terminated."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-m", "fast", "-w", "-t", "60",
                  "restart")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, *, password: bool = True, query: str = "", database: str = "postgres") -> str:
        secret = f":{PASSWORD}" if password else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")
