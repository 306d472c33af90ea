"""Does declarative partitioning of the screening results by school year pay (issue 14)?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mhcare_bench_part \\
        .venv/bin/python bench/partitioning.py [--rows 2000000] [--years 4] [--runs 3]

On a migrated bench database, builds two tables shaped like ``screening_screeningresult`` (its
columns, ``LIKE … INCLUDING DEFAULTS``, and its indexes and unique key) holding the same rows —
one screening per student per school year, ``--years`` school years, 1 000 schools in 90
counties: ``bench_part_plain`` (one table, as today) and ``bench_part_parted`` (``PARTITION BY
RANGE (administered_on)``, one partition per school year 1 Sep – 31 Aug; the primary key and the
unique key then have to include ``administered_on``). Then, alternating between the two, ``--runs``
times each:

- indicator, province: screened students per county in the current school year;
- indicator, county: screened students per school of one county in the current school year;
- list: a school's newest 50 results (the results list's first page);
- student history: one student's results over the years (the student page);
- import: 100 000 new rows of the current year (INSERT … SELECT, rolled back);
- drop a year: the oldest school year's rows (DELETE on the plain table, DROP TABLE of the
  partition; both rolled back).

Prints min / median of each and the ratio partitioned / plain, then ``RESULT {json}``. The two
tables are dropped at the end (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

FIRST_YEAR = 2022
SCHOOLS = 1000
COUNTIES = 90
PLAIN = "bench_part_plain"
PARTED = "bench_part_parted"
INDEXES = (
    "(student_id, administered_on DESC)",
    "(school_id, administered_on)",
    "(county_id, administered_on)",
    "(campaign_id, school_id)",
)


def execute(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def year_bounds(year: int) -> tuple[str, str]:
    return f"{year}-09-01", f"{year + 1}-09-01"


def rows_sql(table: str, first_id: int, count: int, years: int, student_offset: int = 0) -> str:
    """``count`` results from id ``first_id``: row i is school year FIRST_YEAR + i % years,
    student i / years (one screening per student and year), October of that year."""
    return f"""
    INSERT INTO {table} (id, student_id, school_id, county_id, instrument_id, campaign_id, source,
                         answers, scores, total, band, is_critical, entered_by_id,
                         administered_on, created_at)
    SELECT i, s, 1 + s % {SCHOOLS}, 1 + (s % {SCHOOLS}) % {COUNTIES}, 1,
           y * 1000 + 1 + (s % {SCHOOLS}) % {COUNTIES}, 'import', '{{}}', '{{}}', i % 27,
           'minimal', i % 33 = 0, NULL, make_date(y, 10, 1) + (i % 60), now()
    FROM (SELECT i, {student_offset} + i / {years} AS s, {FIRST_YEAR} + i % {years} AS y
          FROM generate_series({first_id}, {first_id + count - 1}) AS i) AS g
    """  # noqa: S608 - the bench's own tables and integers


def build(rows: int, years: int) -> dict[str, float]:
    execute(f"DROP TABLE IF EXISTS {PLAIN}, {PARTED} CASCADE")
    execute(f"CREATE TABLE {PLAIN} (LIKE screening_screeningresult INCLUDING DEFAULTS)")
    execute(f"ALTER TABLE {PLAIN} ADD PRIMARY KEY (id)")
    execute(f"CREATE UNIQUE INDEX ON {PLAIN} (campaign_id, student_id, instrument_id)")
    execute(
        f"CREATE TABLE {PARTED} (LIKE screening_screeningresult INCLUDING DEFAULTS) "
        "PARTITION BY RANGE (administered_on)"
    )
    # A partitioned table's unique keys must hold the partition key.
    execute(f"ALTER TABLE {PARTED} ADD PRIMARY KEY (id, administered_on)")
    execute(
        f"CREATE UNIQUE INDEX ON {PARTED} (campaign_id, student_id, instrument_id, administered_on)"
    )
    for year in range(FIRST_YEAR, FIRST_YEAR + years + 1):  # and next year's, empty
        start, end = year_bounds(year)
        execute(
            f"CREATE TABLE {PARTED}_{year} PARTITION OF {PARTED} "
            f"FOR VALUES FROM ('{start}') TO ('{end}')"
        )
    for table in (PLAIN, PARTED):
        for columns in INDEXES:
            execute(f"CREATE INDEX ON {table} {columns}")
    load = {}
    for table in (PLAIN, PARTED):
        load[table] = timed(lambda t=table: execute(rows_sql(t, 1, rows, years)))
        execute(f"ANALYZE {table}")
    return load


def rolled_back(sql: str) -> Callable[[], object]:
    def run() -> None:
        execute("BEGIN")
        try:
            execute(sql)
        finally:
            execute("ROLLBACK")

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    connection.ensure_connection()
    connection.connection.autocommit = True
    print(f"partitioning: {args.rows:,} results over {args.years} school years", flush=True)
    load = build(args.rows, args.years)
    print(
        f"load: plain {load[PLAIN]:.1f} s, partitioned {load[PARTED]:.1f} s "
        f"(INSERT … SELECT of every row, indexes in place)",
        flush=True,
    )
    current = FIRST_YEAR + args.years - 1
    start, end = year_bounds(current)
    oldest_start, oldest_end = year_bounds(FIRST_YEAR)
    students = args.rows // args.years

    def queries(table: str) -> dict[str, Callable[[], object]]:
        return {
            "indicator, province": lambda: execute(
                f"SELECT county_id, count(DISTINCT student_id) FROM {table} "  # noqa: S608
                f"WHERE administered_on >= '{start}' AND administered_on < '{end}' "
                "GROUP BY county_id"
            ),
            "indicator, county": lambda: execute(
                f"SELECT school_id, count(DISTINCT student_id) FROM {table} "  # noqa: S608
                f"WHERE county_id = 7 AND administered_on >= '{start}' "
                f"AND administered_on < '{end}' GROUP BY school_id"
            ),
            "list, a school's newest 50": lambda: execute(
                f"SELECT * FROM {table} WHERE school_id = 17 "  # noqa: S608
                "ORDER BY administered_on DESC, id DESC LIMIT 50"
            ),
            "student history": lambda: execute(
                f"SELECT * FROM {table} WHERE student_id = {students // 2} "  # noqa: S608
                "ORDER BY administered_on DESC"
            ),
            "import 100k rows": rolled_back(
                rows_sql(table, args.rows + 1, 100_000, 1, student_offset=students * 10).replace(
                    f"{FIRST_YEAR} + i % 1", str(current)
                )
            ),
            "drop the oldest year": rolled_back(
                f"DELETE FROM {table} WHERE administered_on >= '{oldest_start}' "  # noqa: S608
                f"AND administered_on < '{oldest_end}'"
                if table == PLAIN
                else f"DROP TABLE {PARTED}_{FIRST_YEAR}"
            ),
        }

    plain, parted = queries(PLAIN), queries(PARTED)
    times: dict[str, dict[str, list[float]]] = {name: {PLAIN: [], PARTED: []} for name in plain}
    for _ in range(args.runs):
        for name in plain:
            times[name][PLAIN].append(timed(plain[name]))
            times[name][PARTED].append(timed(parted[name]))
    figures: dict[str, dict[str, float]] = {}
    print(f"\n{'':<28} {'plain min/median':>20} {'partitioned min/median':>24} {'ratio':>6}")
    for name, by in times.items():
        p_min, p_med = min(by[PLAIN]), statistics.median(by[PLAIN])
        q_min, q_med = min(by[PARTED]), statistics.median(by[PARTED])
        ratio = q_med / p_med if p_med else float("nan")
        figures[name] = {
            "plain_ms": round(p_med * 1000, 1),
            "partitioned_ms": round(q_med * 1000, 1),
            "ratio": round(ratio, 3),
        }
        print(
            f"{name:<28} {p_min * 1000:>9.1f}/{p_med * 1000:<9.1f} ms "
            f"{q_min * 1000:>11.1f}/{q_med * 1000:<9.1f} ms {ratio:>6.2f}"
        )
    if not args.keep:
        execute(f"DROP TABLE IF EXISTS {PLAIN}, {PARTED} CASCADE")
    queries_ratio = statistics.median(
        f["ratio"] for n, f in figures.items() if n not in {"drop the oldest year"}
    )
    result = {
        "bench": "partitioning",
        "figures": {
            "rows": args.rows,
            "years": args.years,
            "load_s": {"plain": round(load[PLAIN], 1), "partitioned": round(load[PARTED], 1)},
            **figures,
        },
        "ratio": round(queries_ratio, 3),
        # A measurement for a decision (README.md "Deployment at scale"), not a pass / fail.
        "target": "partitioned / plain, median of the query ratios (drop excluded)",
        "ok": True,
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
