"""What the benches share: a bench database holding a generated province, and the RESULT line.

    from bench.harness import ensure_province, print_result

    marker = ensure_province(os.environ["DATABASE_URL"], students=300_000, seed=20260901)
    marker["logins"]["county_center"]  # one login per role (password generate.DEFAULT_PASSWORD)
    ...
    print_result("indicators", {"refresh median (s)": 10.2}, ratio=1.7,
                 target="≤ 2× hand-written SQL", ok=True)

``ensure_province`` creates the database when it does not exist, migrates it, and runs
``manage.py seed_province --reset`` unless it already holds a province made for the same number of
students and seed (the generator's marker table ``province_seed``). It runs ``manage.py`` in
subprocesses, so it may be called before or after ``django.setup()``.

A bench's last line on stdout is ``RESULT {json}`` with the keys ``bench`` (its name),
``figures`` (label with its unit → value), ``ratio`` (the app ÷ the physical limit, or null),
``target`` (text) and ``ok`` (bool); ``bench/run_all.py`` reads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEED = 20260901
MARKER_TABLE = "province_seed"  # province.generate.MARKER_TABLE (no Django needed here)


def _admin_url(database_url: str) -> tuple[str, str]:
    """The URL of the server's ``postgres`` database, and the bench database's name."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def create_database(database_url: str) -> None:
    admin, name = _admin_url(database_url)
    if name in ("mhcare", "test_mhcare"):
        raise SystemExit(f"{name}: benches never run on the default databases")
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')


def read_marker(database_url: str) -> dict[str, Any] | None:
    """The province the database holds (students asked, seed, year, logins, students made)."""
    with psycopg.connect(database_url) as conn:
        if conn.execute("SELECT to_regclass(%s)", [MARKER_TABLE]).fetchone()[0] is None:
            return None
        row = conn.execute(
            f"SELECT students, seed, year, logins, generated FROM {MARKER_TABLE} "  # noqa: S608
            "ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    return dict(zip(("students", "seed", "year", "logins", "generated"), row, strict=True))


def manage(database_url: str, *args: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "mhcare.settings.local"),
    }
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


def ensure_province(database_url: str, students: int, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The bench database with a generated province of ``students`` students (made once)."""
    create_database(database_url)
    manage(database_url, "migrate", "--verbosity", "0")
    marker = read_marker(database_url)
    if marker and marker["students"] == students and marker["seed"] == seed:
        print(f"province of {marker['generated']:,} students (seed {seed}) exists; reusing it")
        return marker
    started = time.perf_counter()
    print(f"generating a province of {students:,} students (seed {seed}) …", flush=True)
    manage(
        database_url, "seed_province", "--reset", "--students", str(students), "--seed", str(seed)
    )
    print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    marker = read_marker(database_url)
    if marker is None:
        raise SystemExit("seed_province left no marker")
    return marker


def settle(database_url: str, *, max_wait: float = 180.0) -> str:
    """Let the server finish what the previous bench left behind before the next one is timed:
    wait (at most ``max_wait`` s) until no autovacuum worker runs — an import or a snapshot
    refresh can wake autovacuum, which would take one of a 2-core machine's cores in the middle
    of the next bench's timings — then ``CHECKPOINT``, so the next bench does not pay for
    writing out the previous one's dirty buffers. Returns what it did, for the bench's section."""
    started = time.perf_counter()
    waited_for = 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ).fetchone()[0]
            if not busy or time.perf_counter() - started > max_wait:
                break
            waited_for = max(waited_for, busy)
            time.sleep(2)
        waited = time.perf_counter() - started
        conn.execute("CHECKPOINT")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    still = " (still running: timed anyway)" if busy else ""
    autovacuum = (
        f"waited {waited:.0f} s for {waited_for} autovacuum worker(s){still}"
        if waited_for
        else "no autovacuum running"
    )
    return f"{autovacuum}; CHECKPOINT; load average {load}"


def print_result(
    bench: str, figures: dict[str, Any], *, ratio: float | None, target: str, ok: bool
) -> None:
    """The bench's last line, for ``bench/run_all.py``."""
    line = {"bench": bench, "figures": figures, "ratio": ratio, "target": target, "ok": ok}
    print("RESULT " + json.dumps(line, ensure_ascii=False), flush=True)
