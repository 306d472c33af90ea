"""`make run` on a machine with no Redis (the README's "only Python 3.11+ and this repository"):
the set-up on the embedded PostgreSQL (pgserver) must not send the demo's work to a broker that is
not there (it stopped with "kombu.exceptions.OperationalError: Error 111 connecting"), and the
server must come up healthy with tasks run in-process.

Runs scripts/run.py --check as the Makefile runs it (all of `make run` — database, migrations,
demo data, web server — then GET /healthz, then everything stopped), in a data folder of its own
so that a developer's own `make run` is left alone. About 40 s: the embedded database is new."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.workers import ROOT

# serial: the whole of `make run` (embedded PostgreSQL, migrations, demo, server) under a timeout:
# run alone, not beside another xdist worker (`make test` runs `-m serial` after the parallel run).
pytestmark = pytest.mark.serial

PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _processes_using(folder: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in text:
            found.append(text)
    return found


def test_make_run_without_redis_on_the_embedded_database_serves_a_healthy_app():
    # A folder of its own, not pytest's tmp_path: concurrent pytest sessions of the same user
    # rotate those away, and the embedded server must be stoppable until the end.
    data = Path(tempfile.mkdtemp(prefix="mhcare-run-"))
    try:
        _run_and_check(data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _run_and_check(data: Path) -> None:
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="mhcare.settings.local",  # as the Makefile's `run` target
        MHCARE_DB="embedded",
        MHCARE_DATA_DIR=str(data),
        MHCARE_PORT=str(_closed_port()),
        REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0",  # nothing listens there
    )
    result = subprocess.run(
        [sys.executable, "scripts/run.py", "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "background tasks run IN-PROCESS" in output
    assert "OperationalError" not in output
    assert "Demo ready" in output
    # migrations ran as the owner; the server as the app role, which cannot empty the audit log
    assert "serving as database role mhcare_app" in output
    assert 'GET /healthz: 200 {"status": "ok", "database": "ok"' in output
    # and everything it started is stopped again, the embedded PostgreSQL included
    assert "stopping the embedded PostgreSQL" in output
    assert "pg_ctl stop failed" not in output
    assert not _processes_using(data)
