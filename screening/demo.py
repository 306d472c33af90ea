"""Demo screening results for ``seed_demo``: PHQ-9 for about 60 % of the grade 4–12 students of the
demo counties, with a few high scores and item-9 positives so the high-risk lists are not empty.
Deterministic (from the student number) and idempotent (skipped when the counties have results)."""

from __future__ import annotations

import datetime
import random
import zlib
from typing import Any

from django.db import transaction

from mhcare.accounts.models import Role, RoleAssignment
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolYear, Student
from screening import risk, scoring
from screening.models import (
    Campaign,
    CampaignInstrument,
    Instrument,
    ResultSource,
    RiskProposal,
    ScreeningResult,
)

DEMO_COUNTY_CODES = ("330106", "330802")
SHARE_SCREENED = 6  # out of 10


def _answers(seed: int) -> list[int]:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    profile = seed % 100
    if profile == 0:  # severe
        return [rng.choice((2, 3)) for _ in range(8)] + [rng.choice((0, 1))]
    if profile == 1:  # item 9 positive, moderate otherwise
        return [rng.choice((1, 1, 2)) for _ in range(8)] + [rng.choice((1, 2))]
    if profile in (2, 3, 4, 5):  # moderate
        return [rng.choice((1, 1, 2)) for _ in range(8)] + [0]
    return [rng.choice((0, 0, 0, 1)) for _ in range(8)] + [0]


@transaction.atomic
def seed_screening_demo(*, stdout: Any = None, today: datetime.date, **_: Any) -> None:
    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text)

    year = SchoolYear.current(today)
    instrument = Instrument.objects.latest_of("PHQ-9")
    counties = list(OrgUnit.objects.filter(code__in=DEMO_COUNTY_CODES, kind=OrgKind.COUNTY))
    if year is None or instrument is None or not counties:
        say("Screening demo: no current school year, PHQ-9 or demo county; skipped.")
        return
    if ScreeningResult.objects.filter(county__in=counties).exists():
        say("Screening demo: results exist; nothing added.")
        return
    # One autumn campaign per demo county (PHQ-9, grades 4–12); the window stays open until a
    # month from today, so the coverage and the entry grid have work left in the demo.
    window_end = max(year.start + datetime.timedelta(days=75), today + datetime.timedelta(days=30))
    campaigns: dict[int, Campaign] = {}
    for county in counties:
        campaign = Campaign.objects.create(
            name=f"{year.name} 学年秋季心理健康筛查（{county.name}）",
            school_year=year,
            org_unit=county,
            window_start=year.start,
            window_end=min(window_end, year.end),
            allow_self_screening=True,
        )
        CampaignInstrument.objects.create(
            campaign=campaign, instrument=instrument, grade_min=4, grade_max=12
        )
        campaigns[county.pk] = campaign
    entered_by: dict[int, int] = {}
    for user_id, school_id in (
        RoleAssignment.objects.active()
        .filter(role=Role.PSYCH_TEACHER, org_unit__parent__in=counties)
        .order_by("id")
        .values_list("user_id", "org_unit_id")
    ):
        entered_by.setdefault(school_id, user_id)
    students = (
        Student.objects.enrolled()
        .filter(
            county__in=counties, klass__school_year=year, klass__grade__gte=4, klass__grade__lte=12
        )
        .order_by("id")
        .values_list("id", "school_id", "county_id", "student_number")
    )
    results: list[ScreeningResult] = []
    outcomes: list[scoring.ScoreOutcome] = []
    first_day = year.start + datetime.timedelta(days=14)
    for student_id, school_id, county_id, number in students:
        seed = zlib.crc32(number.encode())
        if seed % 10 >= SHARE_SCREENED:
            continue
        outcome = scoring.score(instrument.definition, _answers(seed // 10))
        day = min(first_day + datetime.timedelta(days=seed % 45), today)
        outcomes.append(outcome)
        results.append(
            ScreeningResult(
                student_id=student_id,
                school_id=school_id,
                county_id=county_id,
                instrument=instrument,
                campaign=campaigns[county_id],
                source=ResultSource.IMPORT,
                answers=outcome.answers,
                total=outcome.total,
                band=outcome.band,
                is_critical=outcome.is_critical,
                entered_by_id=entered_by.get(school_id),
                administered_on=day,
            )
        )
    ScreeningResult.objects.bulk_create(results, batch_size=1000)
    proposals: list[RiskProposal] = []
    for result, outcome in zip(results, outcomes, strict=True):
        proposal = risk.propose(instrument.code, outcome)
        if proposal is not None:
            proposals.append(
                RiskProposal(
                    student_id=result.student_id,
                    school_id=result.school_id,
                    county_id=result.county_id,
                    level=proposal.level,
                    reasons=proposal.reasons,
                    source_result=result,
                )
            )
    RiskProposal.objects.bulk_create(proposals, batch_size=1000)
    say(f"Screening demo: {len(results)} PHQ-9 results, {len(proposals)} proposed risk levels.")
