"""The entry grid page and the campaigns / results API (one and bulk, all-or-nothing)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from screening.models import Instrument, ResultSource, RiskProposal, ScreeningResult
from tests.screening.campaigns.conftest import ANSWERS_CRITICAL, ANSWERS_MILD, DAY


def _api(world, who):
    client = APIClient()
    if who:
        client.force_authenticate(world.users[who])
    return client


def _body(world, campaign, student="a", answers=ANSWERS_MILD, **extra):
    return {
        "campaign": campaign.pk,
        "student": world.students[student].pk,
        "instrument": "PHQ-9",
        "administered_on": DAY.isoformat(),
        "answers": answers,
        **extra,
    }


# --- the grid page -----------------------------------------------------------------------------

GRID_MATRIX = [
    (None, 302),
    ("homeroom_a", 403),
    ("leader_a", 403),  # sees the unscreened list, never enters scores
    ("official_a", 403),
    ("psych_b", 404),  # another county's class
    ("psych_a", 200),
    ("center_a", 200),
]


@pytest.mark.parametrize(("who", "expected"), GRID_MATRIX)
def test_grid_page_matrix(client, world, campaign, who, expected):
    if who:
        client.force_login(world.users[who])
    url = reverse("screening:campaign_grid", args=[campaign.pk, world.class_a.pk, "PHQ-9"])
    response = client.get(url)
    assert response.status_code == expected
    views = AuditEvent.objects.filter(action=Action.VIEW, detail__page="entry_grid").count()
    assert views == (1 if expected == 200 else 0)


def test_grid_shows_stored_answers(client, world, campaign, django_assert_max_num_queries):
    _api(world, "psych_a").post(
        reverse("api-result-list"), _body(world, campaign, answers=ANSWERS_CRITICAL), format="json"
    )
    client.force_login(world.users["psych_a"])
    url = reverse("screening:campaign_grid", args=[campaign.pk, world.class_a.pk, "PHQ-9"])
    with django_assert_max_num_queries(18):
        page = client.get(url)
    text = page.content.decode()
    assert "张小明" in text
    assert 'value="2"' in text
    assert 'id="grid-config"' in text
    assert "entry-grid.js" in text
    # An instrument the campaign does not use for the class is 404.
    other = reverse("screening:campaign_grid", args=[campaign.pk, world.class_a.pk, "GAD-7"])
    assert client.get(other).status_code == 404


# --- results API -------------------------------------------------------------------------------


def test_enter_one_result_then_correct_it(world, campaign):
    client = _api(world, "psych_a")
    created = client.post(reverse("api-result-list"), _body(world, campaign), format="json")
    assert created.status_code == 201, created.content
    assert created.data["total"] == 5
    assert created.data["band"] == "mild"
    assert created.data["critical"] is False
    assert created.data["proposed_level"] is None
    # The same values again: a harmless repeat.
    repeat = client.post(reverse("api-result-list"), _body(world, campaign), format="json")
    assert repeat.status_code == 200
    assert repeat.data["id"] == created.data["id"]
    # Different values without saying so (the grid's cursor ran into a saved row): refused,
    # nothing changes.
    overwrite = client.post(
        reverse("api-result-list"), _body(world, campaign, answers=ANSWERS_CRITICAL), format="json"
    )
    assert overwrite.status_code == 409
    assert overwrite.data["code"] == "exists"
    assert "already saved" in overwrite.data["detail"]
    stored = ScreeningResult.objects.get(campaign=campaign)
    assert stored.answers == ANSWERS_MILD
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()
    # An explicit edit replaces it, and the audit trail says what was replaced.
    again = client.post(
        reverse("api-result-list"),
        _body(world, campaign, answers=ANSWERS_CRITICAL, replace=True),
        format="json",
    )
    assert again.status_code == 200
    assert again.data["id"] == created.data["id"]
    edit = AuditEvent.objects.get(action=Action.UPDATE, detail__explicit_edit=True)
    assert edit.detail["replaced"]["band"] == "mild"
    assert edit.detail["replaced"]["total"] == "5"
    assert edit.student_id == world.students["a"].pk
    assert again.data["critical"] is True
    assert again.data["proposed_level"] is not None
    assert ScreeningResult.objects.filter(campaign=campaign).count() == 1
    assert RiskProposal.objects.filter(student=world.students["a"]).count() == 1


def test_grid_header_marks_the_source_and_critical_results_alert(
    world, campaign, django_capture_on_commit_callbacks
):
    client = _api(world, "psych_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api-result-list"),
            _body(world, campaign, answers=ANSWERS_CRITICAL),
            format="json",
            HTTP_X_ENTRY_GRID="1",
        )
    assert response.status_code == 201
    assert ScreeningResult.objects.get().source == ResultSource.GRID
    assert Notification.objects.filter(recipient=world.users["psych_a"]).exists()


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"answers": [1] * 8}, "answers", "9"),
        ({"answers": [1, 1, 1, 1, 1, 1, 1, 1, 4]}, "9", ""),
        ({"administered_on": "2026-08-01"}, "administered_on", "window"),
        ({"instrument": "GAD-7"}, "instrument", "does not use"),
    ],
)
def test_bad_results_answer_400_and_store_nothing(world, campaign, changes, field, text):
    response = _api(world, "psych_a").post(
        reverse("api-result-list"), {**_body(world, campaign), **changes}, format="json"
    )
    assert response.status_code == 400
    body = str(response.data)
    assert field in body
    assert text in body
    assert not ScreeningResult.objects.exists()


@pytest.mark.parametrize(
    ("who", "student", "expected"),
    [
        (None, "a", 403),
        ("homeroom_a", "a", 403),
        ("leader_a", "a", 403),
        ("official_a", "a", 403),
        ("psych_a", "a2", 404),  # another school of the campaign
        ("psych_b", "b", 400),  # her county has no such campaign: unknown campaign
        ("center_a", "a2", 201),
    ],
)
def test_results_api_matrix(world, campaign, who, student, expected):
    response = _api(world, who).post(
        reverse("api-result-list"), _body(world, campaign, student=student), format="json"
    )
    assert response.status_code in ((401, 403) if expected == 403 else (expected,))
    assert ScreeningResult.objects.count() == (1 if expected == 201 else 0)


def test_results_list_is_scoped(world, campaign, django_assert_max_num_queries):
    _api(world, "center_a").post(
        reverse("api-result-list"), _body(world, campaign, student="a2"), format="json"
    )
    _api(world, "psych_a").post(reverse("api-result-list"), _body(world, campaign), format="json")
    with django_assert_max_num_queries(8):
        mine = _api(world, "psych_a").get(reverse("api-result-list"), {"campaign": campaign.pk})
    assert [r["student"] for r in mine.data["results"]] == [world.students["a"].pk]
    center = _api(world, "center_a").get(reverse("api-result-list"), {"campaign": campaign.pk})
    assert len(center.data["results"]) == 2
    assert _api(world, "psych_b").get(reverse("api-result-list")).data["results"] == []


# --- bulk --------------------------------------------------------------------------------------


def _bulk(world, campaign, rows):
    return {
        "campaign": campaign.pk,
        "instrument": "PHQ-9",
        "administered_on": DAY.isoformat(),
        "results": [{"student": world.students[key].pk, "answers": a} for key, a in rows],
    }


def test_bulk_is_all_or_nothing(world, campaign):
    client = _api(world, "center_a")
    bad = client.post(
        reverse("api-result-bulk"),
        _bulk(
            world,
            campaign,
            [("a", ANSWERS_MILD), ("a2", [1, 1, 1]), ("b", ANSWERS_MILD), ("a", ANSWERS_MILD)],
        ),
        format="json",
    )
    assert bad.status_code == 400
    by_index = {row["index"]: row for row in bad.data["rows"]}
    assert sorted(by_index) == [1, 2, 3]  # short answers, outside the county, duplicate
    assert by_index[2]["errors"][0]["code"] == "unknown"
    assert by_index[3]["errors"][0]["code"] == "duplicate"
    assert not ScreeningResult.objects.exists()
    good = client.post(
        reverse("api-result-bulk"),
        _bulk(world, campaign, [("a", ANSWERS_MILD), ("a2", ANSWERS_CRITICAL)]),
        format="json",
    )
    assert good.status_code == 201
    assert [r["total"] for r in good.data] == [5, 13]
    again = client.post(
        reverse("api-result-bulk"),
        _bulk(world, campaign, [("a", ANSWERS_MILD), ("a2", ANSWERS_CRITICAL)]),
        format="json",
    )
    assert again.status_code == 201
    assert ScreeningResult.objects.count() == 2
    # Different values for a saved student: nothing stored, unless the request says "replace".
    changed = _bulk(world, campaign, [("a", ANSWERS_CRITICAL), ("a2", ANSWERS_CRITICAL)])
    refused = client.post(reverse("api-result-bulk"), changed, format="json")
    assert refused.status_code == 409
    assert refused.data["rows"][0]["errors"][0]["code"] == "exists"
    assert ScreeningResult.objects.get(student=world.students["a"]).answers == ANSWERS_MILD
    replaced = client.post(reverse("api-result-bulk"), {**changed, "replace": True}, format="json")
    assert replaced.status_code == 201
    assert ScreeningResult.objects.get(student=world.students["a"]).answers == ANSWERS_CRITICAL


def test_bulk_refuses_class_roles(world, campaign):
    response = _api(world, "homeroom_a").post(
        reverse("api-result-bulk"), _bulk(world, campaign, [("a", ANSWERS_MILD)]), format="json"
    )
    assert response.status_code == 403


# --- campaigns API -----------------------------------------------------------------------------


def test_campaign_api(
    world, campaign, campaign_b, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    from compliance import refresh

    client = _api(world, "psych_a")
    with django_assert_max_num_queries(6):
        listing = client.get(reverse("api-campaign-list"))
    assert [c["name"] for c in listing.data] == [campaign.name]
    assert listing.data[0]["instruments"][0]["code"] == "PHQ-9"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("api-result-list"), _body(world, campaign), format="json")
    # The entry marked its county; the per-minute sweep recounts the county's coverage, which
    # the pages above a school read.
    assert refresh.refresh_pending() == 1
    coverage = client.get(reverse("api-campaign-detail", args=[campaign.pk]))
    assert coverage.status_code == 200
    assert coverage.data["unit"] == world.school_a.pk
    assert coverage.data["total"]["enrolled"] == 2
    assert coverage.data["total"]["completed"] == 1
    assert client.get(reverse("api-campaign-detail", args=[campaign_b.pk])).status_code == 404
    official = _api(world, "official_province").get(
        reverse("api-campaign-detail", args=[campaign.pk])
    )
    assert [(r["name"], r["completed"]) for r in official.data["rows"]] == [
        ("西湖一中", 1),
        ("西湖二中", 0),
    ]


def test_campaign_api_create(world):
    client = _api(world, "center_a")
    body = {
        "name": "西湖区春季筛查",
        "org_unit": world.county_a.pk,
        "school_year": world.class_a.school_year.pk,
        "window_start": "2027-03-01",
        "window_end": "2027-03-31",
        "instruments": [
            {"code": "PHQ-9", "grade_min": 4, "grade_max": 6},
            {"code": "PHQ-A", "grade_min": 7, "grade_max": 12},
        ],
    }
    created = client.post(reverse("api-campaign-list"), body, format="json")
    assert created.status_code == 201, created.content
    assert created.data["target_grades"] == list(range(4, 13))
    wrong = client.post(
        reverse("api-campaign-list"),
        {**body, "instruments": [{"code": "PHQ-A", "grade_min": 4, "grade_max": 12}]},
        format="json",
    )
    assert wrong.status_code == 400
    assert "7–12" in str(wrong.data)
    other = client.post(
        reverse("api-campaign-list"), {**body, "org_unit": world.county_b.pk}, format="json"
    )
    assert other.status_code == 400
    denied = _api(world, "official_a").post(reverse("api-campaign-list"), body, format="json")
    assert denied.status_code == 403


def test_schema_lists_the_new_endpoints(world):
    client = _api(world, "psych_a")
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/screening/campaigns/",
        "/api/v1/screening/campaigns/{id}/",
        "/api/v1/screening/results/",
        "/api/v1/screening/results/bulk/",
    ):
        assert path in schema
    assert Instrument.objects.exists()
