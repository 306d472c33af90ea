"""The crisis reminder rules, registered with the kernel's reminder engine
(``mhcare.core.reminders``: the once-per-reminder ledger, the scan, the notifications) from
``CrisisConfig.ready()``. Each rule is one set-based statement that inserts into the ledger what is
due and returns what it inserted; the engine sends only that.

Rules (``today`` is the date in Asia/Shanghai; the ledger's ``due_on`` is the date the reminder is
about, so a new due date gives a new reminder):

- ``follow_up`` (object: case, due: ``next_follow_up_due``) — due within 2 days → the responsible
  psychology teacher (or, with none, the school's) stage 0; overdue → the same, stage 1; overdue by
  more than ``FOLLOW_UP_ESCALATE_LEADER_DAYS`` → the school leader(s), stage 2; by more than
  ``FOLLOW_UP_ESCALATE_CENTER_DAYS`` → the county center staff, stage 3.
- ``report`` (object: 上报 outbox row, due: the local date of ``due_by``) — not sent and due within
  6 hours → the psychology teacher, stage 0; missed → the psychology teacher, stage 1, and the
  escalation to the school leader(s) and the county center staff, stage 2.
- ``review`` (object: the school's latest 研判 review, due: ``next_review_on``) — the date is
  reached → the school's psychology teachers.
- ``family_contact`` (object: class, due: the semester's end) — from four weeks before the end of
  the current semester, a class with students whose family was not contacted directly this
  semester → its homeroom teacher, with how many.
- ``home_visit`` (object: key period, due: its end) — ≤ 3 days left and visits not done → the
  psychology teachers of the schools concerned, with how many.

A reminder of a missed date (stage ≥ 1: overdue, missed, escalated) is urgent: e-mailed at once even
to users who chose the daily digest (``mhcare.notifications``); the others wait for their digest.
Keys and notification kinds are in the ``crisis`` namespace (``crisis:follow_up:…``,
``crisis.follow_up``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisis.models import (
    DIRECT_CONTACT_WAYS,
    Case,
    CaseReport,
    CaseStatus,
    FamilyContact,
    HomeVisit,
    KeyPeriod,
    ReportStatus,
    Review,
)
from mhcare.accounts.models import Role, RoleAssignment, User
from mhcare.core.reminders.services import (
    LEDGER_INSERT,
    Due,
    Message,
    MessageBuilder,
    register_rule,
)
from mhcare.orgs.models import EnrolmentStatus, OrgUnit, SchoolClass, Semester, Student

FOLLOW_UP_SOON_DAYS = 2
REPORT_SOON = datetime.timedelta(hours=6)
FAMILY_CONTACT_LEAD = datetime.timedelta(weeks=4)
HOME_VISIT_LEAD_DAYS = 3
NAMESPACE = "crisis"

RULE_FOLLOW_UP = "follow_up"
RULE_REPORT = "report"
RULE_REVIEW = "review"
RULE_FAMILY_CONTACT = "family_contact"
RULE_HOME_VISIT = "home_visit"
RULES = (RULE_FOLLOW_UP, RULE_REPORT, RULE_REVIEW, RULE_FAMILY_CONTACT, RULE_HOME_VISIT)


def _tables() -> dict[str, str]:
    return {
        "case": Case._meta.db_table,
        "report": CaseReport._meta.db_table,
        "review": Review._meta.db_table,
        "contact": FamilyContact._meta.db_table,
        "period": KeyPeriod._meta.db_table,
        "visit": HomeVisit._meta.db_table,
        "klass": SchoolClass._meta.db_table,
        "student": Student._meta.db_table,
        "semester": Semester._meta.db_table,
        "assignment": RoleAssignment._meta.db_table,
        "user": User._meta.db_table,
    }


# Active staff by role and unit (school roles at the school, the county center at the county).
STAFF_CTE = """
staff AS (
    SELECT ra.user_id, ra.role, ra.org_unit_id
    FROM {assignment} ra JOIN {user} u ON u.id = ra.user_id
    WHERE ra.is_active AND u.is_active AND ra.role IN (%(psych)s, %(leader)s, %(center)s)
)"""

# The responsible teacher when active, else every psychology teacher of the school.
TEACHER_JOIN = """
LEFT JOIN {user} ru ON ru.id = c.responsible_id AND ru.is_active
LEFT JOIN staff p ON ru.id IS NULL AND p.role = %(psych)s AND p.org_unit_id = c.school_id"""

FOLLOW_UP_SQL = (
    "WITH"  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + STAFF_CTE
    + """,
due AS (
    SELECT c.id AS object_id, c.next_follow_up_due AS due_on,
           CASE WHEN c.next_follow_up_due < %(today)s THEN 1 ELSE 0 END AS stage,
           COALESCE(ru.id, p.user_id) AS recipient_id
    FROM {case} c"""
    + TEACHER_JOIN
    + """
    WHERE c.status <> %(closed)s AND c.next_follow_up_due <= %(soon)s
    UNION ALL
    SELECT c.id, c.next_follow_up_due, 2, s.user_id
    FROM {case} c JOIN staff s ON s.role = %(leader)s AND s.org_unit_id = c.school_id
    WHERE c.status <> %(closed)s AND c.next_follow_up_due < %(leader_before)s
    UNION ALL
    SELECT c.id, c.next_follow_up_due, 3, s.user_id
    FROM {case} c JOIN staff s ON s.role = %(center)s AND s.org_unit_id = c.county_id
    WHERE c.status <> %(closed)s AND c.next_follow_up_due < %(center_before)s
)"""
    + LEDGER_INSERT
)

REPORT_SQL = (
    "WITH"  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + STAFF_CTE
    + """,
unsent AS (
    SELECT r.id, r.school_id, r.county_id, r.due_by,
           (r.due_by AT TIME ZONE %(tz)s)::date AS due_on, c.responsible_id
    FROM {report} r JOIN {case} c ON c.id = r.case_id
    WHERE r.status <> %(sent)s AND r.due_by <= %(soon_at)s
),
due AS (
    SELECT c.id AS object_id, c.due_on,
           CASE WHEN c.due_by <= %(now)s THEN 1 ELSE 0 END AS stage,
           COALESCE(ru.id, p.user_id) AS recipient_id
    FROM unsent c"""
    + TEACHER_JOIN
    + """
    UNION ALL
    SELECT u.id, u.due_on, 2, s.user_id
    FROM unsent u JOIN staff s
      ON (s.role = %(leader)s AND s.org_unit_id = u.school_id)
      OR (s.role = %(center)s AND s.org_unit_id = u.county_id)
    WHERE u.due_by <= %(now)s
)"""
    + LEDGER_INSERT
)

REVIEW_SQL = (
    "WITH"  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + STAFF_CTE
    + """,
latest AS (
    SELECT DISTINCT ON (r.school_id) r.id, r.school_id, r.next_review_on
    FROM {review} r ORDER BY r.school_id, r.held_on DESC, r.id DESC
),
due AS (
    SELECT l.id AS object_id, l.next_review_on AS due_on, 0 AS stage, s.user_id AS recipient_id
    FROM latest l JOIN staff s ON s.role = %(psych)s AND s.org_unit_id = l.school_id
    WHERE l.next_review_on <= %(today)s
)"""
    + LEDGER_INSERT
)

# Grouped rules return how many students are concerned beside each inserted row.
FAMILY_CONTACT_SQL = """
WITH semester AS (
    SELECT id, school_year_id, "end" FROM {semester}
    WHERE start <= %(today)s AND "end" >= %(today)s AND "end" <= %(family_until)s
),
gaps AS (
    SELECT k.id AS object_id, sem."end" AS due_on, 0 AS stage,
           k.homeroom_teacher_id AS recipient_id, count(*) AS missing
    FROM semester sem
    JOIN {klass} k ON k.school_year_id = sem.school_year_id
    JOIN {user} u ON u.id = k.homeroom_teacher_id AND u.is_active
    JOIN {student} st ON st.klass_id = k.id AND st.status = %(enrolled)s
    WHERE NOT EXISTS (
        SELECT 1 FROM {contact} fc
        WHERE fc.student_id = st.id AND fc.semester_id = sem.id AND fc.way = ANY(%(direct)s)
    )
    GROUP BY k.id, sem."end", k.homeroom_teacher_id
),
inserted AS (
    INSERT INTO {ledger} (kind, object_type, object_id, due_on, recipient_id, stage, sent_at)
    SELECT %(kind)s, %(object_type)s, g.object_id, g.due_on, g.recipient_id, g.stage, now()
    FROM gaps g
    ON CONFLICT ON CONSTRAINT {once} DO NOTHING
    RETURNING object_id, due_on, recipient_id, stage
)
SELECT i.object_id, i.due_on, i.recipient_id, i.stage, g.missing
FROM inserted i JOIN gaps g ON g.object_id = i.object_id AND g.recipient_id = i.recipient_id"""

HOME_VISIT_SQL = (
    "WITH"  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + STAFF_CTE
    + """,
gaps AS (
    SELECT kp.id AS object_id, kp.ends_on AS due_on, 0 AS stage, s.user_id AS recipient_id,
           count(DISTINCT v.id) AS missing
    FROM {period} kp
    JOIN {visit} v ON v.key_period_id = kp.id AND v.visited_on IS NULL
    JOIN staff s ON s.role = %(psych)s AND s.org_unit_id = v.school_id
    WHERE kp.ends_on >= %(today)s AND kp.ends_on <= %(visit_until)s
    GROUP BY kp.id, kp.ends_on, s.user_id
),
inserted AS (
    INSERT INTO {ledger} (kind, object_type, object_id, due_on, recipient_id, stage, sent_at)
    SELECT %(kind)s, %(object_type)s, g.object_id, g.due_on, g.recipient_id, g.stage, now()
    FROM gaps g
    ON CONFLICT ON CONSTRAINT {once} DO NOTHING
    RETURNING object_id, due_on, recipient_id, stage
)
SELECT i.object_id, i.due_on, i.recipient_id, i.stage, g.missing
FROM inserted i JOIN gaps g ON g.object_id = i.object_id AND g.recipient_id = i.recipient_id"""
)


def _params(today: datetime.date, now: datetime.datetime) -> dict[str, Any]:
    return {
        "psych": Role.PSYCH_TEACHER.value,
        "leader": Role.SCHOOL_LEADER.value,
        "center": Role.COUNTY_CENTER.value,
        "closed": CaseStatus.CLOSED.value,
        "sent": ReportStatus.SENT.value,
        "enrolled": EnrolmentStatus.ENROLLED.value,
        "direct": [str(way) for way in DIRECT_CONTACT_WAYS],
        "soon": today + datetime.timedelta(days=FOLLOW_UP_SOON_DAYS),
        "leader_before": today - datetime.timedelta(days=settings.FOLLOW_UP_ESCALATE_LEADER_DAYS),
        "center_before": today - datetime.timedelta(days=settings.FOLLOW_UP_ESCALATE_CENTER_DAYS),
        "soon_at": now + REPORT_SOON,
        "family_until": today + FAMILY_CONTACT_LEAD,
        "visit_until": today + datetime.timedelta(days=HOME_VISIT_LEAD_DAYS),
    }


# --- what each reminder says ---------------------------------------------------------------------
# Titles and bodies name no student: they go out by e-mail. The link leads to the record, behind
# the recipient's scope.


def _date(day: datetime.date) -> str:
    return day.isoformat()


# A number no record has: reversed once, then replaced by each record's id (a scan links tens of
# thousands of reminders to the same view; ``reverse`` per reminder was a third of its time).
_URL_ID = 987654321987654321


def _url_pattern(name: str) -> Callable[[int], str]:
    pattern = reverse(name, args=[_URL_ID])
    marker = str(_URL_ID)
    return lambda pk: pattern.replace(marker, str(pk))


def _follow_up_messages(dues: Sequence[Due], today: datetime.date) -> Callable[[Due], Message]:
    # One array parameter, not tens of thousands of placeholders, sent as one string that
    # PostgreSQL splits (psycopg dumps a list element by element in Python); school names once each.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, c.student_id, c.school_id, u.name FROM {Case._meta.db_table} c "  # noqa: S608 - table names only
            f"JOIN {OrgUnit._meta.db_table} u ON u.id = c.school_id "
            "WHERE c.id = ANY(string_to_array(%s, ',')::bigint[])",
            [",".join(map(str, sorted({d.object_id for d in dues})))],
        )
        rows = cursor.fetchall()
    cases = {pk: (student_id, school_id) for pk, student_id, school_id, _name in rows}
    schools = {school_id: name for _pk, _student, school_id, name in rows}
    student_url = _url_pattern("orgs:student_detail")
    # The texts depend on the language, the stage, the date and the school only: composed once
    # for each (a scan's reminders share a few hundred of them). The engine calls this builder
    # once per language, inside it: the language is not part of the key (asking for it per due
    # was a tenth of the scan's Python).
    texts: dict[tuple[int, datetime.date, int], tuple[str, str]] = {}

    def text(due: Due, school_id: int) -> tuple[str, str]:
        school = schools[school_id]
        if due.stage == 0:
            return (
                _("Follow-up due on %(date)s") % {"date": _date(due.due_on)},
                _("A case student at %(school)s is due for a follow-up.") % {"school": school},
            )
        days = (today - due.due_on).days
        if due.stage == 1:
            return (
                _("Follow-up overdue since %(date)s") % {"date": _date(due.due_on)},
                _("A case student at %(school)s has missed a follow-up. Record it today.")
                % {"school": school},
            )
        return (
            _("Escalation: a follow-up is %(days)s days overdue") % {"days": days},
            _(
                "A case at %(school)s has had no follow-up since %(date)s. Please make sure the "
                "responsible teacher follows the student up."
            )
            % {"school": school, "date": _date(due.due_on)},
        )

    def message(due: Due) -> Message:
        student_id, school_id = cases[due.object_id]
        key = (due.stage, due.due_on, school_id)
        found = texts.get(key)
        if found is None:
            found = texts[key] = text(due, school_id)
        return Message(found[0], found[1], student_url(student_id))

    return message


def _report_messages(dues: Sequence[Due], today: datetime.date) -> Callable[[Due], Message]:
    reports = (
        CaseReport.objects.select_related("school")
        .only("id", "level", "due_by", "school__name")
        .in_bulk([d.object_id for d in dues])
    )

    def message(due: Due) -> Message:
        report = reports[due.object_id]
        url = reverse("crisis:report_detail", args=[report.pk])
        due_by = timezone.localtime(report.due_by).strftime("%Y-%m-%d %H:%M")
        school = report.school.name
        if due.stage == 0:
            return Message(
                _("Report to the province due by %(time)s") % {"time": due_by},
                _(
                    "A level %(level)s case at %(school)s has not been received by the provincial "
                    "platform yet."
                )
                % {"level": report.level, "school": school},
                url,
            )
        return Message(
            _("Report to the province overdue since %(time)s") % {"time": due_by},
            _(
                "A level %(level)s case at %(school)s was not reported to the provincial platform "
                "within 24 hours. Check the list of cases not yet reported."
            )
            % {"level": report.level, "school": school},
            url,
        )

    return message


def _review_messages(dues: Sequence[Due], today: datetime.date) -> Callable[[Due], Message]:
    def message(due: Due) -> Message:
        return Message(
            _("Crisis review due on %(date)s") % {"date": _date(due.due_on)},
            _("The school crisis group planned its next review (研判) for this date."),
            reverse("crisis:review_list"),
        )

    return message


def _family_messages(dues: Sequence[Due], today: datetime.date) -> Callable[[Due], Message]:
    classes = SchoolClass.objects.in_bulk([d.object_id for d in dues])

    def message(due: Due) -> Message:
        klass = classes[due.object_id]
        return Message(
            _("%(count)s families of %(class)s not contacted this semester")
            % {"count": due.count, "class": klass.name},
            _(
                "The semester ends on %(date)s. Every family is contacted directly at least once "
                "a semester (a visit, a call, a video call or a meeting)."
            )
            % {"date": _date(due.due_on)},
            reverse("crisis:family_class", args=[klass.pk]),
        )

    return message


def _home_visit_messages(dues: Sequence[Due], today: datetime.date) -> Callable[[Due], Message]:
    periods = KeyPeriod.objects.in_bulk([d.object_id for d in dues])

    def message(due: Due) -> Message:
        period = periods[due.object_id]
        return Message(
            _("%(count)s home visits of %(period)s not done")
            % {"count": due.count, "period": period.name},
            _("The key period ends on %(date)s.") % {"date": _date(due.due_on)},
            reverse("crisis:family_key_period", args=[period.pk]),
        )

    return message


# rule → (ledger kind, object type, SQL, whether the SQL returns a count, messages), in scan order
RULE_SQL: dict[str, tuple[str, str, str, bool, MessageBuilder]] = {
    RULE_FOLLOW_UP: ("follow_up", "case", FOLLOW_UP_SQL, False, _follow_up_messages),
    RULE_REPORT: ("report", "casereport", REPORT_SQL, False, _report_messages),
    RULE_REVIEW: ("review", "review", REVIEW_SQL, False, _review_messages),
    RULE_FAMILY_CONTACT: (
        "family_contact_gap",
        "schoolclass",
        FAMILY_CONTACT_SQL,
        True,
        _family_messages,
    ),
    RULE_HOME_VISIT: ("home_visit", "keyperiod", HOME_VISIT_SQL, True, _home_visit_messages),
}


def register() -> None:
    """Register the crisis rules with the kernel's reminder engine (``CrisisConfig.ready()``);
    idempotent."""
    for name in RULES:
        kind, object_type, sql, counts, messages = RULE_SQL[name]
        register_rule(
            name,
            kind=kind,
            object_type=object_type,
            sql=sql,
            params=_params,
            messages=messages,
            namespace=NAMESPACE,
            tables=_tables,
            counts=counts,
        )
