"""Bench 3: a student's page (一生一策 growth file) on province data: query count and server time,
for a student with the generator's history and for one whose history is grown 20-fold.

    DATABASE_URL=postgres://…/<a bench db> .venv/bin/python bench/growth_file.py [--runs 7]

Through the Django test client with the real middleware, as the county center of bench/lists.py;
each timed request alternates with one whose queries are captured (count, SQL time), untimed.
Two students with an open case in that county: the first as generated, the second with every
row of its history copied 20 times (``tests.perf.history.multiply_history``, once). Target:
the same number of queries for both, and the typical page < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Its own settings whatever the caller set (bench/run_all.py passes the local settings).
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.lists_settings"

import django  # noqa: E402

from bench.harness import DEFAULT_SEED, ensure_province  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.lists import bench_user  # noqa: E402
from crisis.models import Case, FollowUp  # noqa: E402
from tests.perf.history import multiply_history  # noqa: E402

GROWTH = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
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
    typical, grown = Case.objects.filter(county=county).exclude(status="closed").order_by("id")[:2]
    if FollowUp.objects.filter(student_id=grown.student_id).count() < 10:
        print("grown history:", multiply_history(grown.student_id, GROWTH))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(user)
    figures: dict[str, float] = {}
    counts: dict[str, int] = {}
    for label, case in (("typical", typical), ("history x20", grown)):
        url = f"/students/{case.student_id}/"
        if client.get(url).status_code != 200:
            raise SystemExit(f"{url}: not 200")
        times, sql_times = [], []
        for _ in range(args.runs):
            # Timed as a deployed server serves it, the queries counted in a request of their
            # own (the capture's debug cursor costs under 1 ms on this page, cProfile: 0.8 ms
            # for its statements — the time measured is the page's, not the instrument's).
            t0 = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
            with CaptureQueriesContext(connection) as ctx:
                counted = client.get(url)
            if response.status_code != 200 or counted.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code} / {counted.status_code}")
            counts[label] = len(ctx.captured_queries)
            sql_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        low, med = min(times), statistics.median(times)
        sql_med = statistics.median(sql_times)
        print(
            f"{label:12s} queries {counts[label]:3d}  min {low:7.1f} ms  median {med:7.1f} ms"
            f"  (of which SQL round trips {sql_med:.1f} ms)"
        )
        figures[f"{label} SQL ms (median)"] = round(sql_med, 1)
        figures[f"{label} queries"] = counts[label]
        figures[f"{label} ms (median)"] = round(med, 1)
        figures[f"{label} ms (min)"] = round(low, 1)
    ratio = round(counts["history x20"] / counts["typical"], 2)
    ok = ratio == 1 and figures["typical ms (median)"] < 100
    print(f"ratio of query counts (x20 / typical): {ratio}")
    print(
        "RESULT "
        + json.dumps(
            {
                "bench": "growth_file",
                "figures": figures,
                "ratio": ratio,
                "target": "same queries whatever the history; typical page < 100 ms",
                "ok": ok,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
