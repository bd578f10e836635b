"""Serving past one machine (issue 13): real servers against one PostgreSQL and one Redis.

Two `make serve` instances on two ports share sessions, rate limits and the sign-in lockout (the
processes keep no state of their own); a server whose database is down says so on /readyz; with
DATABASE_REPLICA_URL the public's reads go to the replica (a second database on the same server
standing in for it) and everything else to the primary.

Each test starts its own processes against its own databases (registry_serve_test*), created and
migrated here, and stops them. They run in the PostgreSQL pass (`postgres` mark) and are skipped,
saying why, when PostgreSQL or Redis does not answer.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import psycopg2
import pytest

requests = pytest.importorskip("requests")

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/14"
PASSWORD = "a long and unguessable passphrase 42"


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module", autouse=True)
def _servers_can_run() -> None:
    if not _answers(5432):
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432: the serving tests need it")
    if not _answers(6379):
        pytest.skip("Redis does not answer on 127.0.0.1:6379: the serving tests need it")


def _admin(sql: str, *args: str) -> None:
    connection = psycopg2.connect(dbname="postgres", user="postgres", host="127.0.0.1")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql, args or None)
    connection.close()


def _sql(database: str, sql: str, *args: object) -> list[tuple]:
    connection = psycopg2.connect(dbname=database, user="postgres", host="127.0.0.1")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql, args or None)
        rows = cursor.fetchall() if cursor.description else []
    connection.close()
    return rows


def _manage(database_url: str, *command: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "REGISTRY_REQUEST_LOG": "0"}
    return subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def primary() -> Iterator[str]:
    """A migrated database with one authority (so `make serve` loads no data) and a staff user."""
    name = "registry_serve_test"
    for database in (name, f"{name}_replica"):
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    _manage(url, "migrate", "--noinput", "-v0")
    _manage(
        url,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; from registry.models import Municipality;"
        "Municipality.objects.create(name='テスト町', name_en='Testtown', country='JP', tier='town', lg_code='999999');"
        f"User.objects.create_user('alice', 'alice@example.org', {PASSWORD!r});"
        f"User.objects.create_user('bob', 'bob@example.org', {PASSWORD!r})",
    )
    yield name
    for database in (name, f"{name}_replica"):
        _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait(self, path: str = "/healthz", timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server stopped: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url(path), timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        pytest.fail(f"the server did not answer in {timeout} s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def _serve_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return {
        **env,
        "REGISTRY_ALLOWED_HOSTS": "127.0.0.1",
        "REGISTRY_REQUEST_LOG": "0",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        **extra,
    }


@pytest.fixture
def started(tmp_path) -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop()


def _gunicorn(port: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "registry.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--threads", "2", "--worker-class", "gthread",
    ]  # fmt: skip


def _sign_in(session: requests.Session, server: Server, username: str, password: str) -> requests.Response:
    form = session.get(server.url("/en/accounts/login/"), timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    return session.post(
        server.url("/en/accounts/login/"),
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": server.url("/en/accounts/login/")},
        allow_redirects=False,
        timeout=30,
    )


def test_two_make_serve_instances_share_sessions_rate_limits_and_lockout(primary, started, tmp_path):
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(50))
    for name in ("a", "b"):
        port = _free_port()
        env = _serve_env(
            SERVE_DATABASE_URL=f"{PG}/{primary}",
            SERVE_REDIS_URL=REDIS,
            SECRET_KEY_FILE=str(key_file),
            PORT=str(port),
            HOST="127.0.0.1",
            REGISTRY_STATIC_ROOT=str(tmp_path / f"static-{name}"),
            REGISTRY_ANON_RATE="5/minute",
            REGISTRY_LOGIN_FAILURE_LIMIT="3",
        )
        started.append(Server(["make", "--no-print-directory", "serve"], env, port, tmp_path / f"{name}.log"))
    a, b = started
    a.wait("/readyz")
    b.wait("/readyz")
    assert requests.get(a.url("/readyz"), timeout=10).status_code == HTTPStatus.OK
    assert "Testtown" in requests.get(b.url("/en/municipalities/?country=JP"), timeout=30).text

    # A session started on A is a session on B.
    alice = requests.Session()
    assert _sign_in(alice, a, "alice", PASSWORD).status_code == HTTPStatus.FOUND
    assert "sessionid" in alice.cookies
    on_b = alice.get(b.url("/en/accounts/password_change/"), allow_redirects=False, timeout=30)
    assert on_b.status_code == HTTPStatus.OK  # signed in there too (anonymous: a redirect to sign in)
    assert requests.get(b.url("/en/accounts/password_change/"), allow_redirects=False, timeout=30).status_code == (
        HTTPStatus.FOUND
    )

    # One rate limit over both: 5 anonymous API requests a minute from this address, wherever they land.
    codes = [requests.get(server.url("/api/networks/"), timeout=30).status_code for server in (a, b, a, b, a, b, a)]
    assert codes[:5] == [HTTPStatus.OK] * 5
    assert set(codes[5:]) == {HTTPStatus.TOO_MANY_REQUESTS}

    # A lockout earned on A holds on B, even with the right password.
    failures = [_sign_in(requests.Session(), a, "bob", "wrong").status_code for _ in range(3)]
    assert failures == [HTTPStatus.OK, HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS]  # the form again, then locked
    assert _sign_in(requests.Session(), b, "bob", PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_readyz_says_when_the_database_is_down(started, tmp_path):
    port = _free_port()
    env = _serve_env(DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing", REDIS_URL=REDIS, REGISTRY_DEBUG="0")
    server = Server(_gunicorn(port), env, port, tmp_path / "down.log")
    started.append(server)
    server.wait("/healthz")
    assert requests.get(server.url("/healthz"), timeout=10).status_code == HTTPStatus.OK  # the process answers
    down = requests.get(server.url("/readyz"), timeout=30)
    assert down.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert down.text == "unavailable\n"  # no detail for the public; the reason is in the log


def test_the_publics_reads_go_to_the_replica(primary, started, tmp_path):
    replica = f"{primary}_replica"
    _admin(f'DROP DATABASE IF EXISTS "{replica}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{replica}" TEMPLATE "{primary}"')
    # The stand-in replica differs from the primary in one name, so each answer shows where it was read.
    _sql(replica, "UPDATE registry_municipality SET name_en = 'Replicatown' WHERE lg_code = '999999'")
    port = _free_port()
    env = _serve_env(
        DATABASE_URL=f"{PG}/{primary}",
        DATABASE_REPLICA_URL=f"{PG}/{replica}",
        REDIS_URL="",
        REGISTRY_DEBUG="0",
        REGISTRY_SECRET_KEY=secrets.token_urlsafe(50),
    )
    server = Server(_gunicorn(port), env, port, tmp_path / "replica.log")
    started.append(server)
    server.wait("/readyz")
    assert requests.get(server.url("/readyz"), timeout=10).status_code == HTTPStatus.OK  # both answer
    public = requests.get(server.url("/api/municipalities/?country=JP"), timeout=30).json()
    assert [row["name_en"] for row in public["results"]] == ["Replicatown"]

    _sql(primary, "DELETE FROM axes_accessattempt")  # a lockout another test earned from this address
    sessions = {
        database: _sql(database, "SELECT count(*) FROM django_session")[0][0] for database in (primary, replica)
    }
    alice = requests.Session()
    assert _sign_in(alice, server, "alice", PASSWORD).status_code == HTTPStatus.FOUND  # a write: the primary
    assert _sql(primary, "SELECT count(*) FROM django_session")[0][0] == sessions[primary] + 1
    assert _sql(replica, "SELECT count(*) FROM django_session")[0][0] == sessions[replica]
    signed_in = alice.get(server.url("/api/municipalities/?country=JP"), timeout=30).json()
    assert [row["name_en"] for row in signed_in["results"]] == ["Testtown"]  # a signed-in reader: the primary
