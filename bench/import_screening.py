"""Benchmark of the screening results import against a raw COPY of the same rows.

    DATABASE_URL=postgres://… .venv/bin/python bench/import_screening.py [--rows 1000000]

Creates (once, deterministically, with COPY) a bench county with schools, classes and students,
a PHQ-9 campaign and a county-center user; writes a CSV of N rows; then, in one run:

1. the full import (parse CSV + validate + score + COPY staging + set-based checks + one
   ``INSERT … SELECT … ON CONFLICT`` + proposals + audit) — in a child process, so that its peak
   memory (``ru_maxrss``) is the import's alone;
2. a raw ``COPY`` of the same rows, already in table format, into a bare copy of the results
   table (``CREATE TEMP TABLE … (LIKE screening_screeningresult INCLUDING DEFAULTS)``).

Prints rows/s of both, their ratio (goal ≥ 0.5 at 1 M rows) and the peak memory (goal ≤ 500 MB).
Re-runnable: the bench campaign's results are deleted before each import.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import random
import resource
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

from mhcare.accounts.models import Role, RoleAssignment, User  # noqa: E402
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass, SchoolStage, SchoolYear  # noqa: E402
from screening.models import (  # noqa: E402
    Campaign,
    CampaignInstrument,
    ImportJob,
    Instrument,
)

STUDENTS_PER_SCHOOL = 10_000
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
            "disadvantages, created_at, updated_at"
        )
        with cursor.cursor.copy(f"COPY bench_students ({columns}) FROM STDIN") as copy:
            buffer = []
            for n in range(rows):
                school_code = f"BENCHS{n // STUDENTS_PER_SCHOOL:04d}"
                klass = classes[school_code][n % CLASSES_PER_SCHOOL]
                buffer.append(
                    f"{school_ids[school_code]}\t{county.pk}\t{klass}\t学生{n}\tF\t2012-05-01\t"
                    f"{PREFIX}{n:012d}\tenrolled\t{{}}\t{now}\t{now}\n"
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
        cursor.execute(
            "DELETE FROM screening_riskproposal WHERE source_result_id IN "
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
    from screening.imports import services

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
    return {
        "seconds": elapsed,
        "rows": job.total_rows,
        "stored": job.inserted_rows,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def raw_copy(campaign: Campaign, instrument: Instrument, user: User, rows: int) -> float:
    """Seconds for COPY of the same rows, in table format, into a bare copy of the table."""
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
    text = buffer.getvalue()
    del students, buffer
    columns = (
        "id, student_id, school_id, county_id, instrument_id, campaign_id, source, answers, "
        "scores, total, band, is_critical, entered_by_id, administered_on, created_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_raw (LIKE screening_screeningresult INCLUDING DEFAULTS) "
            "ON COMMIT DROP"
        )
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_raw ({columns}) FROM STDIN") as copy:
            for start in range(0, len(text), 1 << 20):
                copy.write(text[start : start + (1 << 20)])
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_raw")
        if cursor.fetchone()[0] != rows:
            raise SystemExit("raw COPY lost rows")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_import_child(args.child)))  # noqa: T201
        return
    print(f"machine: {os.cpu_count()} CPUs, {_ram_gb():.1f} GB RAM")  # noqa: T201
    started = time.perf_counter()
    county, campaign, instrument, user = ensure_world(args.rows)
    print(f"world ready in {time.perf_counter() - started:.1f} s")  # noqa: T201
    clear_results(campaign)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bench-{args.rows}.csv"
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 2**20
        child = subprocess.run(  # noqa: S603 - our own script, no shell
            [sys.executable, __file__, "--child", str(path)],
            check=True,
            capture_output=True,
            text=True,
            env=os.environ,
        )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    copy_seconds = raw_copy(campaign, instrument, user, args.rows)
    import_rate = result["rows"] / result["seconds"]
    copy_rate = args.rows / copy_seconds
    print(  # noqa: T201
        f"rows: {args.rows:,} (CSV {size_mb:.1f} MB)\n"
        f"import:   {result['seconds']:.2f} s  {import_rate:,.0f} rows/s "
        f"(stored {result['stored']:,})\n"
        f"raw COPY: {copy_seconds:.2f} s  {copy_rate:,.0f} rows/s\n"
        f"ratio import / COPY: {import_rate / copy_rate:.2f} (goal ≥ 0.5)\n"
        f"peak memory of the import process: {result['maxrss_mb']:.0f} MB (goal ≤ 500 MB)"
    )


def _ram_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


if __name__ == "__main__":
    main()
