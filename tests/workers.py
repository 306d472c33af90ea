"""Real Celery workers for the tests marked ``worker``: a ``celery -A mhcare worker`` subprocess on
Redis (never eager), pointed at the test database, started with the command line `make run` uses
(``scripts/run.py::worker_argv``) unless a test passes another one (docker-compose's, or an old
application that misses tasks).

The test database is shared with the worker only for ``django_db(transaction=True)`` tests (and
``live_server``): what the test writes is committed, so the worker's own connection sees it."""

from __future__ import annotations

import ast
import importlib.util
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from django.db import connection

from mhcare.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
# A Redis database of its own, so that no worker of `make run` (database 0) takes the tests' tasks.
# Overridable so that test runs side by side (several worktrees on one machine) do not share
# one broker and take each other's tasks.
# --- suite: one Redis database per pytest-xdist worker ---
# `make test` runs the bulk of the tests in two xdist workers (gw0, gw1) at once: each takes the
# broker's database plus its index (gw0: 12, gw1: 13 by default), so that one worker's test never
# flushes, or takes the tasks of, the other's. Outside xdist (and in the serial run) it is the
# database given.
_XDIST_REDIS_DATABASES = 16  # Redis's default `databases`


def xdist_broker(base: str, worker: str | None) -> str:
    """``base`` (a redis:// URL ending in its database number) for the xdist worker ``worker``
    (``gw0``, ``gw1``, … or None outside xdist): the database number plus the worker's index."""
    if not worker:
        return base
    prefix, _, number = base.rpartition("/")
    database = int(number or 0) + int(worker.removeprefix("gw"))
    if database >= _XDIST_REDIS_DATABASES:
        raise RuntimeError(
            f"xdist worker {worker} would use Redis database {database} of {base}: "
            "give MHCARE_TEST_BROKER a lower database number or run fewer workers"
        )
    return f"{prefix}/{database}"


TEST_BROKER = xdist_broker(
    os.environ.get("MHCARE_TEST_BROKER", "redis://127.0.0.1:6379/12"),
    os.environ.get("PYTEST_XDIST_WORKER"),
)
WORKER_START_SECONDS = 90
# Folders that hold no task of the product.
_NOT_PRODUCT = {".venv", "tests", ".data", "node_modules", "staticfiles", "media", ".git"}


def load_run_script() -> ModuleType:
    """scripts/run.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("mhcare_run_script", ROOT / "scripts" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def database_url() -> str:
    """The test database as a DATABASE_URL for a subprocess."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def conninfo(user: str | None = None) -> str:
    """The test database as a libpq conninfo string (for psycopg connections of a test's own),
    optionally as another role (trust authentication on loopback, as on the test machines)."""
    s = connection.settings_dict
    parts = {
        "dbname": s["NAME"],
        "user": user or s.get("USER") or "postgres",
        "host": s.get("HOST") or "127.0.0.1",
        "port": s.get("PORT") or "5432",
    }
    if s.get("PASSWORD") and user is None:
        parts["password"] = s["PASSWORD"]
    return " ".join(f"{k}={v}" for k, v in parts.items())


def wait_until(condition: Any, seconds: float, what: str) -> None:
    """Poll ``condition`` every 0.2 s; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def solo_worker_argv(queue: str) -> list[str]:
    """A worker on one queue only, one task at a time (a test kills it mid-run); node name
    ``{name}`` is filled in by ``WorkerStarter``."""
    return [
        sys.executable, "-m", "celery", "-A", "mhcare", "worker", "--pool=solo",
        "--concurrency=1", "-Q", queue, "-n", "{name}", "-l", "info", "--without-gossip",
        "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip


# Worker settings with a visibility timeout of seconds: an unacknowledged message is redelivered
# fast after its worker is killed.
FAST_REDELIVERY_SETTINGS = "tests.core.reminders.worker_settings"


def forget_broker_connections() -> None:
    """Producers are pooled per app; drop the pool so the next publish uses the current broker."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def defined_tasks() -> set[str]:
    """Every task defined in the product's code, found by reading the source (not by Celery's
    discovery, which is what is under test): functions decorated with ``@shared_task`` or
    ``@<app>.task``, named by their ``name=`` or ``<module>.<function>``."""
    names: set[str] = set()
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if _NOT_PRODUCT & set(relative.parts) or relative.parts[0] == "scripts":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = ".".join(relative.with_suffix("").parts)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                target = call.func if call else decorator
                is_task = (isinstance(target, ast.Name) and target.id == "shared_task") or (
                    isinstance(target, ast.Attribute) and target.attr in {"task", "shared_task"}
                )
                if not is_task:
                    continue
                name = f"{module}.{node.name}"
                for keyword in call.keywords if call else ():
                    if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                        name = str(keyword.value.value)
                names.add(name)
    return names


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    argv: list[str] = field(default_factory=list)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def registered(self, timeout: float = 5.0) -> set[str]:
        """The tasks the worker says it holds (``celery inspect registered``, control API)."""
        replies = celery_app.control.inspect(destination=[self.name], timeout=timeout).registered()
        assert self.name in (replies or {}), f"{self.name} did not answer:\n{self.log_text()}"
        assert replies is not None
        return {entry.split(" ", 1)[0] for entry in replies[self.name]}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class WorkerStarter:
    """Starts worker subprocesses for one test and stops them afterwards."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.workers: list[WorkerProcess] = []

    def __call__(
        self,
        argv: list[str] | None = None,
        *,
        settings: str = "mhcare.settings.test",
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> WorkerProcess:
        """``argv``: a full command line whose node name is ``{name}`` (filled in here); default
        `make run`'s. The environment is the test run's, with the test database and broker."""
        name = f"mhcare-test-{uuid.uuid4().hex[:8]}@{socket.gethostname()}"
        if argv is None:
            argv = load_run_script().worker_argv(sys.executable, name)
        argv = [part.replace("{name}", name) for part in argv]
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings,
            "DATABASE_URL": database_url(),
            "REDIS_URL": TEST_BROKER,
            "CELERY_BROKER_URL": TEST_BROKER,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            **(env or {}),
        }
        environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        log = self.log_dir / f"worker-{len(self.workers) + 1}.log"
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            argv, cwd=ROOT, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        worker = WorkerProcess(name=name, process=process, log=log, argv=argv)
        self.workers.append(worker)
        if wait:
            self.wait_until_answering(worker)
        return worker

    @staticmethod
    def wait_until_answering(worker: WorkerProcess) -> None:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while time.monotonic() < deadline:
            if worker.process.poll() is not None:
                raise AssertionError(
                    f"the worker exited with status {worker.process.returncode}:\n"
                    f"{worker.log_text()}"
                )
            if celery_app.control.ping(destination=[worker.name], timeout=1.0):
                return
        raise AssertionError(f"the worker did not answer in time:\n{worker.log_text()}")

    def stop_all(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()


def use_test_broker() -> Iterator[Any]:
    """The test process publishes to (and inspects) the test broker, not eagerly."""
    import redis

    client = redis.Redis.from_url(TEST_BROKER)
    client.flushdb()
    saved = {
        key: celery_app.conf[key] for key in ("broker_url", "task_always_eager", "result_backend")
    }
    celery_app.conf.update(broker_url=TEST_BROKER, task_always_eager=False, result_backend=None)
    forget_broker_connections()
    try:
        yield client
    finally:
        celery_app.conf.update(saved)
        forget_broker_connections()
        client.flushdb()
