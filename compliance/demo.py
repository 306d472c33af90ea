"""Demo indicator snapshots: after the other apps' demo records, the nightly job's work is run
once (the current month, last month, the current semester and school year) through the refresh
service, so the officials' dashboards have figures. Idempotent: the snapshots are upserted on
(unit, period, indicator); a second run rewrites the same numbers."""

from __future__ import annotations

import datetime
from typing import Any

from compliance import services, trends
from compliance.periods import current_periods


def seed_compliance_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    written = sum(services.snapshot_refresh(period=p) for p in current_periods(today))
    written += trends.band_counts_refresh()
    if stdout is not None:
        stdout.write(f"Compliance demo: {written} indicator snapshots refreshed.")


def seed_inspections_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    """One inspection of 西湖区's first demo school by its county official, a rectification
    notice due in two weeks to its leader, and a circular from the city. Through the services;
    skipped when the county official has recorded an inspection already (idempotent)."""
    from compliance import inspections
    from compliance.models import Circular, Inspection
    from mhcare.accounts.models import Role, User
    from mhcare.orgs.models import OrgUnit

    official = User.objects.filter(username="official_xihu").first()
    city_official = User.objects.filter(username="official_hangzhou").first()
    leader = User.objects.filter(username="leader_xihu").first()
    if official is None or leader is None or Inspection.objects.filter(inspector=official).exists():
        return
    school = OrgUnit.objects.filter(
        assignments__user=leader, assignments__role=Role.SCHOOL_LEADER
    ).first()
    if school is None:
        return
    inspection = inspections.inspection_create(
        actor=official,
        unit=school,
        inspected_on=today,
        items_checked="心理辅导室建设；心理健康课开课；危机干预台账；家校沟通记录",
        findings="危机干预台账未按月更新；九月心理健康课课时不足。",
    )
    inspections.rectification_issue(
        actor=official,
        inspection=inspection,
        school=school,
        finding="危机干预台账未按月更新",
        deadline=today + datetime.timedelta(days=14),
    )
    if city_official is not None and not Circular.objects.exists():
        city = OrgUnit.objects.get(code="3301")
        inspections.circular_publish(
            actor=city_official,
            unit=city,
            title="关于本学期学生心理健康工作专项督查情况的通报",
            body="各区县教育局、各学校：本学期专项督查已完成，总体情况良好，个别学校危机干预台账更新不及时，请对照整改。",
            inspections=[inspection],
        )
    if stdout is not None:
        stdout.write("Compliance demo: an inspection, a rectification notice and a circular.")
