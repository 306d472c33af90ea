"""PostgreSQL restarted under a running app: the request that was inside the database when it
went away fails cleanly (the app's error page, no stack trace, nothing of it stored), a request
while it is down does too, and the app recovers by itself (``CONN_HEALTH_CHECKS``: a persistent
connection found broken is replaced at the next request) — no restart of the app.

The shared PostgreSQL server is never touched: the test copies its own (migrated, with the
world's users) test database into a PRIVATE PostgreSQL instance (``pgserver``, the embedded
server of `make run`, in a temporary folder on a Unix socket), serves the app from a gunicorn
subprocess on it, and restarts / stops that instance.

The request is held inside the database by a lock that outlives the restart: a PREPARED transaction
(two-phase commit) holds the student's row, so the observation's COMMIT (its deferred foreign-key
check) waits on it. A lock held by an ordinary connection would not do: the restart ends that
connection too, and PostgreSQL signals the newest backend first — under CPU load the holder was
gone, the lock granted and the write COMMITTED before the write's own backend was told to stop
(2 runs in 10 under two busy loops stored it; PostgreSQL's log showed the holder ending first and
the write's backend ending with no transaction left). A prepared transaction has no backend to
end: the write cannot complete until the test lets it go, after it has checked that nothing was
stored."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from psycopg import sql

from mhcare.accounts.tokens import token_create
from tests import workers

# serial: timing-sensitive (a request held while its PostgreSQL restarts): run alone, not beside
# another xdist worker (`make test` runs `-m serial` after the parallel run).
pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True)]

ROOT = workers.ROOT
# The prepared transaction that holds the student's row while PostgreSQL restarts.
HOLD = "mhcare-faults-restart-hold"


@dataclass
class PrivatePostgres:
    pgdata: Path
    socket_dir: str
    system_user: str | None

    def pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined] # made at import

        pg_ctl(["-w", *args], pgdata=self.pgdata, user=self.system_user, timeout=60)

    def start(self) -> None:
        """As pgserver starts it: no TCP at all (never near the shared server's port), the
        socket in its folder."""
        log = str(self.pgdata / "log")
        self.pg_ctl("-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", log, "start")

    def conninfo(self, dbname: str = "mhcare") -> str:
        return f"host={self.socket_dir} user=postgres dbname={dbname}"

    @property
    def url(self) -> str:
        return f"postgres://postgres@{quote(self.socket_dir, safe='')}/mhcare"


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="mhcare-faults-pg-"))
    server = pgserver.get_server(folder / "pg", cleanup_mode=None)
    private = PrivatePostgres(
        pgdata=folder / "pg",
        socket_dir=str(server.get_postmaster_info().socket_dir),
        system_user=server.system_user,
    )
    try:
        # two-phase commit (off by default; a server setting: one restart, before any database)
        with psycopg.connect(private.conninfo("postgres"), autocommit=True) as admin:
            admin.execute("ALTER SYSTEM SET max_prepared_transactions = 2")
        private.pg_ctl("-m", "fast", "restart")
        yield private
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            private.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _copy_test_database(private: PrivatePostgres) -> None:
    """The test database (migrated, with what the test committed) into the private instance."""
    bin_dir = Path(str(__import__("pgserver").__file__)).parent / "pginstall" / "bin"
    with psycopg.connect(private.conninfo("postgres"), autocommit=True) as admin:
        admin.execute("CREATE DATABASE mhcare")
    dump = subprocess.run(  # noqa: S603 - fixed command line
        [str(bin_dir / "pg_dump"), "--no-owner", "--no-privileges", "-d", workers.database_url()],
        check=True,
        capture_output=True,
    )
    restore = subprocess.run(  # noqa: S603 - fixed command line
        [str(bin_dir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", private.conninfo()],
        input=_portable(dump.stdout),
        capture_output=True,
    )
    assert restore.returncode == 0, restore.stderr.decode(errors="replace")[-2000:]


def _portable(sql: bytes) -> bytes:
    """The dump without column options the private server does not know (the shared test server
    tags columns with a ``pg_attver`` option)."""
    return b"\n".join(
        line
        for line in sql.split(b"\n")
        if not (line.startswith(b"ALTER TABLE ONLY ") and b" SET (pg_attver=" in line)
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def app_on(tmp_path: Path) -> Iterator[Any]:
    """``app_on(private)``: the app served by gunicorn on the private database; its base URL."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(private: PrivatePostgres) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mhcare.settings.test",
            "DATABASE_URL": private.url,
        }
        log = (tmp_path / "gunicorn.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - fixed command line
            [
                sys.executable,
                "-m",
                "gunicorn",
                "mhcare.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        workers.wait_until(lambda: _status(f"{base}/healthz") == 200, 60, "gunicorn to answer")
        return base

    try:
        yield start
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def _request(
    url: str, *, token: str = "", session: str = "", data: bytes | None = None
) -> tuple[int, str, str]:
    headers = {"Accept-Language": "zh-hans"}
    if session:
        headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={session}"
    if token:
        headers["Authorization"] = f"Token {token}"
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read().decode()
    except OSError:
        return 0, "", ""


def _status(url: str) -> int:
    return _request(url)[0]


def _assert_clean_error_page(status: int, content_type: str, body: str) -> None:
    assert status in (500, 503), (status, body[:500])
    assert content_type.startswith("text/html")
    assert "系统出错" in body or "出错了" in body  # the app's page, in the user's language
    for leak in ("Traceback", "OperationalError", "psycopg", 'File "/'):
        assert leak not in body


def _hold_row(private: PrivatePostgres, table: str, pk: int) -> None:
    """Lock the row FOR UPDATE in a transaction PREPAREd as ``HOLD``: the lock stays, with no
    backend a restart could end, until ``_release``."""
    with psycopg.connect(private.conninfo()) as holder:
        holder.execute(
            sql.SQL("SELECT 1 FROM {} WHERE id = %s FOR UPDATE").format(sql.Identifier(table)),
            (pk,),
        )
        holder.execute(sql.SQL("PREPARE TRANSACTION {}").format(sql.Literal(HOLD)))


def _held(private: PrivatePostgres) -> bool:
    with psycopg.connect(private.conninfo(), autocommit=True) as probe:
        row = probe.execute("SELECT count(*) FROM pg_prepared_xacts WHERE gid = %s", (HOLD,))
        return row.fetchone() == (1,)


def _release(private: PrivatePostgres) -> None:
    with psycopg.connect(private.conninfo(), autocommit=True) as admin:
        admin.execute(sql.SQL("ROLLBACK PREPARED {}").format(sql.Literal(HOLD)))


def _write_waits_in_its_commit(private: PrivatePostgres) -> bool:
    """A backend has written (it has a transaction id), sent COMMIT, and waits for the lock of the
    prepared transaction ``HOLD``: the request is inside the database, its write not committed."""
    with psycopg.connect(private.conninfo(), autocommit=True) as probe:
        row = probe.execute(
            """
            SELECT count(*) FROM pg_stat_activity AS activity
            JOIN pg_locks AS wanted ON wanted.pid = activity.pid AND NOT wanted.granted
            JOIN pg_prepared_xacts AS hold ON hold.transaction = wanted.transactionid
            WHERE hold.gid = %s AND activity.state = 'active' AND activity.query = 'COMMIT'
              AND activity.backend_xid IS NOT NULL
            """,
            (HOLD,),
        ).fetchone()
    return bool(row and row[0])


def _stored_of_the_write(private: PrivatePostgres) -> tuple[int, ...]:
    """Observations, their audit events and notifications: everything the write would store."""
    with psycopg.connect(private.conninfo()) as check:
        row = check.execute(
            """
            SELECT (SELECT count(*) FROM screening_observation),
                   (SELECT count(*) FROM audit_auditevent
                     WHERE object_type = 'screening.observation'),
                   (SELECT count(*) FROM notifications_notification
                     WHERE key LIKE 'observation:%%')
            """
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_a_database_restart_fails_the_requests_it_hits_cleanly_and_the_app_recovers(
    world, private_postgres, app_on
):
    started = time.monotonic()
    teacher, student = world.users["homeroom_a"], world.students["a"]
    _, token = token_create(actor=teacher, name="restart")
    browser = Client()
    browser.force_login(teacher)  # a signed-in browser's session (stored in the database)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    _copy_test_database(private_postgres)
    base = app_on(private_postgres)
    students = f"{base}/api/v1/students/"
    # the app works, and keeps its database connections (CONN_MAX_AGE)
    assert _request(students, token=token)[0] == 200
    assert _request(f"{base}/students/", session=session)[0] == 200
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True

    # given a write in flight: the observation is inserted, its COMMIT waits on the student's row
    assert _stored_of_the_write(private_postgres) == (0, 0, 0)
    _hold_row(private_postgres, "orgs_student", student.pk)
    body = json.dumps(
        {
            "student": student.pk,
            "category": "mood",
            "description": "restart",
            "observed_on": "2026-11-02",
        }
    ).encode()
    answers: list[tuple[int, str, str]] = []
    post = threading.Thread(
        target=lambda: answers.append(
            _request(f"{base}/api/v1/screening/observations/", token=token, data=body)
        )
    )
    post.start()
    workers.wait_until(
        lambda: answers or _write_waits_in_its_commit(private_postgres),
        30,
        "the write to wait in its COMMIT",
    )
    assert not answers, answers
    # when PostgreSQL restarts under it
    private_postgres.pg_ctl("-m", "fast", "restart")
    post.join(30)
    # then that request failed cleanly — answered while the row is still held (the hold outlives
    # the restart), so no retry is waiting on it — and nothing of it was stored, even once the
    # row is free
    assert not post.is_alive(), "the request did not answer: is it waiting on the row again?"
    assert _held(private_postgres)
    [(status, content_type, page)] = answers
    _assert_clean_error_page(status, content_type, page)
    _release(private_postgres)
    assert _stored_of_the_write(private_postgres) == (0, 0, 0)
    # and the next requests work, without restarting the app (every thread's connection)
    for _ in range(6):
        assert _request(students, token=token)[0] == 200

    # a request while the database is down gets the error page too; then the app recovers
    private_postgres.pg_ctl("-m", "fast", "stop")
    _assert_clean_error_page(*_request(students, token=token))
    _assert_clean_error_page(*_request(f"{base}/students/", session=session))
    private_postgres.start()
    for _ in range(6):
        assert _request(students, token=token)[0] == 200
    assert _request(f"{base}/students/", session=session)[0] == 200
    # the write goes through now
    assert _request(f"{base}/api/v1/screening/observations/", token=token, data=body)[0] in (
        200,
        201,
    )
    assert time.monotonic() - started < 90
