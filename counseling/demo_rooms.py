"""Demo counseling rooms, duty and appointments for ``seed_demo``: in each demo county, the first
school's counseling room (kept by its psychology teacher) and the county center's room, opening
hours with extended after-school hours, a week of duty (Monday to Friday of the week of
``today``, and of the next week), appointments booked into the coming slots — one confirmed,
one requested — and three session records written by the school's psychology teacher (one
proposing a level to the crisis registry). Everything goes through the services (audited like
real work). Idempotent: skipped when the demo counties have rooms."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from counseling.appointments.selectors import free_slots
from counseling.appointments.services import appointment_book, appointment_transition
from counseling.models import AppointmentStatus, CounselingRoom, RoomStandard
from counseling.rooms.services import opening_hours_add, room_create, shift_create
from counseling.sessions.services import session_record
from mhcare.accounts.models import Role, RoleAssignment
from mhcare.orgs.models import OrgKind, OrgUnit, Student
from screening.demo import DEMO_COUNTY_CODES

SCHOOL_HOURS = ((datetime.time(12, 0), datetime.time(13, 0), False),)
EXTENDED = (datetime.time(16, 30), datetime.time(18, 30), True)
CENTER_HOURS = ((datetime.time(9, 0), datetime.time(17, 0), False),)
SESSIONS = (
    (
        14,
        45,
        "学业压力与睡眠",
        "该生近期作业多、睡眠不足，谈到考试焦虑。",
        "每周一次，练习放松。",
        "",
    ),
    (7, 50, "同伴关系", "与同桌发生矛盾后情绪低落，愿意尝试沟通。", "下周跟进，联系班主任。", ""),
    (2, 40, "情绪低落", "连续两周情绪低落，提到偶有消极念头。", "告知家长，启动评估。", "2"),
)


def _person(role: str, unit: OrgUnit) -> Any | None:
    assignment = (
        RoleAssignment.objects.active()
        .filter(role=role, org_unit=unit, user__is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return assignment.user if assignment else None


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


def _county(county: OrgUnit, today: datetime.date) -> int:
    school = OrgUnit.objects.filter(parent=county, kind=OrgKind.SCHOOL).order_by("code").first()
    center_unit = OrgUnit.objects.filter(parent=county, kind=OrgKind.COUNTY_CENTER).first()
    psych = _person(Role.PSYCH_TEACHER, school) if school else None
    center = _person(Role.COUNTY_CENTER, county)
    if school is None or psych is None:
        return 0
    room = room_create(
        actor=psych,
        unit=school,
        name="心理辅导室",
        place="行政楼三楼 302",
        standards=[RoomStandard.INDIVIDUAL, RoomStandard.RELAXATION, RoomStandard.FILES],
        capacity=2,
    )
    for weekday in range(5):
        for opens, closes, extended in (*SCHOOL_HOURS, EXTENDED):
            opening_hours_add(
                actor=psych,
                room=room,
                weekday=weekday,
                opens=opens,
                closes=closes,
                is_extended=extended,
            )
    monday = today - datetime.timedelta(days=today.weekday())
    days = [monday + datetime.timedelta(days=i) for i in (*range(5), *range(7, 12))]
    for day in days:
        shift_create(
            actor=psych,
            room=room,
            counselor=psych,
            starts_at=_at(day, EXTENDED[0]),
            ends_at=_at(day, EXTENDED[1]),
        )
    if center_unit is not None and center is not None:
        center_room = room_create(
            actor=center,
            unit=center_unit,
            name="个体辅导室",
            place="中心二楼 201",
            standards=list(RoomStandard.values),
            capacity=1,
        )
        for weekday in range(6):
            for opens, closes, extended in CENTER_HOURS:
                opening_hours_add(
                    actor=center,
                    room=center_room,
                    weekday=weekday,
                    opens=opens,
                    closes=closes,
                    is_extended=extended,
                )
        for day in days:
            shift_create(
                actor=center,
                room=center_room,
                counselor=center,
                starts_at=_at(day, datetime.time(14, 0)),
                ends_at=_at(day, datetime.time(17, 0)),
            )
    students = list(Student.objects.filter(school=school).order_by("pk")[:5])
    if len(students) < 5:
        return 1
    # Bookings from tomorrow on, so that a rerun on a later day still finds free slots.
    slots = free_slots(student=students[0], start=today + datetime.timedelta(days=1), days=7)
    school_slots = [s for s in slots if s.shift.room_id == room.pk]
    for index, (student, slot) in enumerate(zip(students[:2], school_slots[::3], strict=False)):
        appointment = appointment_book(
            actor=psych,
            student=student,
            shift=slot.shift,
            starts_at=slot.starts_at,
            topic="班主任反映近期情绪波动，约谈了解情况。",
        )
        if index == 0:
            appointment_transition(
                actor=psych, appointment=appointment, status=AppointmentStatus.CONFIRMED
            )
    for student, (days_ago, minutes, theme, summary, plan, risk) in zip(
        students[2:], SESSIONS, strict=True
    ):
        session_record(
            actor=psych,
            student=student,
            held_on=today - datetime.timedelta(days=days_ago),
            duration_minutes=minutes,
            theme=theme,
            summary=summary,
            plan=plan,
            risk_observed=risk,
            propose_risk=bool(risk),
        )
    return 1


def seed_rooms_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    counties = list(
        OrgUnit.objects.filter(code__in=DEMO_COUNTY_CODES, kind=OrgKind.COUNTY).order_by("code")
    )
    if CounselingRoom.objects.filter(county__in=counties).exists():
        if stdout is not None:
            stdout.write("Counseling rooms demo: rooms exist; nothing added.")
        return
    with transaction.atomic():
        seeded = sum(_county(county, today) for county in counties)
    if stdout is not None:
        stdout.write(f"Counseling rooms demo: {seeded} counties with rooms, duty and sessions.")
