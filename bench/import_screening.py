"""Benchmark of the screening results import against a COPY of the same rows.

    DATABASE_URL=postgres://… .venv/bin/python bench/import_screening.py [--rows 250000 | --full]
        [--runs 2] [--no-floor]

Creates (once, deterministically, with COPY) a bench county with schools, classes and students,
a PHQ-9 campaign and a county-center user; writes a CSV of N rows; then:

1. a raw ``COPY`` of the same rows, already in table format, into a bare copy of the results
   table (no index, no constraint), for reference;
2. ``--runs`` times, alternating: the goal's floor — a ``COPY`` into a copy of the table with only
   what the domain needs (primary key, the unique key ``result_once_per_campaign``,
   the student's deferred foreign key) — and the full import (parse CSV + validate + COPY staging
   + set-based checks and scoring + one ``INSERT … SELECT … ON CONFLICT`` + proposals + audit +
   the alerts' outbox rows; the alerts worker's task that sends them is timed apart) in a child
   process, so that its peak memory (``VmHWM``) is the import's alone;
3. (unless ``--no-floor``) a ``COPY`` into a full copy of the results table — its indexes and
   foreign keys — for reference.

Every COPY is timed with its COMMIT. The last line is ``RESULT {json}`` (bench/harness.py): ratio
= median floor ÷ median import (goal ≥ 0.5 at 1 M rows), peak memory (goal ≤ 500 MB). See
bench/README.md. Re-runnable: the bench campaign's results are deleted before each import.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.harness import print_result  # noqa: E402
from mhcare.accounts.models import Role, RoleAssignment, User  # noqa: E402
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass, SchoolStage, SchoolYear  # noqa: E402
from screening.models import (  # noqa: E402
    Campaign,
    CampaignInstrument,
    ImportJob,
    Instrument,
)

STUDENTS_PER_SCHOOL = 10_000
# `make bench` runs the default (about a minute a run); --full is the goal's 1 M rows.
DEFAULT_ROWS = 250_000
CLASSES_PER_SCHOOL = 20
PREFIX = "BENCH"
SEED = 20260901


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None, **extra: object) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, **extra)
        unit.save()
    return unit


def ensure_world(rows: int) -> tuple[OrgUnit, Campaign, Instrument, User]:
    """The bench county, its schools, classes and ``rows`` students (created with COPY)."""
    province = OrgUnit.objects.filter(kind=OrgKind.PROVINCE).first() or _unit(
        "99", "基准省", OrgKind.PROVINCE, None
    )
    city = _unit("BENCHC", "基准市", OrgKind.CITY, province)
    county = _unit("BENCHX", "基准县", OrgKind.COUNTY, city)
    year, _ = SchoolYear.objects.get_or_create(
        name="2026-2027",
        defaults={"start": datetime.date(2026, 9, 1), "end": datetime.date(2027, 8, 31)},
    )
    schools = -(-rows // STUDENTS_PER_SCHOOL)
    have = set(OrgUnit.objects.filter(parent=county).values_list("code", flat=True))
    for s in range(schools):
        code = f"BENCHS{s:04d}"
        if code not in have:
            school = _unit(code, f"基准学校{s}", OrgKind.SCHOOL, county, stage=SchoolStage.JUNIOR)
            SchoolClass.objects.bulk_create(
                SchoolClass(
                    school=school, school_year=year, grade=4 + c % 9, name=f"{4 + c % 9}年级{c}班"
                )
                for c in range(CLASSES_PER_SCHOOL)
            )
    existing = _count(f"SELECT count(*) FROM orgs_student WHERE student_number LIKE '{PREFIX}%%'")
    if existing < rows:
        _copy_students(county, year, rows)
    instrument = Instrument.objects.latest_of("PHQ-9")
    campaign = Campaign.objects.filter(name="BENCH import", org_unit=county).first()
    if campaign is None:
        campaign = Campaign.objects.create(
            name="BENCH import",
            school_year=year,
            org_unit=county,
            window_start=datetime.date(2026, 1, 1),
            window_end=datetime.date(2026, 12, 31),
        )
        CampaignInstrument.objects.create(
            campaign=campaign, instrument=instrument, grade_min=4, grade_max=12
        )
    user, created = User.objects.get_or_create(username="bench_center")
    if created:
        RoleAssignment.objects.create(user=user, role=Role.COUNTY_CENTER, org_unit=county)
    return county, campaign, instrument, user


def _count(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def _copy_students(county: OrgUnit, year: SchoolYear, rows: int) -> None:
    """Students 0..rows-1 (numbers ``BENCH000000000001``…), spread over the schools' classes;
    missing ones only (re-runnable)."""
    classes: dict[str, list[int]] = {}
    for klass_id, school_code, _school_id in SchoolClass.objects.filter(
        school__parent=county
    ).values_list("id", "school__code", "school_id"):
        classes.setdefault(school_code, []).append(klass_id)
    school_ids = dict(OrgUnit.objects.filter(parent=county).values_list("code", "id"))
    now = "2026-09-01 00:00:00+00"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_students (LIKE orgs_student INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cursor.execute("ALTER TABLE bench_students DROP COLUMN id")
        columns = (
            "school_id, county_id, klass_id, name, gender, birth_date, student_number, status, "
            "disadvantages, created_at, updated_at, left_reason"
        )
        with cursor.cursor.copy(f"COPY bench_students ({columns}) FROM STDIN") as copy:
            buffer = []
            for n in range(rows):
                school_code = f"BENCHS{n // STUDENTS_PER_SCHOOL:04d}"
                klass = classes[school_code][n % CLASSES_PER_SCHOOL]
                buffer.append(
                    f"{school_ids[school_code]}\t{county.pk}\t{klass}\t学生{n}\tF\t2012-05-01\t"
                    f"{PREFIX}{n:012d}\tenrolled\t{{}}\t{now}\t{now}\t\n"
                )
                if len(buffer) >= 50_000:
                    copy.write("".join(buffer))
                    buffer = []
            copy.write("".join(buffer))
        cursor.execute(
            f"INSERT INTO orgs_student ({columns}) SELECT {columns} FROM bench_students "
            "ON CONFLICT (student_number) DO NOTHING"
        )


def answers_for(n: int, rng: random.Random) -> list[int]:
    # Mostly low answers, like a real school; item 9 rarely positive.
    answers = [min(3, int(rng.expovariate(1.6))) for _ in range(8)]
    answers.append(1 if rng.random() < 0.03 else 0)
    return answers


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(SEED)
    header = ["学籍号 Student number", "姓名 Name"] + [f"第{i}题 Item {i}" for i in range(1, 10)]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write(",".join(header) + "\n")
        for n in range(rows):
            answers = answers_for(n, rng)
            handle.write(f"{PREFIX}{n:012d},学生{n},{','.join(map(str, answers))}\n")


def clear_results(campaign: Campaign) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for table, column in (
            ("screening_riskproposal", "source_result_id"),
            ("screening_criticalalertpending", "result_id"),
        ):
            cursor.execute(
                f"DELETE FROM {table} WHERE {column} IN "  # noqa: S608 - our own table names
                "(SELECT id FROM screening_screeningresult WHERE campaign_id = %s)",
                [campaign.pk],
            )
        cursor.execute(
            "DELETE FROM screening_screeningresult WHERE campaign_id = %s", [campaign.pk]
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE screening_screeningresult")


def run_import_child(path: Path) -> dict[str, float]:
    """Child process: the full import of ``path``; prints its timing and peak memory."""
    county, campaign, instrument, user = ensure_world(0)
    from mhcare.celery import app as celery_app
    from screening import alerts
    from screening.imports import services
    from screening.models import CriticalAlertPending

    # In production the critical results' alerts are sent by the alerts worker (a process of its
    # own) from the outbox the import fills: here an in-memory broker takes the task queued at
    # COMMIT, and the outbox is sent after the import, timed apart.
    celery_app.conf.update(broker_url="memory://", task_always_eager=False)
    content = path.read_bytes()
    started = time.perf_counter()
    job = services.import_job_create(
        actor=user,
        campaign=campaign,
        instrument=instrument,
        unit=county,
        filename=path.name,
        content=content,
        enqueue=False,
    )
    del content
    job = services.import_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    if job.status != "done":
        raise SystemExit(f"import failed: {job.errors[:5]}")
    ImportJob.objects.filter(pk=job.pk).update(content=b"")
    critical = CriticalAlertPending.objects.count()
    started = time.perf_counter()
    alerts.alert_pending()
    alert_seconds = time.perf_counter() - started
    return {
        "seconds": elapsed,
        "critical": critical,
        "alert_seconds": alert_seconds,
        "rows": job.total_rows,
        "stored": job.inserted_rows,
        "maxrss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` (Linux), which starts afresh at ``exec``. (``ru_maxrss``
    of a spawned child also counts the parent's peak before the ``exec``.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_text(campaign: Campaign, instrument: Instrument, user: User, rows: int) -> str:
    """The same rows as the CSV, already in the results table's COPY format (not timed)."""
    students = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT student_number, id, school_id, county_id FROM orgs_student "
            "WHERE student_number LIKE %s",
            [f"{PREFIX}%"],
        )
        for number, pk, school_id, county_id in cursor.fetchall():
            students[number] = (pk, school_id, county_id)
    rng = random.Random(SEED)
    buffer = io.StringIO()
    for n in range(rows):
        answers = answers_for(n, rng)
        pk, school_id, county_id = students[f"{PREFIX}{n:012d}"]
        total = sum(answers)
        buffer.write(
            f"{n + 1}\t{pk}\t{school_id}\t{county_id}\t{instrument.pk}\t{campaign.pk}\timport\t"
            f"{{{','.join(map(str, answers))}}}\t{{}}\t{total}\tmild\t"
            f"{'t' if answers[8] else 'f'}\t{user.pk}\t2026-09-01\t2026-09-01 00:00:00+00\n"
        )
    return buffer.getvalue()


COLUMNS = (
    "id, student_id, school_id, county_id, instrument_id, campaign_id, source, answers, "
    "scores, total, band, is_critical, entered_by_id, administered_on, created_at"
)
BARE = "CREATE TABLE bench_raw (LIKE screening_screeningresult INCLUDING DEFAULTS)"
TEMP = "CREATE TEMP TABLE bench_raw (LIKE screening_screeningresult INCLUDING DEFAULTS)"
FULL = "CREATE TABLE bench_raw (LIKE screening_screeningresult INCLUDING ALL)"
# The copy of the table with only what the domain needs: the primary key, one result per student
# and instrument in a campaign (the real unique constraint ``result_once_per_campaign``, its
# definition read from the catalog) and the student's foreign key (added from the catalog,
# deferred as in the real table).
DOMAIN = (
    "CREATE TABLE bench_raw (LIKE screening_screeningresult INCLUDING DEFAULTS);"
    "ALTER TABLE bench_raw ADD PRIMARY KEY (id)"
)


def _constraints(kind: str, name: str | None = None) -> list[str]:
    """The definitions of the results table's constraints of ``kind`` ('f': foreign keys, 'u':
    unique), or of the one named ``name``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'screening_screeningresult'::regclass AND contype = %s "
            "AND (%s::text IS NULL OR conname = %s) ORDER BY conname",
            [kind, name, name],
        )
        return [row[0] for row in cursor.fetchall()]


def _domain_keys() -> list[str]:
    unique = _constraints("u", "result_once_per_campaign")
    if not unique:
        raise SystemExit("the results table has no unique constraint result_once_per_campaign")
    return unique + _constraints("f")


def raw_copy(text: str, rows: int, create: str, keys: list[str] | None = None) -> float:
    """Seconds for one COPY of ``text`` into a new table ``bench_raw`` (made by ``create``,
    then given the constraints ``keys``: definitions from ``_constraints``), its COMMIT included
    (the import's commits are in its time too); the table is dropped afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        for statement in create.split(";"):
            cursor.execute(statement)
        for definition in keys or []:
            cursor.execute(f"ALTER TABLE bench_raw ADD {definition}")
    try:
        started = time.perf_counter()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY bench_raw ({COLUMNS}) FROM STDIN") as copy,
        ):
            for start in range(0, len(text), 1 << 20):
                copy.write(text[start : start + (1 << 20)])
        elapsed = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_raw")
            if cursor.fetchone()[0] != rows:
                raise SystemExit("raw COPY lost rows")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_raw")
    return elapsed


def _table_shape() -> tuple[int, int]:
    """(indexes, foreign keys) of the results table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_index WHERE indrelid = t.oid), "
            "(SELECT count(*) FROM pg_constraint WHERE conrelid = t.oid AND contype = 'f') "
            "FROM pg_class t WHERE t.oid = 'screening_screeningresult'::regclass"
        )
        indexes, keys = cursor.fetchone()
    return int(indexes), int(keys)


def _postgres_version() -> str:
    """The server's version and the settings that move a bulk write (README "PostgreSQL for a
    province"): an import's figures mean little without them."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = str(cursor.fetchone()[0]).split()[0]
        shown = []
        for name in ("shared_buffers", "max_wal_size", "wal_compression"):
            cursor.execute(f"SHOW {name}")
            shown.append(f"{name} {cursor.fetchone()[0]}")
    return f"{version} ({', '.join(shown)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument(
        "--full", action="store_true", help="1 000 000 rows (the goal's size; --rows otherwise)"
    )
    parser.add_argument("--runs", type=int, default=2, help="alternating runs of import and floor")
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="skip the COPY into a full copy of the table (its indexes and foreign keys)",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_import_child(args.child)))  # noqa: T201
        return
    rows = 1_000_000 if args.full else args.rows
    print(  # noqa: T201
        f"machine: {os.cpu_count()} CPUs, {_ram_gb():.1f} GB RAM, PostgreSQL {_postgres_version()}"
    )
    started = time.perf_counter()
    county, campaign, instrument, user = ensure_world(rows)
    print(f"world ready in {time.perf_counter() - started:.1f} s")  # noqa: T201
    clear_results(campaign)
    text = copy_text(campaign, instrument, user, rows)
    bare_seconds = raw_copy(text, rows, BARE)
    imports: list[float] = []
    floors: list[float] = []
    peaks: list[float] = []
    stored = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench-{rows}.csv"
        write_csv(path, rows)
        size_mb = path.stat().st_size / 2**20
        for run in range(args.runs):
            floors.append(raw_copy(text, rows, DOMAIN, _domain_keys()))
            clear_results(campaign)
            child = subprocess.run(  # noqa: S603 - our own script, no shell
                [sys.executable, __file__, "--child", str(path)],
                check=True,
                capture_output=True,
                text=True,
                env=os.environ,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
            imports.append(result["seconds"])
            peaks.append(result["maxrss_mb"])
            stored = result["stored"]
            print(  # noqa: T201
                f"run {run + 1}: import {result['seconds']:.2f} s (stored {stored:,}, peak "
                f"{result['maxrss_mb']:.0f} MB); COPY into the domain copy {floors[-1]:.2f} s; "
                f"then the alerts worker's task for its {result['critical']:,} critical results "
                f"{result['alert_seconds']:.2f} s"
            )
    indexes, keys = _table_shape()
    full_seconds = None if args.no_floor else raw_copy(text, rows, FULL, _constraints("f"))
    del text
    ratio = statistics.median(floors) / statistics.median(imports)
    peak = max(peaks)
    lines = [
        f"rows: {rows:,} (CSV {size_mb:.1f} MB)",
        f"import min / median: {min(imports):.2f} / {statistics.median(imports):.2f} s "
        f"({rows / statistics.median(imports):,.0f} rows/s)",
        f"COPY into a copy with the primary key, result_once_per_campaign and the student key: "
        f"min / median {min(floors):.2f} / {statistics.median(floors):.2f} s",
        f"raw COPY into a bare copy (no index, no constraint): {bare_seconds:.2f} s",
    ]
    if full_seconds is not None:
        lines.append(
            f"COPY into a full copy of the table (its {indexes} indexes and {keys} foreign "
            f"key{'s' if keys != 1 else ''}): {full_seconds:.2f} s"
        )
    lines.append(f"ratio import / domain COPY (medians): {ratio:.2f} (goal ≥ 0.5)")
    lines.append(f"peak memory of the import process: {peak:.0f} MB (goal ≤ 500 MB)")
    print("\n".join(lines))  # noqa: T201
    figures: dict[str, object] = {
        "rows": rows,
        "import min (s)": round(min(imports), 2),
        "import median (s)": round(statistics.median(imports), 2),
        "domain COPY min (s)": round(min(floors), 2),
        "domain COPY median (s)": round(statistics.median(floors), 2),
        "bare COPY (s)": round(bare_seconds, 2),
        "indexes on the table": indexes,
        "peak memory (MB)": round(peak),
    }
    if full_seconds is not None:
        figures["full-copy COPY (s)"] = round(full_seconds, 2)
    print_result(
        "import_screening",
        figures,
        ratio=round(ratio, 2),
        target="≥ 0.5× COPY into a copy with the domain's keys only; peak ≤ 500 MB",
        ok=ratio >= 0.5 and peak <= 500 and stored == rows,
    )


def _ram_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


if __name__ == "__main__":
    main()
