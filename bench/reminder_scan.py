"""Benchmark of the crisis reminder scan over N open cases, beside the raw SQL that finds them.

    DATABASE_URL=postgres://… .venv/bin/python bench/reminder_scan.py [--cases 100000]

Creates (once, with COPY) a bench county of its own (``REMB…`` codes): schools with a psychology
teacher and a leader each, a county-center user, and N students each with an open case whose next
follow-up is spread over ``[today − 10, today + 90)`` days (so roughly one case in eight is due
soon or overdue, as in a school that keeps up). Then it times:

1. the raw SQL that finds the due cases (``SELECT … WHERE status <> 'closed' AND
   next_follow_up_due <= today + 2``);
2. the first scan of the day (every rule: ledger ``INSERT … ON CONFLICT … RETURNING``, the inbox
   notifications of the new reminders in one ``INSERT``, and their e-mail tasks published, one
   per 1 000 notifications (``notification_email_batch_task``; each e-mail is still delivered
   once, on its own) — to an in-process ``memory://`` broker, as the worker does the e-mailing);
3. the worker's part, sampled: delivering 2 000 of those e-mails (``notification_email_deliver``,
   locmem backend), per e-mail;
4. the same scan again (the hourly re-run: everything is already in the ledger, nothing is sent);
5. the physical floor: the raw SQL of 1. plus an ``INSERT … SELECT`` of exactly the ledger rows
   and notifications the scan wrote into copies of both tables (``LIKE … INCLUDING ALL`` and
   their foreign keys: the same indexes, unique keys and deferred checks), timed with its COMMIT.

Steps 1–2 and 5 are repeated ``--runs`` times, alternating (the bench's ledger rows and
notifications are deleted before each scan); the last line is ``RESULT {json}`` (ratio: median
scan ÷ median floor, target ≤ 2). Re-runnable.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")
# The e-mail of each notification is a task for the worker, as in production: the scan publishes
# it (to an in-process broker here) and the bench times the delivery separately.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.harness import print_result  # noqa: E402
from crisis.models import Case  # noqa: E402
from crisis.reminders import rules  # noqa: E402
from mhcare.accounts.models import Role, RoleAssignment, User  # noqa: E402
from mhcare.core.models import ReminderSent  # noqa: E402
from mhcare.core.reminders import services  # noqa: E402
from mhcare.notifications.models import Notification  # noqa: E402
from mhcare.notifications.services import notification_email_deliver  # noqa: E402
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass, SchoolStage, SchoolYear  # noqa: E402

STUDENTS_PER_SCHOOL = 5_000
EMAIL_SAMPLE = 2_000
PREFIX = "REMB"
DUE_SPREAD = (-10, 90)


def _unit(code: str, name: str, kind: str, parent: OrgUnit | None, **extra: object) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit(code=code, name=name, kind=kind, parent=parent, **extra)
        unit.save()
    return unit


def _user(username: str, role: str, unit: OrgUnit) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.org"}
    )
    if created:
        RoleAssignment.objects.create(user=user, role=role, org_unit=unit)
    return user


def _count(sql: str, params: list[object] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return int(cursor.fetchone()[0])


def ensure_world(cases: int, today: datetime.date) -> OrgUnit:
    province = OrgUnit.objects.filter(kind=OrgKind.PROVINCE).first() or _unit(
        "98", "基准省", OrgKind.PROVINCE, None
    )
    city = _unit(f"{PREFIX}C", "提醒基准市", OrgKind.CITY, province)
    county = _unit(f"{PREFIX}X", "提醒基准县", OrgKind.COUNTY, city)
    _user("remb_center", Role.COUNTY_CENTER, county)
    year, _ = SchoolYear.objects.get_or_create(
        name="2026-2027",
        defaults={"start": datetime.date(2026, 9, 1), "end": datetime.date(2027, 8, 31)},
    )
    for s in range(-(-cases // STUDENTS_PER_SCHOOL)):
        school = _unit(f"{PREFIX}S{s:04d}", f"提醒基准学校{s}", OrgKind.SCHOOL, county)
        if school.stage != SchoolStage.JUNIOR:
            OrgUnit.objects.filter(pk=school.pk).update(stage=SchoolStage.JUNIOR)
        SchoolClass.objects.get_or_create(
            school=school, school_year=year, name="八(1)班", defaults={"grade": 8}
        )
        _user(f"remb_psych_{s}", Role.PSYCH_TEACHER, school)
        _user(f"remb_leader_{s}", Role.SCHOOL_LEADER, school)
    have = _count("SELECT count(*) FROM crisis_case WHERE county_id = %s", [county.pk])
    if have < cases:
        _copy(county, year, cases, today)
    return county


def _copy(county: OrgUnit, year: SchoolYear, cases: int, today: datetime.date) -> None:
    """Students and one open case each, with COPY; missing ones only."""
    schools = dict(OrgUnit.objects.filter(parent=county).values_list("code", "id"))
    classes = dict(
        SchoolClass.objects.filter(school__parent=county).values_list("school__code", "id")
    )
    psych = dict(
        RoleAssignment.objects.filter(org_unit__parent=county, role=Role.PSYCH_TEACHER).values_list(
            "org_unit__code", "user_id"
        )
    )
    reason = Case._meta.get_field("open_reason").get_prep_value("bench")
    now = timezone.now().isoformat()
    low, high = DUE_SPREAD
    with transaction.atomic(), connection.cursor() as cursor:
        columns = (
            "school_id, county_id, klass_id, name, gender, birth_date, student_number, status, "
            "disadvantages, created_at, updated_at, left_reason"
        )
        cursor.execute(
            "CREATE TEMP TABLE remb_students (LIKE orgs_student INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cursor.execute("ALTER TABLE remb_students DROP COLUMN id")
        with cursor.cursor.copy(f"COPY remb_students ({columns}) FROM STDIN") as copy:
            for n in range(cases):
                code = f"{PREFIX}S{n // STUDENTS_PER_SCHOOL:04d}"
                copy.write(
                    f"{schools[code]}\t{county.pk}\t{classes[code]}\t学生{n}\tF\t2012-05-01\t"
                    f"{PREFIX}{n:012d}\tenrolled\t{{}}\t{now}\t{now}\t\n"
                )
        cursor.execute(
            f"INSERT INTO orgs_student ({columns}) SELECT {columns} FROM remb_students "
            "ON CONFLICT (student_number) DO NOTHING"
        )
        cursor.execute(
            "CREATE TEMP TABLE remb_cases (student_number text, school_code text, due date) "
            "ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY remb_cases FROM STDIN") as copy:
            for n in range(cases):
                due = today + datetime.timedelta(days=low + n * 7919 % (high - low))
                copy.write(f"{PREFIX}{n:012d}\t{PREFIX}S{n // STUDENTS_PER_SCHOOL:04d}\t{due}\n")
        cursor.execute(
            "INSERT INTO crisis_case (student_id, school_id, county_id, level, status, source, "
            "responsible_id, opened_on, open_reason, close_reason, level_confirmed_at, "
            "next_follow_up_due, version, created_at, updated_at) "
            "SELECT s.id, s.school_id, s.county_id, '2', 'open', 'screening', "
            "(%s::jsonb ->> c.school_code)::bigint, %s, %s, '', %s, c.due, 1, %s, %s "
            "FROM remb_cases c JOIN orgs_student s ON s.student_number = c.student_number "
            "WHERE NOT EXISTS (SELECT 1 FROM crisis_case x WHERE x.student_id = s.id "
            "AND x.status <> 'closed')",
            [
                json.dumps(psych),
                today,
                reason,
                now,
                now,
                now,
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crisis_case")


def _bench_users(county: OrgUnit) -> list[int]:
    return list(
        RoleAssignment.objects.filter(org_unit__path__startswith=county.path).values_list(
            "user_id", flat=True
        )
    )


def reset(county: OrgUnit) -> None:
    users = _bench_users(county)
    ReminderSent.objects.filter(recipient_id__in=users).delete()
    Notification.objects.filter(recipient_id__in=users).delete()
    # the deleted rows' dead index entries would slow the next scan's conflict checks
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE core_remindersent")
        cursor.execute("VACUUM ANALYZE notifications_notification")


def raw_find(county: OrgUnit, today: datetime.date) -> tuple[int, float]:
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, responsible_id, next_follow_up_due FROM crisis_case "
            "WHERE status <> 'closed' AND next_follow_up_due <= %s",
            [today + datetime.timedelta(days=rules.FOLLOW_UP_SOON_DAYS)],
        )
        rows = cursor.fetchall()
    return len(rows), time.perf_counter() - start


FLOOR_TABLES = (
    ("bench_ledger", "core_remindersent"),
    ("bench_notification", "notifications_notification"),
)


def floor(county: OrgUnit, today: datetime.date) -> float:
    """Seconds for the raw SQL that finds the due cases plus writing what the scan wrote (its
    ledger rows and notifications, copied as they are) into copies of both tables with the same
    indexes, COMMIT included."""
    users = _bench_users(county)
    with connection.cursor() as cursor:
        for copy, table in FLOOR_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {copy}")
            cursor.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
            # and the table's foreign keys (the recipient's, deferred: checked at COMMIT)
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            for (definition,) in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {copy} ADD {definition}")
    try:
        _found, seconds = raw_find(county, today)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for copy, table in FLOOR_TABLES:
                cursor.execute(
                    f"INSERT INTO {copy} SELECT * FROM {table} WHERE recipient_id = ANY(%s)",  # noqa: S608 - constants
                    [users],
                )
        return seconds + time.perf_counter() - started
    finally:
        with connection.cursor() as cursor:
            for copy, _table in FLOOR_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {copy}")


def timed_scan(today: datetime.date) -> tuple[dict[str, int], dict[str, float], float]:
    per_rule: dict[str, float] = {}
    marks = [time.perf_counter()]

    def after(rule: str) -> None:
        now = time.perf_counter()
        per_rule[rule] = now - marks[-1]
        marks.append(now)

    result = services.reminder_scan(today, after_rule=after)
    return result.sent, per_rule, marks[-1] - marks[0]


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="alternating runs of scan and floor")
    args = parser.parse_args()
    logging.getLogger("celery").setLevel(logging.WARNING)  # no line per e-mail task
    today = timezone.localdate()

    start = time.perf_counter()
    county = ensure_world(args.cases, today)
    open_cases = _count(
        "SELECT count(*) FROM crisis_case WHERE status <> 'closed' AND county_id = %s",
        [county.pk],
    )
    print(f"setup: {open_cases} open bench cases ({time.perf_counter() - start:.1f} s)")

    # Warm-up, untimed: the first scan of a process imports what the rules and the e-mail
    # publishing use (≈ 0.3 s of compile in a profile) and the first floor creates its tables'
    # catalog entries: one-time costs of a worker process, not of each day's scan.
    reset(county)
    timed_scan(today)
    floor(county, today)

    scans: list[float] = []
    floors: list[float] = []
    sent: dict[str, int] = {}
    for run in range(args.runs):
        reset(county)
        found, raw_seconds = raw_find(county, today)
        sent, per_rule, total = timed_scan(today)
        floor_seconds = floor(county, today)
        scans.append(total)
        floors.append(floor_seconds)
        print(
            f"run {run + 1}: raw SQL {found} due in {raw_seconds * 1000:.0f} ms; "
            f"scan {sum(sent.values())} sent in {total * 1000:.0f} ms "
            f"({', '.join(f'{r} {sent[r]} / {s * 1000:.0f} ms' for r, s in per_rule.items())}); "
            f"floor (raw SQL + insert of what was sent) {floor_seconds * 1000:.0f} ms"
        )
    emails = list(
        Notification.objects.filter(key__startswith="crisis:", recipient__in=_bench_users(county))
        .order_by("id")
        .values_list("id", flat=True)[:EMAIL_SAMPLE]
    )
    start = time.perf_counter()
    for notification_id in emails:
        notification_email_deliver(notification_id=notification_id)
    per_email = (time.perf_counter() - start) / max(len(emails), 1)
    print(
        f"e-mail delivery (worker's part):  {len(emails):>7} sampled "
        f"{per_email * 1000:6.2f} ms each"
    )
    resent, _per_rule, rerun = timed_scan(today)
    print(f"scan, re-run (nothing new): {sum(resent.values())} sent in {rerun * 1000:.0f} ms")
    ratio = _median(scans) / _median(floors)
    print(
        f"scan min / median {min(scans):.2f} / {_median(scans):.2f} s; floor min / median "
        f"{min(floors):.2f} / {_median(floors):.2f} s; ratio of medians {ratio:.2f} (goal ≤ 2)"
    )
    print_result(
        "reminder_scan",
        {
            "open cases": open_cases,
            "reminders sent per scan": sum(sent.values()),
            "scan min (s)": round(min(scans), 2),
            "scan median (s)": round(_median(scans), 2),
            "floor min (s)": round(min(floors), 2),
            "floor median (s)": round(_median(floors), 2),
            "re-run, nothing new (s)": round(rerun, 2),
            "e-mail delivery each (ms)": round(per_email * 1000, 2),
        },
        ratio=round(ratio, 2),
        target="≤ 2× (raw SQL finding the due cases + insert of the ledger rows and notifications)",
        ok=ratio <= 2 and sum(resent.values()) == 0,
    )


if __name__ == "__main__":
    main()
