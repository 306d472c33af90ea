"""`make run`: database, migrations, demo data, then the web server (and Celery when Redis answers).

Run by the virtualenv's Python from the repository root (the Makefile has already installed the
requirements and compiled the translations). Everything this script starts — the web server, the
Celery worker and beat, an embedded PostgreSQL — is stopped again on Ctrl-C (SIGINT), SIGTERM or
SIGHUP. Running it again reuses what is there: migrations and ``seed_demo`` are idempotent.

Database, in this order (DESIGN.md "Runtime"):
  1. ``DATABASE_URL`` when it is set;
  2. a PostgreSQL server on 127.0.0.1:5432 (user ``postgres``) when one answers — database
     ``mhcare`` is created when missing;
  3. an embedded PostgreSQL from the ``pgserver`` package, data under ``.data/pg``.
``MHCARE_DB=embedded`` (or ``local``) forces a choice; ``MHCARE_DB_NAME`` names the database
(default ``mhcare``); ``MHCARE_PORT`` moves the web server off port 8000; ``MHCARE_DATA_DIR``
moves the embedded database and the logs out of ``.data``.

Background tasks: when Redis answers at ``REDIS_URL`` (default redis://127.0.0.1:6379/0), a Celery
worker and beat are started with the command lines of ``worker_argv()`` / ``beat_argv()``. When it
does not, this is decided BEFORE the set-up steps, and every process (migrate, seed_demo, the web
server) gets ``CELERY_TASK_ALWAYS_EAGER=1``: tasks run in-process, nothing is sent to a broker.

Options: ``--setup-only`` does everything except serve (database, migrations, demo data) and
exits; ``--check`` also starts the server, waits for ``/healthz`` to answer 200, prints its answer
and stops everything again (exit status 0 when healthy) — CI runs it with no Redis and the
embedded database (.ci/run).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
# MHCARE_DATA_DIR: where the embedded database and the logs live (tests use a folder of their own).
DATA_DIR = Path(os.environ.get("MHCARE_DATA_DIR") or BASE_DIR / ".data").resolve()
EMBEDDED_PGDATA = DATA_DIR / "pg"
LOG_DIR = DATA_DIR / "logs"
LOCAL_PG_HOST, LOCAL_PG_PORT, LOCAL_PG_USER = "127.0.0.1", 5432, "postgres"
DATABASE_NAME = os.environ.get("MHCARE_DB_NAME", "mhcare")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
HOST = "127.0.0.1"
SETUP_ONLY, CHECK = "--setup-only", "--check"
HEALTHZ_WAIT_SECONDS = 120


def worker_argv(python: str = sys.executable, name: str = "mhcare-run@%h") -> list[str]:
    """The Celery worker as `make run` starts it (tests start it with this same command line)."""
    return [
        python, "-m", "celery", "-A", "mhcare", "worker", "-l", "info", "--concurrency", "2",
        "-n", name,
    ]  # fmt: skip


def beat_argv(python: str = sys.executable) -> list[str]:
    """Celery beat as `make run` starts it."""
    return [
        python, "-m", "celery", "-A", "mhcare", "beat", "-l", "info",
        "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile=",
    ]  # fmt: skip


def _shown(path: Path) -> Path:
    """A path as the user reads it: relative to the repository when it is inside."""
    return path.relative_to(BASE_DIR) if path.is_relative_to(BASE_DIR) else path


def banner(text: str) -> None:
    print(f"\033[1m==> {text}\033[0m", flush=True)


def note(text: str) -> None:
    print(f"\033[33m!!  {text}\033[0m", flush=True)


class StopRequestedError(Exception):
    """Raised by the signal handlers to unwind into the clean-up."""


def _on_signal(signum: int, _frame: Any) -> None:
    # Further signals while we clean up are ignored: one Ctrl-C is enough, and a second one must
    # not leave the embedded server or a worker behind half-stopped.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    raise StopRequestedError(signal.Signals(signum).name)


def _die_with_parent() -> None:
    """In the child: get SIGTERM if this script dies without cleaning up (e.g. kill -9)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class Runner:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes], IO[bytes] | None]] = []
        self.embedded: Any = None
        self.database_from_env = False
        self.env = dict(os.environ)
        self.env.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")
        self.env["PYTHONUNBUFFERED"] = "1"
        self.port = int(self.env.get("MHCARE_PORT", "8000"))

    # ---- helpers -------------------------------------------------------------------------------
    def start(self, name: str, argv: list[str], log: Path | None = None) -> None:
        out: IO[bytes] | None = None
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            out = log.open("ab")
        # A session of its own: a Ctrl-C in the terminal reaches only this script, which then stops
        # the children in order (web first, database last).
        process = subprocess.Popen(
            argv,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # safe: this script starts no threads
        )
        self.children.append((name, process, out))

    def port_is_free(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, self.port))
            except OSError:
                return False
        return True

    # ---- database ------------------------------------------------------------------------------
    def choose_database(self) -> str:
        forced = self.env.get("MHCARE_DB", "").strip().lower()
        if forced not in {"", "auto", "url", "local", "embedded"}:
            raise SystemExit(f"MHCARE_DB must be one of auto, local, embedded (got {forced!r})")
        if forced in {"", "auto", "url"} and self.env.get("DATABASE_URL"):
            self.database_from_env = True
            self.ensure_database(self.env["DATABASE_URL"])
            return "DATABASE_URL from the environment"
        if forced in {"", "auto", "local"}:
            url = self.local_postgres()
            if url:
                self.env["DATABASE_URL"] = url
                return (
                    f"local PostgreSQL at {LOCAL_PG_HOST}:{LOCAL_PG_PORT}, database {DATABASE_NAME}"
                )
            if forced == "local":
                raise SystemExit("MHCARE_DB=local, but no PostgreSQL answers on 127.0.0.1:5432")
        self.env["DATABASE_URL"] = self.embedded_postgres()
        where = _shown(EMBEDDED_PGDATA)
        return f"embedded PostgreSQL (pgserver) with data in {where}"

    def local_postgres(self) -> str | None:
        import psycopg

        try:
            with psycopg.connect(
                host=LOCAL_PG_HOST,
                port=LOCAL_PG_PORT,
                user=LOCAL_PG_USER,
                dbname="postgres",
                connect_timeout=2,
                autocommit=True,
            ) as connection:
                self.create_database(connection)
        except psycopg.OperationalError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
            if "refused" not in reason and "timeout" not in reason.lower():
                note(f"PostgreSQL on 127.0.0.1:5432 answered but cannot be used: {reason}")
            return None
        return f"postgres://{LOCAL_PG_USER}@{LOCAL_PG_HOST}:{LOCAL_PG_PORT}/{DATABASE_NAME}"

    def embedded_postgres(self) -> str:
        import warnings

        # pgserver's platformdirs warns when XDG_RUNTIME_DIR is unset and then uses /tmp: fine here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver
        import psycopg

        banner("starting the embedded PostgreSQL (pgserver); the first start takes a few seconds")
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: this script stops the server itself (see stop()). pgserver's own
        # reference count would keep it running for ever after a `kill -9` of an earlier run.
        self.embedded = pgserver.get_server(EMBEDDED_PGDATA, cleanup_mode=None)
        socket_dir = self.embedded.get_postmaster_info().socket_dir
        with psycopg.connect(
            host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            self.create_database(connection)
        # dj-database-url reads a percent-encoded path in the host part as a Unix socket directory.
        return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"

    @staticmethod
    def create_database(connection: Any, name: str = DATABASE_NAME) -> None:
        from psycopg import sql

        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            banner(f"creating database {name}")
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def ensure_database(self, url: str) -> None:
        """Create the database a DATABASE_URL names when its server answers and it is missing."""
        import dj_database_url
        import psycopg
        from psycopg.conninfo import make_conninfo

        config = dj_database_url.parse(url)
        params = {
            "host": config.get("HOST"),
            "port": config.get("PORT"),
            "user": config.get("USER"),
            "password": config.get("PASSWORD"),
            **config.get("OPTIONS", {}),
        }
        conninfo = make_conninfo(**{key: str(value) for key, value in params.items() if value})
        try:
            with psycopg.connect(
                conninfo, dbname="postgres", connect_timeout=3, autocommit=True
            ) as connection:
                self.create_database(connection, str(config["NAME"]))
        except psycopg.Error as error:
            note(f"could not check that database {config['NAME']} exists: {error}")

    def serve_as_app_role(self) -> None:
        """The web server, worker and beat connect as the app role (``db_roles``), which may not
        empty or alter the audit log; migrations ran as the owner. Only for the databases this
        script chose (local or embedded, user ``postgres`` with trust authentication): a
        DATABASE_URL given from outside is used as given."""
        import psycopg

        url = self.env["DATABASE_URL"]
        owner = f"postgres://{LOCAL_PG_USER}@"
        role = self.env.get("DB_APP_ROLE", "mhcare_app")
        if self.database_from_env or not url.startswith(owner):
            return
        app_url = f"postgres://{role}@" + url.removeprefix(owner)
        import dj_database_url

        config = dj_database_url.parse(app_url)
        try:
            psycopg.connect(
                host=config["HOST"],
                port=config.get("PORT") or None,
                user=role,
                dbname=config["NAME"],
                connect_timeout=3,
            ).close()
        except psycopg.Error as error:
            note(f"cannot connect as the app role {role} ({error}); serving as {LOCAL_PG_USER}")
            return
        self.env["DATABASE_URL"] = app_url
        banner(f"serving as database role {role} (SELECT and INSERT only on the audit log)")

    # ---- redis ---------------------------------------------------------------------------------
    def redis_answers(self) -> bool:
        import redis

        url = self.env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
            return bool(client.ping())
        except (redis.RedisError, OSError, ValueError):
            return False

    # ---- the run -------------------------------------------------------------------------------
    def run(self, mode: str | None = None) -> int:
        if mode != SETUP_ONLY and not self.port_is_free():
            raise SystemExit(
                f"{HOST}:{self.port} is already in use (another `make run`?). Stop it, or set "
                "MHCARE_PORT to another port."
            )
        database = self.choose_database()
        banner(f"database: {database}")
        # Decided before the set-up steps: seed_demo enqueues work (the demo's 上报 delivery), and
        # without a broker that must run in-process, not fail with "Error 111 connecting".
        redis_url = self.env["REDIS_URL"] if self.redis_answers() else None
        if redis_url:
            self.env.pop("CELERY_TASK_ALWAYS_EAGER", None)
            tasks = (
                f"Celery worker and beat on {redis_url} "
                f"(logs: {_shown(LOG_DIR / 'worker.log')}, {_shown(LOG_DIR / 'beat.log')})"
            )
        else:
            self.env["CELERY_TASK_ALWAYS_EAGER"] = "1"
            tasks = (
                f"Redis does not answer at {self.env['REDIS_URL']}: background tasks run "
                "IN-PROCESS (CELERY_TASK_ALWAYS_EAGER=1); no worker, no beat, no periodic jobs"
            )
            note(f"tasks: {tasks}")
        # One Django process for the three set-up commands: each start of Django costs seconds.
        subprocess.run([sys.executable, __file__, SETUP_STEPS], env=self.env, check=True)
        if mode == SETUP_ONLY:
            banner("set-up done (--setup-only: not serving)")
            return 0
        self.serve_as_app_role()

        if redis_url:
            self.start("worker", worker_argv(), LOG_DIR / "worker.log")
            self.start("beat", beat_argv(), LOG_DIR / "beat.log")

        self.start(
            "web",
            [sys.executable, "manage.py", "runserver", f"{HOST}:{self.port}", "--noreload"],
        )
        print(flush=True)
        banner(f"mhcare is starting on http://{HOST}:{self.port}/  (Ctrl-C stops everything)")
        banner(f"database: {database}")
        (banner if redis_url else note)(f"tasks: {tasks}")
        banner("demo logins: see the table printed by seed_demo above")
        print(flush=True)
        if mode == CHECK:
            return self.check_health()
        return self.watch()

    def check_health(self) -> int:
        """--check: wait for /healthz to answer 200 (or the web server to die), print the answer."""
        import urllib.error
        import urllib.request

        url = f"http://{HOST}:{self.port}/healthz"
        deadline = time.monotonic() + HEALTHZ_WAIT_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            web = next(process for name, process, _ in self.children if name == "web")
            if web.poll() is not None:
                note(f"the web server exited with status {web.returncode}")
                return 1
            try:
                with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
                    body = response.read().decode()
                banner(f"GET /healthz: {response.status} {body}")
                return 0
            except urllib.error.HTTPError as error:
                last = f"{error.code} {error.read().decode(errors='replace')}"
            except OSError as error:
                last = str(error)
            time.sleep(1)
        note(f"GET /healthz did not answer 200 within {HEALTHZ_WAIT_SECONDS} s: {last}")
        return 1

    def watch(self) -> int:
        reported: set[str] = set()
        while True:
            for name, process, _ in self.children:
                code = process.poll()
                if code is None or name in reported:
                    continue
                reported.add(name)
                if name == "web":
                    note(f"the web server exited with status {code}; stopping")
                    return code or 1
                log = _shown(LOG_DIR / f"{name}.log")
                note(f"the Celery {name} exited with status {code}; see {log}")
            time.sleep(0.5)

    def stop(self) -> None:
        for _name, process, _ in reversed(self.children):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, process, out in reversed(self.children):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                note(f"{name} did not stop in time; killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if out is not None:
                out.close()
        if self.embedded is not None:
            import pgserver

            banner("stopping the embedded PostgreSQL")
            try:
                pgserver.pg_ctl(  # type: ignore[attr-defined]
                    ["-w", "-m", "fast", "stop"],
                    pgdata=self.embedded.pgdata,
                    user=self.embedded.system_user,
                    timeout=60,
                )
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
                note(f"pg_ctl stop failed ({error}); see {EMBEDDED_PGDATA / 'log'}")
            self.embedded = None


SETUP_STEPS = "--setup-steps"


def setup_steps() -> int:
    """In a child process: collectstatic, migrate, seed_demo (all idempotent)."""
    sys.path.insert(0, str(BASE_DIR))
    import django
    from django.core.management import CommandError, call_command

    django.setup()
    try:
        _run_setup_commands(call_command)
    except CommandError as error:
        note(f"{error}")
        return 1
    return 0


def _run_setup_commands(call_command: Any) -> None:
    banner("collecting static files")
    # Without post-processing: whitenoise would re-compress every file (~25 s) on each run, and
    # the development server serves the uncompressed files anyway.
    call_command("collectstatic", interactive=False, post_process=False, verbosity=0)
    banner("applying migrations")
    call_command("migrate", interactive=False, verbosity=1)
    banner("granting the app's database role least privilege (db_roles)")
    try:
        call_command("db_roles")
    except Exception as error:  # noqa: BLE001 - a DATABASE_URL role may not create roles
        note(f"db_roles failed ({error}); the app keeps the DATABASE_URL role")
    banner("loading the demo data (seed_demo; idempotent)")
    call_command("seed_demo")


def main() -> int:
    os.chdir(BASE_DIR)
    if sys.argv[1:] == [SETUP_STEPS]:
        return setup_steps()
    mode = sys.argv[1] if sys.argv[1:] in ([SETUP_ONLY], [CHECK]) else None
    if sys.argv[1:] and mode is None:
        raise SystemExit(f"usage: scripts/run.py [{SETUP_ONLY} | {CHECK}]")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    runner = Runner()
    try:
        return runner.run(mode)
    except StopRequestedError as stop:
        print(flush=True)
        banner(f"{stop.args[0]}: stopping everything make run started")
        return 0
    except subprocess.CalledProcessError as error:
        note(f"set-up failed (status {error.returncode}); see the messages above")
        return error.returncode or 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        if runner.children or runner.embedded is not None:
            runner.stop()
            banner("stopped")


if __name__ == "__main__":
    sys.exit(main())
