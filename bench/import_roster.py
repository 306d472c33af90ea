"""Benchmark of the roster import (``import_roster``'s path: read, check, store) against a raw COPY
of the same rows.

    DATABASE_URL=postgres://… .venv/bin/python bench/import_roster.py [--rows 100000] [--xlsx]

Creates (once) a bench school ``BENCHR0001`` under the bench county; writes a roster file of N
students, each with a guardian, in classes of 50 (CSV, or .xlsx with ``--xlsx``); then, in one
run:

1. a raw ``COPY`` of the same students and guardians, already in table format, into bare copies
   of ``orgs_student`` and ``orgs_guardian`` (``LIKE … INCLUDING DEFAULTS``: no index, no
   constraint), timed with its COMMIT — the physical baseline;
2. the import — ``importers.parse_roster`` + ``services.roster_import`` — in a child process,
   so that its peak memory (``VmHWM``) is the import's alone; the school's bench students,
   guardians and classes are deleted first, so every row is created.

Prints both times, their ratio, the import's peak memory, and checks that the count stored
equals the rows in the file. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
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

from mhcare.orgs.models import Guardian, OrgKind, OrgUnit, SchoolClass, SchoolYear, Student  # noqa: E402

TODAY = datetime.date(2026, 10, 1)
SCHOOL = "BENCHR0001"
PREFIX = "BR"
PER_CLASS = 50
HEADER = [
    "班级",
    "年级",
    "学籍号",
    "姓名",
    "性别",
    "出生日期",
    "监护人姓名",
    "监护人关系",
    "监护人电话",
]


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit(code=code, name=name, kind=kind, parent=parent)
        unit.save()
    return unit


def ensure_school() -> OrgUnit:
    province = OrgUnit.objects.filter(kind=OrgKind.PROVINCE).first() or _unit(
        "99", "基准省", OrgKind.PROVINCE, None
    )
    city = _unit("BENCHC", "基准市", OrgKind.CITY, province)
    county = _unit("BENCHX", "基准县", OrgKind.COUNTY, city)
    SchoolYear.objects.get_or_create(
        name="2026-2027",
        defaults={"start": datetime.date(2026, 9, 1), "end": datetime.date(2027, 8, 31)},
    )
    return _unit(SCHOOL, "基准名册学校", OrgKind.SCHOOL, county)


def roster_rows(rows: int) -> list[list[str]]:
    out = []
    for n in range(rows):
        grade = 7 + n % 3
        out.append(
            [
                f"{grade}年级{n // PER_CLASS}班",
                str(grade),
                f"{PREFIX}{n:016d}",
                f"学生{n}",
                "男" if n % 2 else "女",
                f"{2013 - n % 3}-0{1 + n % 9}-1{n % 10}",
                f"家长{n}",
                "母亲",
                f"138{n:08d}",
            ]
        )
    return out


def write_file(path: Path, rows: list[list[str]], xlsx: bool) -> None:
    if not xlsx:
        buffer = io.StringIO()
        import csv

        writer = csv.writer(buffer)
        writer.writerow(HEADER)
        writer.writerows(rows)
        path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
        return
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("学生")
    sheet.append(HEADER)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
    book.save(str(path))


def clear(school: OrgUnit) -> None:
    with transaction.atomic():
        Guardian.objects.filter(school=school).delete()
        Student.objects.filter(school=school).delete()
        SchoolClass.objects.filter(school=school).delete()


def _peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(path: Path) -> None:
    from mhcare.orgs import importers, services

    school = ensure_school()
    started = time.perf_counter()
    parsed, errors = importers.parse_roster(path.read_bytes(), path.name)
    parse_seconds = time.perf_counter() - started
    if errors:
        raise SystemExit(f"parse errors: {[e.message for e in errors[:5]]}")
    result = services.roster_import(actor=None, school=school, rows=parsed, today=TODAY)
    elapsed = time.perf_counter() - started
    if result.errors:
        raise SystemExit(f"import errors: {[e.message for e in result.errors[:5]]}")
    print(  # noqa: T201
        json.dumps(
            {
                "seconds": elapsed,
                "parse_seconds": parse_seconds,
                "created": result.created,
                "maxrss_mb": _peak_rss_mb(),
            }
        )
    )


def raw_copy(school: OrgUnit, rows: list[list[str]]) -> float:
    """Seconds to COPY the same students and guardians, in table format, into bare tables."""
    county_id = school.parent_id
    now = "2026-10-01 00:00:00+00"
    students = io.StringIO()
    guardians = io.StringIO()
    for n, row in enumerate(rows, start=1):
        students.write(
            f"{n}\t{school.pk}\t{county_id}\t{1 + n // PER_CLASS}\t{row[3]}\t"
            f"{'M' if row[4] == '男' else 'F'}\t{row[5]}\t{row[2]}\tenrolled\t{{}}\t{now}\t{now}\n"
        )
        guardians.write(f"{n}\t{n}\t{school.pk}\t{row[6]}\tmother\t{row[8]}\tt\n")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_s, bench_raw_g")
        cursor.execute("CREATE TABLE bench_raw_s (LIKE orgs_student INCLUDING DEFAULTS)")
        cursor.execute("CREATE TABLE bench_raw_g (LIKE orgs_guardian INCLUDING DEFAULTS)")
    student_columns = (
        "id, school_id, county_id, klass_id, name, gender, birth_date, student_number, status, "
        "disadvantages, created_at, updated_at"
    )
    guardian_columns = "id, student_id, school_id, name, relation, phone, is_primary"
    try:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for table, columns, text in (
                ("bench_raw_s", student_columns, students.getvalue()),
                ("bench_raw_g", guardian_columns, guardians.getvalue()),
            ):
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for start in range(0, len(text), 1 << 20):
                        copy.write(text[start : start + (1 << 20)])
        return time.perf_counter() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_raw_s, bench_raw_g")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--child", type=Path)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    school = ensure_school()
    rows = roster_rows(options.rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("roster.xlsx" if options.xlsx else "roster.csv")
        write_file(path, rows, options.xlsx)
        size_mb = path.stat().st_size / 2**20
        baseline = raw_copy(school, rows)
        clear(school)
        done = subprocess.run(  # noqa: S603 - this script, by our own interpreter
            [sys.executable, __file__, "--child", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    stored = Student.objects.filter(school=school, student_number__startswith=PREFIX).count()
    guardians = Guardian.objects.filter(school=school).count()
    print(f"file: {path.name}, {options.rows} students, {size_mb:.1f} MB")  # noqa: T201
    print(f"raw COPY (students + guardians, bare tables): {baseline:.2f} s")  # noqa: T201
    print(  # noqa: T201
        f"import: {figures['seconds']:.2f} s (reading + checking {figures['parse_seconds']:.2f} s)"
        f", peak memory {figures['maxrss_mb']:.0f} MB, created {figures['created']}"
    )
    print(f"ratio import / raw COPY: {figures['seconds'] / baseline:.1f}")  # noqa: T201
    print(f"stored: {stored} students, {guardians} guardians")  # noqa: T201
    if stored != options.rows or guardians != options.rows:
        raise SystemExit("the count stored differs from the rows in the file")


if __name__ == "__main__":
    main()
