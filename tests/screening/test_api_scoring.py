"""POST /api/v1/screening/instruments/<code>/score/: any signed-in user, stores nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from mhcare.audit.models import AuditEvent
from screening.models import RiskProposal, ScreeningResult


def url(code):
    return reverse("api-instrument-score", args=[code])


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.users["homeroom_a"])  # any role may score
    return client


@pytest.mark.parametrize(
    ("code", "answers", "total", "band", "critical"),
    [
        ("PHQ-9", [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", False),
        ("PHQ-9", [0] * 8 + [1], 1, "minimal", True),
        ("PHQ-A", [2, 2, 2, 2, 2, 2, 2, 1, 0], 15, "moderately_severe", False),
        ("GAD-7", [3, 3, 3, 3, 3, 0, 0], 15, "severe", False),
        ("ASQ", [0, 0, 0, 0, 0], 0, "negative", False),
        ("ASQ", [0, None, 0, 0, None], 0, "non_acute", True),
        ("ASQ", [1, 1, 0, 0, 1], 2, "acute", True),
    ],
)
def test_scores_without_storing(api, code, answers, total, band, critical):
    before = AuditEvent.objects.count()
    response = api.post(url(code), {"answers": answers}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["total"], data["band"], data["critical"]) == (total, band, critical)
    assert data["instrument"] == code
    assert not ScreeningResult.objects.exists()
    assert not RiskProposal.objects.exists()
    assert AuditEvent.objects.count() == before


def test_the_answer_carries_the_proposed_level(api):
    data = api.post(url("ASQ"), {"answers": [1, 0, 0, 0, 1]}, format="json").json()
    assert (data["proposed_level"], data["critical_codes"]) == ("1", ["positive", "acute"])
    data = api.post(url("PHQ-9"), {"answers": [0] * 9}, format="json").json()
    assert (data["proposed_level"], data["reasons"]) == (None, [])


@pytest.mark.parametrize(
    ("code", "body", "field", "error"),
    [
        ("PHQ-9", {"answers": [0] * 8}, "answers", "answer_count"),
        ("PHQ-9", {"answers": [0] * 10}, "answers", "answer_count"),
        ("PHQ-9", {"answers": [0] * 8 + [4]}, "9", "out_of_range"),
        ("PHQ-9", {"answers": [0] * 8 + [None]}, "9", "missing"),
        ("GAD-7", {"answers": [0, 0, "x", 0, 0, 0, 0]}, "3", "not_a_number"),
        ("ASQ", {"answers": [0, 0, 0, 0, 2]}, "5", "out_of_range"),
        ("PHQ-9", {"answer": [0] * 9}, "answers", "required"),
        ("PHQ-9", [0] * 9, "answers", "invalid"),
    ],
)
def test_bad_answers_are_400_with_the_reason(api, code, body, field, error):
    response = api.post(url(code), body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert {"field": field, "code": error} in [
        {"field": e["field"], "code": e["code"]} for e in data["errors"]
    ]
    assert data["detail"]


def test_the_reason_is_in_the_users_language(api):
    response = api.post(
        url("PHQ-9"), {"answers": [0] * 8}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.json()["detail"] == "Expected 9 answers, got 8."


def test_score_level_instruments_take_scores(api):
    scores = {"emotional": 5, "conduct": 5, "hyperactivity": 5, "peer": 5, "prosocial": 5}
    data = api.post(url("SDQ"), {"scores": scores}, format="json").json()
    assert (data["total"], data["band"]) == (20, "abnormal")
    response = api.post(url("SDQ"), {"scores": {**scores, "peer": 12}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "peer"


def test_anonymous_is_401(world):
    response = APIClient().post(url("PHQ-9"), {"answers": [0] * 9}, format="json")
    assert response.status_code == 401


def test_unknown_instrument_is_404(api):
    assert api.post(url("NOPE"), {"answers": []}, format="json").status_code == 404


def test_a_signed_in_session_may_score(client, world):
    client.force_login(world.users["leader_a"])
    response = client.post(url("GAD-7"), {"answers": [0] * 7}, content_type="application/json")
    assert response.status_code == 200


def test_the_endpoint_is_in_the_openapi_schema(api):
    response = api.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/screening/instruments/{code}/score/"]["post"]
    assert operation["operationId"] == "screening_instrument_score"
    assert "400" in operation["responses"]
