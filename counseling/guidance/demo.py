"""Demo data for guidance, supervision and county-center standardization (``seed_demo``), written
through the services; deterministic and idempotent (each part is skipped when it exists).

- the first school of 西湖区 / 柯城区: responsible teachers (psychology and homeroom teacher),
  individual-guidance and peer-support records, one flag change with its reason;
- supervision: a branch station and a point in 西湖区, a point in 柯城区, supervisor_xihu's
  qualifications and three sessions (individual, group, case conference) with their supervisees;
- center checklists: 西湖区 complete and judged standardized by the Hangzhou city bureau,
  柯城区 half filled and not standardized.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from counseling.centers import services as center_services
from counseling.centers.defaults import ensure_default_items
from counseling.guidance import services as guidance_services
from counseling.models import (
    CenterChecklistEntry,
    ChecklistItem,
    GuidanceKind,
    GuidanceRecord,
    StationKind,
    SupervisionFormat,
    SupervisionSession,
    SupervisionStation,
)
from counseling.supervision import services as supervision_services
from mhcare.accounts.models import User
from mhcare.orgs.models import Disadvantage, OrgKind, OrgUnit, Student

COUNTIES = (("330106", "xihu"), ("330802", "kecheng"))

GUIDANCE = (
    (GuidanceKind.INDIVIDUAL, 40, "谈学习压力与作息安排，约定每周记录一次睡眠。", "", "两周后再谈"),
    (
        GuidanceKind.PEER,
        12,
        "安排同桌在数学学习上结对帮扶。",
        "同桌（学习委员）",
        "月底了解结对情况",
    ),
    (GuidanceKind.INDIVIDUAL, 4, "父母离异后情绪低落，愿意继续交流。", "", "联系家长沟通"),
)
CASES = (
    "初二女生，学业压力大，出现失眠，讨论认知行为干预的节奏与家校沟通要点。",
    "小组讨论：留守儿童的依恋问题，如何在辅导中建立稳定关系。",
    "个案会诊：高一男生反复请假，讨论转介评估的时机与复学支持。",
)


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _say(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _guidance(county: OrgUnit, slug: str, today: datetime.date, stdout: Any) -> None:
    school = OrgUnit.objects.filter(parent=county, kind=OrgKind.SCHOOL).order_by("code").first()
    psych, homeroom = _user(f"psych_{slug}"), _user(f"homeroom_{slug}")
    if school is None or psych is None:
        return
    if GuidanceRecord.objects.filter(school=school).exists():
        _say(stdout, f"Guidance demo {county.name}: records exist; nothing added.")
        return
    flagged = list(
        Student.objects.enrolled()
        .filter(school=school)
        .exclude(disadvantages=[])
        .order_by("id")[:4]
    )
    assigned = [(student, psych) for student in flagged[:2]]
    own = None
    if homeroom is not None:
        own = (
            Student.objects.enrolled()
            .filter(klass__homeroom_teacher=homeroom)
            .exclude(disadvantages=[])
            .exclude(pk__in=[s.pk for s in flagged[:2]])
            .order_by("id")
            .first()
        )
    if own is not None and homeroom is not None:
        assigned.append((own, homeroom))
    for index, (student, teacher) in enumerate(assigned):
        guidance_services.guidance_assign(actor=psych, student=student, teacher=teacher)
        if index < 2:
            for kind, days, summary, helper, step in GUIDANCE:
                guidance_services.guidance_record_add(
                    actor=psych,
                    student=student,
                    kind=kind,
                    occurred_on=today - datetime.timedelta(days=days + index * 3),
                    summary=summary,
                    peer_helper=helper,
                    next_step=step,
                )
    unflagged = (
        Student.objects.enrolled().filter(school=school, disadvantages=[]).order_by("id").first()
    )
    if unflagged is not None:
        guidance_services.guidance_flags_set(
            actor=psych,
            student=unflagged,
            flags=[Disadvantage.FAMILY_CHANGE],
            reason="班主任反映父母近期离异，学生情绪波动。",
        )
    _say(stdout, f"Guidance demo {county.name}: {len(assigned)} responsible teachers.")


def _stations(county: OrgUnit, slug: str) -> list[SupervisionStation]:
    center = _user(f"center_{slug}")
    existing = list(SupervisionStation.objects.filter(county=county).order_by("id"))
    if existing or center is None:
        return existing
    host = OrgUnit.objects.filter(parent=county, kind=OrgKind.COUNTY_CENTER).first()
    school = OrgUnit.objects.filter(parent=county, kind=OrgKind.SCHOOL).order_by("code").first()
    stations = [
        supervision_services.station_create(
            actor=center,
            county=county,
            name=f"{county.name}心理督导分站",
            kind=StationKind.BRANCH,
            host=host,
        )
    ]
    if school is not None:
        stations.append(
            supervision_services.station_create(
                actor=center,
                county=county,
                name=f"{school.name}督导点",
                kind=StationKind.POINT,
                host=school,
            )
        )
    return stations


def _supervision(today: datetime.date, stdout: Any) -> None:
    supervisor = _user("supervisor_xihu")
    county = OrgUnit.objects.filter(code="330106", kind=OrgKind.COUNTY).first()
    if supervisor is None or county is None:
        return
    stations = _stations(county, "xihu")
    kecheng = OrgUnit.objects.filter(code="330802", kind=OrgKind.COUNTY).first()
    if kecheng is not None:
        _stations(kecheng, "kecheng")
    if SupervisionSession.objects.filter(supervisor=supervisor).exists():
        _say(stdout, "Supervision demo: sessions exist; nothing added.")
        return
    supervision_services.supervisor_profile_save(
        actor=supervisor,
        qualifications="国家二级心理咨询师；省中小学心理健康教育督导师培训结业；"
        "从事学校心理辅导 15 年。",
        certificate="ZJ-DD-2024-017",
        trained_on=datetime.date(2024, 7, 15),
    )
    psych, center, leader = _user("psych_xihu"), _user("center_xihu"), _user("leader_xihu")
    plans = [
        (21, SupervisionFormat.INDIVIDUAL, [psych], "个体督导：学业压力个案的干预节奏", 0),
        (7, SupervisionFormat.GROUP, [psych, center], "团体督导：留守儿童辅导中的关系建立", 1),
        (2, SupervisionFormat.CASE_CONFERENCE, [psych, leader, center], "个案会诊：转介与复学", 2),
    ]
    for days, fmt, people, topic, case in plans:
        supervision_services.supervision_session_record(
            actor=supervisor,
            county=county,
            station=stations[case % len(stations)] if stations else None,
            held_on=today - datetime.timedelta(days=days),
            format=fmt,
            duration_minutes=90 if fmt == SupervisionFormat.INDIVIDUAL else 120,
            supervisees=[p for p in people if p is not None],
            topic=topic,
            cases_discussed=CASES[case],
        )
    _say(stdout, "Supervision demo: 3 sessions of supervisor_xihu.")


def _checklists(today: datetime.date, stdout: Any) -> None:
    ensure_default_items()
    items = list(ChecklistItem.objects.filter(is_active=True).order_by("order", "code"))
    for code, slug, share in (("330106", "xihu", 1.0), ("330802", "kecheng", 0.5)):
        county = OrgUnit.objects.filter(code=code, kind=OrgKind.COUNTY).first()
        center = _user(f"center_{slug}")
        if county is None or center is None:
            continue
        if CenterChecklistEntry.objects.filter(county=county).exists():
            _say(stdout, f"Center demo {county.name}: checklist exists; nothing added.")
            continue
        for index, item in enumerate(items):
            met = index < round(len(items) * share)
            center_services.center_entry_save(
                actor=center,
                county=county,
                item=item,
                is_met=met,
                evidence=f"{item.title}：见中心建设台账（{today.year} 年）" if met else "",
            )
        official = _user("official_hangzhou")
        if share == 1.0 and official is not None and county.path.startswith("/33/3301/"):
            center_services.center_judge(
                actor=official,
                county=county,
                is_standardized=True,
                effective_on=today - datetime.timedelta(days=30),
            )
        _say(stdout, f"Center demo {county.name}: checklist filled ({share:.0%}).")


def seed_guidance_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    today = min(today, timezone.localdate())
    with transaction.atomic():
        for code, slug in COUNTIES:
            county = OrgUnit.objects.filter(code=code, kind=OrgKind.COUNTY).first()
            if county is not None:
                _guidance(county, slug, today, stdout)
        _supervision(today, stdout)
        _checklists(today, stdout)
