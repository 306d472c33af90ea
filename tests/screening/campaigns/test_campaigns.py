"""Campaigns: creation rules, who sees which campaign, live coverage, the unscreened list."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from mhcare.audit.models import Action, AuditEvent
from screening.campaigns import selectors, services
from screening.campaigns.services import InstrumentPlan
from screening.models import Campaign, CampaignInstrument, Instrument
from screening.services import result_create
from tests import factories
from tests.screening.campaigns.conftest import ANSWERS_MILD, DAY


def _plan(code, low, high):
    return InstrumentPlan(
        instrument=Instrument.objects.latest_of(code), grade_min=low, grade_max=high
    )


def _create(world, actor="psych_a", unit=None, **overrides):
    values = {
        "actor": world.users[actor],
        "name": "春季筛查",
        "org_unit": unit or world.school_a,
        "school_year": world.class_a.school_year,
        "window_start": datetime.date(2027, 3, 1),
        "window_end": datetime.date(2027, 3, 31),
        "plans": [_plan("PHQ-9", 4, 6), _plan("PHQ-A", 7, 12)],
    }
    values.update(overrides)
    return services.campaign_create(**values)


def test_psych_teacher_runs_a_campaign_for_her_school(world):
    campaign = _create(world)
    assert campaign.target_grades == list(range(4, 13))
    assert sorted(
        CampaignInstrument.objects.filter(campaign=campaign).values_list(
            "instrument__code", "grade_min", "grade_max"
        )
    ) == [("PHQ-9", 4, 6), ("PHQ-A", 7, 12)]
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type__icontains="campaign"
    ).exists()


@pytest.mark.parametrize(
    ("actor", "unit"),
    [
        ("psych_a", "county_a"),  # above her school
        ("psych_a", "school_b"),  # another county
        ("center_a", "county_b"),
        ("homeroom_a", "school_a"),
        ("official_a", "county_a"),
        ("leader_a", "school_a"),
    ],
)
def test_campaign_only_for_ones_own_units(world, actor, unit):
    with pytest.raises(PermissionDenied):
        _create(world, actor=actor, unit=getattr(world, unit))
    assert not Campaign.objects.exists()


def test_county_center_and_admin_run_wider_campaigns(world):
    assert _create(world, actor="center_a", unit=world.county_a).org_unit == world.county_a
    assert _create(world, actor="admin", unit=world.province).org_unit == world.province


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"window_end": datetime.date(2027, 2, 1)}, "window_end", "on or after"),
        ({"window_end": datetime.date(2027, 9, 30)}, "window_end", "within the school year"),
        ({"target_grades": []}, "target_grades", "at least one"),
        ({"target_grades": [0, 4]}, "target_grades", "1 to 12"),
        ({"plans": []}, "instruments", "at least one"),
    ],
)
def test_bad_campaigns_say_why(world, overrides, field, text):
    with pytest.raises(ValidationError) as caught:
        _create(world, **overrides)
    assert text in " ".join(caught.value.message_dict[field])
    assert not Campaign.objects.exists()


def test_instrument_grades_are_checked(world):
    with pytest.raises(ValidationError) as caught:
        _create(world, plans=[_plan("PHQ-A", 4, 12)])
    assert "grades 7–12 only" in " ".join(caught.value.message_dict["instruments"])
    with pytest.raises(ValidationError) as caught:
        _create(world, plans=[_plan("PHQ-9", 4, 6)])
    assert "grade(s) 7, 8, 9, 10, 11, 12" in " ".join(caught.value.message_dict["instruments"])
    with pytest.raises(ValidationError) as caught:
        _create(world, plans=[_plan("PHQ-9", 4, 12), _plan("PHQ-9", 8, 9)])
    assert "used twice" in " ".join(caught.value.message_dict["instruments"])
    assert not Campaign.objects.exists()


# --- who sees which campaign -------------------------------------------------------------------

LIST_MATRIX = [
    (None, 302),
    ("homeroom_a", 403),  # a class role: no campaign pages
    ("psych_a", 200),
    ("leader_a", 200),
    ("center_a", 200),
    ("official_a", 200),
    ("official_province", 200),
    ("admin", 200),
]


@pytest.mark.parametrize(("who", "expected"), LIST_MATRIX)
def test_campaign_list_matrix(client, world, campaign, who, expected):
    if who:
        client.force_login(world.users[who])
    response = client.get(reverse("screening:campaign_list"))
    assert response.status_code == expected
    if expected == 200:
        assert campaign.name in response.content.decode()


def test_a_campaign_of_another_county_is_404(client, world, campaign, campaign_b):
    client.force_login(world.users["psych_a"])
    listing = client.get(reverse("screening:campaign_list")).content.decode()
    assert campaign_b.name not in listing
    response = client.get(reverse("screening:campaign_detail", args=[campaign_b.pk]))
    assert response.status_code == 404


def test_a_province_campaign_reaches_every_school(world, phq9):
    wide = Campaign.objects.create(
        name="全省筛查",
        school_year=world.class_a.school_year,
        org_unit=world.province,
        window_start=datetime.date(2026, 9, 1),
        window_end=datetime.date(2026, 12, 31),
    )
    for who in ("psych_a", "psych_b", "center_b", "official_a"):
        assert wide in selectors.campaign_list(actor=world.users[who])


def test_create_page(client, world):
    client.force_login(world.users["psych_a"])
    page = client.get(reverse("screening:campaign_create"))
    assert page.status_code == 200
    phq9 = Instrument.objects.latest_of("PHQ-9")
    data = {
        "name": "秋季补测",
        "org_unit": world.school_a.pk,
        "school_year": world.class_a.school_year.pk,
        "window_start": "2026-11-01",
        "window_end": "2026-11-30",
        "target_grades": [str(g) for g in range(4, 13)],
        f"use_{phq9.pk}": "on",
        f"min_{phq9.pk}": "4",
        f"max_{phq9.pk}": "12",
    }
    response = client.post(reverse("screening:campaign_create"), data)
    campaign = Campaign.objects.get(name="秋季补测")
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:campaign_detail", args=[campaign.pk])
    bad = client.post(reverse("screening:campaign_create"), {**data, "window_end": "2026-10-01"})
    assert bad.status_code == 400
    assert "on or after" in bad.content.decode()
    assert Campaign.objects.count() == 1
    client.force_login(world.users["homeroom_a"])
    assert client.get(reverse("screening:campaign_create")).status_code == 403


# --- coverage ----------------------------------------------------------------------------------


def _enter(world, student, campaign, code="PHQ-9", answers=ANSWERS_MILD):
    return result_create(
        actor=world.users["psych_a" if student.school_id == world.school_a.pk else "center_a"],
        student=student,
        instrument=Instrument.objects.latest_of(code),
        administered_on=DAY,
        answers=answers,
        campaign=campaign,
    )


def test_coverage_counts_completed_over_enrolled(world, campaign):
    _enter(world, world.students["a"], campaign)
    # Above a school the page sums the schools' counts, recounted after each entry (the sweep).
    services.campaign_coverage_refresh(campaign=campaign)
    county = selectors.coverage_by_child(
        actor=world.users["center_a"], campaign=campaign, unit=world.county_a
    )
    assert [(r.label, r.enrolled, r.completed) for r in county] == [
        ("西湖一中", 2, 1),
        ("西湖二中", 1, 0),
    ]
    grades, classes = selectors.coverage_of_school(
        actor=world.users["psych_a"], campaign=campaign, school=world.school_a
    )
    assert [(g.key, g.enrolled, g.completed, g.percent) for g in grades] == [(8, 2, 1, 50.0)]
    assert [(c.label, c.enrolled, c.completed) for c in classes] == [
        ("八(1)班", 1, 1),
        ("八(2)班", 1, 0),
    ]


def test_a_student_is_complete_only_with_every_instrument_of_the_grade(world, campaign):
    gad7 = Instrument.objects.latest_of("GAD-7")
    CampaignInstrument.objects.create(campaign=campaign, instrument=gad7, grade_min=7, grade_max=9)
    _enter(world, world.students["a"], campaign)
    _grades, classes = selectors.coverage_of_school(
        actor=world.users["psych_a"], campaign=campaign, school=world.school_a
    )
    assert classes[0].completed == 0
    _enter(world, world.students["a"], campaign, code="GAD-7", answers=[0] * 7)
    _grades, classes = selectors.coverage_of_school(
        actor=world.users["psych_a"], campaign=campaign, school=world.school_a
    )
    assert classes[0].completed == 1


def test_grades_outside_the_target_are_not_counted(world, campaign):
    campaign.target_grades = [4, 5, 6]
    campaign.save()
    grades, _classes = selectors.coverage_of_school(
        actor=world.users["psych_a"], campaign=campaign, school=world.school_a
    )
    assert grades == []


def test_coverage_page_by_role(client, world, campaign, django_assert_max_num_queries):
    _enter(world, world.students["a"], campaign)
    services.campaign_coverage_refresh(campaign=campaign)
    client.force_login(world.users["center_a"])
    with django_assert_max_num_queries(16):
        page = client.get(reverse("screening:campaign_detail", args=[campaign.pk]))
    text = page.content.decode()
    assert "西湖一中" in text
    assert "西湖二中" in text
    assert "1 / 3" in text
    # The official sees counts (no names), down to classes, but no class page.
    client.force_login(world.users["official_a"])
    school = client.get(
        reverse("screening:campaign_detail", args=[campaign.pk]) + f"?unit={world.school_a.pk}"
    )
    body = school.content.decode()
    assert "八(2)班" in body
    assert "张小明" not in body
    class_url = reverse("screening:campaign_class", args=[campaign.pk, world.class_a_other.pk])
    assert class_url not in body
    assert client.get(class_url).status_code == 403
    # A unit outside the viewer's scope is 404.
    client.force_login(world.users["psych_a"])
    outside = client.get(
        reverse("screening:campaign_detail", args=[campaign.pk]) + f"?unit={world.school_a2.pk}"
    )
    assert outside.status_code == 404
    partial = client.get(
        reverse("screening:campaign_coverage", args=[campaign.pk]) + f"?unit={world.school_a.pk}"
    )
    assert partial.status_code == 200
    assert "八(1)班" in partial.content.decode()


def test_unscreened_list(client, world, campaign, django_assert_max_num_queries):
    _enter(world, world.students["a"], campaign)
    client.force_login(world.users["leader_a"])
    url = reverse("screening:campaign_class", args=[campaign.pk, world.class_a_other.pk])
    with django_assert_max_num_queries(19):  # +1: the guardian consents (issue 13)
        page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "李小红" in text
    assert "0 / 1" in text
    # The leader does not enter results: no grid link.
    assert "grid-link-PHQ-9" not in text
    done = client.get(reverse("screening:campaign_class", args=[campaign.pk, world.class_a.pk]))
    assert "Every student of the class is screened" in done.content.decode()
    assert (
        AuditEvent.objects.filter(action=Action.VIEW, object_type__icontains="class").count() == 2
    )
    client.force_login(world.users["psych_b"])
    assert client.get(url).status_code == 404


def test_coverage_lists_schools_not_other_units_and_grades_by_name(world, campaign):
    """A county's counseling center, teaching-research unit and institution enrol nobody: they
    are not coverage rows (they showed 0 / 0). Grades read as names, not bare numbers."""
    from django.utils import translation

    from mhcare.orgs.models import OrgKind

    for kind, code in (
        (OrgKind.COUNTY_CENTER, "3301069001"),
        (OrgKind.RESEARCH, "3301069002"),
        (OrgKind.INSTITUTION, "3301069003"),
    ):
        factories.SchoolFactory(
            parent=world.county_a, code=code, kind=kind, stage="", name=f"非学校{code}"
        )
    county = selectors.coverage_by_child(
        actor=world.users["center_a"], campaign=campaign, unit=world.county_a
    )
    assert [r.label for r in county] == ["西湖一中", "西湖二中"]
    with translation.override("zh-hans"):
        grades, _classes = selectors.coverage_of_school(
            actor=world.users["psych_a"], campaign=campaign, school=world.school_a
        )
        assert [g.label for g in grades] == ["八年级"]
    grades, _classes = selectors.coverage_of_school(
        actor=world.users["psych_a"], campaign=campaign, school=world.school_a
    )
    assert [g.label for g in grades] == ["Grade 8"]


@pytest.mark.zh
def test_campaign_name_is_labelled_as_a_campaigns_name(client, world):
    client.force_login(world.users["psych_a"])
    html = client.get(reverse("screening:campaign_create")).content.decode()
    assert "批次名称" in html
    assert ">姓名<" not in html
