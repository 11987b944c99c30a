"""PostgreSQL for the benchmark's "second PC" figures: the server started as ``.ci/run`` starts it,
a database of its own, and the benchmark's data copied in by the app's own copy (``ispclient db
copy-to-postgres``), once per data set (the copy is stamped on the comment of its schema, which
goes with the data: the test fixtures drop the schema of a database the bench may share).

The URL: ``ISPCLIENT_BENCH_PG_URL``, else ``ISPCLIENT_TEST_PG_URL`` with ``_bench`` added to the
database name, else the role ``.ci/run`` creates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgresql://ispclient_test:ispclient-ci@127.0.0.1:5432/ispclient_bench"


def bench_url() -> str:
    url = os.environ.get("ISPCLIENT_BENCH_PG_URL")
    if url:
        return url
    test = os.environ.get("ISPCLIENT_TEST_PG_URL")
    if test:
        parts = urlsplit(test)
        return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))
    return DEFAULT_URL


def _ready(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure_server(url: str) -> None:
    """Start the local cluster the way .ci/run does, if nothing answers on the URL's port."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if _ready(host, port) or not shutil.which("pg_lsclusters"):
        return
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split()
    if len(clusters) >= 2:
        subprocess.run(["pg_ctlcluster", clusters[0], clusters[1], "start"], capture_output=True)
    for _ in range(30):
        if _ready(host, port):
            return
        time.sleep(1)


def _admin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def stamp(url: str) -> str:
    import psycopg2

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = 'public'")
        row = cur.fetchone()
    return str(row[0] or "") if row else ""


def prepare(url: str, sqlite_path: Path, data_stamp: str) -> None:
    """The database at ``url`` holds the data of ``sqlite_path`` (copied unless already stamped)."""
    import psycopg2

    ensure_server(url)
    name = database_name(url)
    admin = psycopg2.connect(_admin(url))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    if stamp(url) == data_stamp:
        return
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS public CASCADE")
        cur.execute("CREATE SCHEMA public")
    from ispclient.store.transfer import copy_database

    copy_database(sqlite_path, url, batch_size=5000)
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("COMMENT ON SCHEMA public IS %s", (data_stamp,))
    conn.close()
