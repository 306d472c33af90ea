"""Bench 7: the scoped ``/api/v1/students/`` under gunicorn beside a bare Django JSON view that
writes the same page (``bench/lists_urls.py``, a bench-only URLconf), side by side on loopback.

    DATABASE_URL=postgres://…/<a bench db> .venv/bin/python bench/students_api_load.py \
        [--seconds 8] [--runs 3] [--clients 8] [--workers 3]

Starts gunicorn (``bench.lists_settings``: DEBUG off, the real middleware) on a free port, then
alternates ``--runs`` times, each for ``--seconds`` with ``--clients`` keep-alive clients (threads,
``http.client``): the API with a token (the API as scripts use it), the bare view with the same
token, the narrow bare view (the students' own columns only: the baseline until 2026-12-07,
printed for comparison), and the API with a session cookie (as the pages' own JavaScript would
call it). Before the runs it checks that the bare view's page is the API's (the same students,
columns and values). It counts the requests served, whether a token run changed any row of
``django_session`` (a digest of the table before and after: exact at once), the rows the cookie
runs wrote (``pg_stat_user_tables``: inserts + updates + deletes, after a first request stamped
the session, read once every backend's statistics have landed — they lag by up to 10 s), and the
CPU a request cost gunicorn and PostgreSQL (``/proc``: the two cores both servers share). The
bench user is the county center of bench/lists.py (the county with most students). Target: API
≥ 0.5 × the bare view's throughput; no session write per request: none with a token, and with a
cookie at most the idle-timeout stamp, once per ``SESSION_ACTIVITY_WRITE_SECONDS`` (one session
here: at most one write per such interval of the bench's duration, by each of its requests in
flight when the interval ends — they all read the old stamp). ``--workers`` defaults to
docker-compose's web service (``WEB_CONCURRENCY``, 3 sync workers); both servers run with it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.lists_settings")

import django  # noqa: E402

from bench.harness import DEFAULT_SEED, ensure_province  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402

from bench.lists import bench_user  # noqa: E402
from mhcare.accounts.tokens import token_create  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A backend that flushed its statistics less than a second before its last write reports that
# write only when it has been idle for 10 s (PostgreSQL 15: PGSTAT_MIN_INTERVAL, _IDLE_INTERVAL).
STATS_LAG_SECONDS = 11
COOKIE = "API (session cookie)"
BARE = "bare view (token)"
NARROW = "narrow bare view"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int | str) -> float:
    """User + system CPU seconds of one process (``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_seconds(master: int) -> tuple[float, float]:
    """CPU seconds used so far by gunicorn's master and workers, and by every PostgreSQL process
    (the backends serving them, and the WAL writer, checkpointer …) — the machine's two cores
    are what both servers share, so this is what a request costs."""
    gunicorn = postgres = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as stat:
                head = stat.read()
            name = head[head.index("(") + 1 : head.rindex(")")]
            parent = int(head.rsplit(")", 1)[1].split()[1])
            if int(pid) == master or parent == master:
                gunicorn += _cpu(pid)
            elif name.startswith("postgres"):
                postgres += _cpu(pid)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # a process that ended meanwhile
    return gunicorn, postgres


def same_page(port: int, api: tuple[str, dict[str, str]], bare: tuple[str, dict[str, str]]) -> None:
    """The bare view must write what the API writes (the same students, columns and values):
    else it is not the API's baseline."""
    pages = []
    for path, headers in (api, bare):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers=headers)
        pages.append(json.loads(conn.getresponse().read())["results"])
        conn.close()
    if pages[0] != pages[1] or len(pages[0]) != 50:
        raise SystemExit("the bare view's page is not the API's page")


def session_writes() -> int:
    """Rows written to ``django_session`` so far (the statistics: they count each rewrite of the
    same row, but may lag by ``STATS_LAG_SECONDS``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            """SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables
               WHERE relname = 'django_session'"""
        )
        return int(cursor.fetchone()[0])


def session_table() -> str:
    """A digest of every session row as it is now: exact at once, where the statistics lag (a
    cookie run's last stamp could otherwise be counted in the token run after it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*), md5(coalesce(string_agg(session_key || session_data
                                                        || expire_date::text, ','
                                                        ORDER BY session_key), ''))
               FROM django_session"""
        )
        return str(cursor.fetchone())


def load(port: int, path: str, headers: dict[str, str], seconds: float, clients: int) -> int:
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
            done[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    # docker-compose's web service: gunicorn with WEB_CONCURRENCY (3 by default) sync workers.
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=1, help="gunicorn --threads (1: sync workers)"
    )
    parser.add_argument(
        "--students", type=int, default=int(os.environ.get("BENCH_STUDENTS", "300000"))
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", DEFAULT_SEED)))
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="use the database as it is (any students and open cases), no seed_province",
    )
    args = parser.parse_args()
    if not args.as_is:
        ensure_province(os.environ["DATABASE_URL"], args.students, args.seed)

    user, county = bench_user()
    _token, key = token_create(actor=user, name="bench api load", days=30)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.lists_settings", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "mhcare.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={args.workers}",
            f"--threads={args.threads}",
            "--chdir",
            str(ROOT),
            "--log-level=warning",
        ],
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        token = {"Authorization": f"Token {key}"}
        cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}
        probes = {
            "API (token)": ("/api/v1/students/", token),
            BARE: (f"/bench/bare-students/?county={county.pk}", token),
            NARROW: (f"/bench/bare-students-narrow/?county={county.pk}", token),
            COOKIE: ("/api/v1/students/", cookie),
        }
        same_page(port, probes["API (token)"], probes[BARE])
        started = time.monotonic()
        for path, headers in probes.values():  # warm up; the first cookie request stamps it
            load(port, path, headers, 1.0, 2)
        rates: dict[str, list[float]] = {label: [] for label in probes}
        writes: dict[str, int] = dict.fromkeys(probes, 0)
        cpu: dict[str, list[list[float]]] = {label: [] for label in probes}
        time.sleep(STATS_LAG_SECONDS)  # the warm-up's stamp counted before the runs start
        all_before = session_writes()
        for _ in range(args.runs):
            for label, (path, headers) in probes.items():
                with_token = label != COOKIE
                before = session_table() if with_token else ""
                cpu_before = cpu_seconds(server.pid)
                served = load(port, path, headers, args.seconds, args.clients)
                spent = [b - a for a, b in zip(cpu_before, cpu_seconds(server.pid), strict=True)]
                cpu[label].append([1000 * x / served for x in spent])
                if with_token:  # every session row as it was: 0, else 1 (a failure)
                    writes[label] += int(session_table() != before)
                rates[label].append(served / args.seconds)
        # The cookie runs' writes, from the statistics once all have landed (a token run that
        # wrote would be counted here too: the bench fails on it anyway).
        time.sleep(STATS_LAG_SECONDS)
        writes[COOKIE] = session_writes() - all_before
        # The cookie session's stamp may be rewritten once per interval (the first stamp, in the
        # warm-up, is not counted): the write the idle timeout needs, never one per request. The
        # requests of the one session that are in flight when an interval ends all read the old
        # stamp, so each of them (at most one per gunicorn worker and thread) may write it.
        in_flight = min(args.clients, args.workers * args.threads)
        stamp_writes = in_flight * math.ceil(
            (time.monotonic() - started) / settings.SESSION_ACTIVITY_WRITE_SECONDS
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    figures: dict[str, float] = {}
    for label, values in rates.items():
        low, med = min(values), statistics.median(values)
        gunicorn, postgres = (statistics.median(run[i] for run in cpu[label]) for i in (0, 1))
        print(
            f"{label:22s} min {low:7.1f} req/s  median {med:7.1f} req/s"
            f"  session writes {writes[label]}"
            f"  CPU a request: gunicorn {gunicorn:.2f} ms, PostgreSQL {postgres:.2f} ms"
        )
        figures[f"{label} req/s (median)"] = round(med, 1)
        figures[f"{label} session writes"] = writes[label]
        figures[f"{label} CPU ms/request (gunicorn + PostgreSQL)"] = round(gunicorn + postgres, 2)
    bare = statistics.median(rates[BARE])
    ratio = round(statistics.median(rates["API (token)"]) / bare, 2)
    cookie_ratio = round(statistics.median(rates[COOKIE]) / bare, 2)
    narrow_ratio = round(
        statistics.median(rates["API (token)"]) / statistics.median(rates[NARROW]), 2
    )
    print(
        f"ratio API/bare (token): {ratio}; API with a session cookie/bare: {cookie_ratio};"
        f" API/narrow bare view (the baseline until 2026-12-07, writes less): {narrow_ratio}"
    )
    figures["ratio API (session cookie)/bare"] = cookie_ratio
    figures["ratio API/narrow bare view"] = narrow_ratio
    token_writes = writes["API (token)"] + writes["bare view (token)"]
    cookie_writes = writes[COOKIE]
    print(
        f"session writes: {token_writes} with a token (0 allowed), {cookie_writes} with a cookie"
        f" ({stamp_writes} allowed: one per {settings.SESSION_ACTIVITY_WRITE_SECONDS} s of bench"
        f" per request in flight when it ends)"
    )
    ok = ratio >= 0.5 and token_writes == 0 and cookie_writes <= stamp_writes
    print(
        "RESULT "
        + json.dumps(
            {
                "bench": "students_api_load",
                "figures": figures,
                "ratio": ratio,
                "target": "API >= 0.5x bare view req/s; no session write per request",
                "ok": ok,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
