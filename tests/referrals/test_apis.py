"""/api/v1/referrals/: the same scope, validation and audit as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mhcare.audit.models import AuditEvent
from referrals import services
from referrals.models import Referral, ReferralState
from tests.conftest import login
from tests.referrals.conftest import bring_to

S = ReferralState


def test_anonymous_is_refused(client, world, inst):
    referral = bring_to(world, S.SENT)
    for url in (
        reverse("api-referral-list"),
        reverse("api-referral-detail", args=[referral.pk]),
        reverse("api-institution-list"),
    ):
        assert client.get(url).status_code in (401, 403)


@pytest.mark.parametrize(
    ("who", "ids"),
    [
        ("psych_a", {"a", "other"}),
        ("leader_a", {"a", "other"}),
        ("center_a", {"a", "other"}),
        ("staff_h", {"a"}),
        ("psych_b", set()),
        ("center_b", set()),
        ("staff_k", set()),
    ],
)
def test_list_scope(client, world, inst, who, ids, django_assert_max_num_queries):
    sent = bring_to(world, S.SENT)
    draft = bring_to(world, S.DRAFT, student_key="a_other_class")
    by_key = {"a": sent.pk, "other": draft.pk}
    login(client, world.users[who])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("api-referral-list"))
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {by_key[k] for k in ids}
    assert AuditEvent.objects.filter(
        actor=world.users[who], object_type="referrals.referral", detail__via="api"
    ).exists()


@pytest.mark.parametrize("who", ["homeroom_a", "official_a", "admin"])
def test_roles_that_never_see_referrals_get_403(client, world, inst, who):
    referral = bring_to(world, S.SENT)
    login(client, world.users[who])
    assert client.get(reverse("api-referral-list")).status_code == 403
    assert client.get(reverse("api-referral-detail", args=[referral.pk])).status_code == 403


@pytest.mark.parametrize(
    ("who", "status"), [("psych_a", 200), ("staff_h", 200), ("psych_b", 404), ("staff_k", 404)]
)
def test_detail_scope(client, world, inst, who, status):
    referral = bring_to(world, S.SENT)
    login(client, world.users[who])
    response = client.get(reverse("api-referral-detail", args=[referral.pk]))
    assert response.status_code == status
    if status == 200:
        assert response.json()["reason"] == "持续情绪低落"


def test_the_whole_path_through_the_api(client, world, inst):
    login(client, world.users["psych_a"])
    created = client.post(
        reverse("api-referral-list"),
        {
            "student": world.students["a"].pk,
            "institution": world.inst_h.pk,
            "urgency": "priority",
            "reason": "情绪低落",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    send = client.post(
        reverse("api-referral-transition", args=[pk]),
        {"action": "send"},
        content_type="application/json",
    )
    assert send.status_code == 400
    assert send.json() == [str(services.CONSENT_REQUIRED)]
    consent = client.post(
        reverse("api-referral-consent", args=[pk]),
        {"guardian": "母亲", "way": "phone"},
        content_type="application/json",
    )
    assert consent.status_code == 200
    assert consent.json()["state"] == S.GUARDIAN_INFORMED
    assert (
        client.post(
            reverse("api-referral-transition", args=[pk]),
            {"action": "send"},
            content_type="application/json",
        ).json()["state"]
        == S.SENT
    )
    # the institution answers
    login(client, world.users["staff_h"])
    for action in ("accept", "start_treatment"):
        response = client.post(
            reverse("api-referral-transition", args=[pk]),
            {"action": action},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
    feedback = client.post(
        reverse("api-referral-feedback", args=[pk]),
        {"assessment_summary": "评估", "return_cleared": True},
        content_type="application/json",
    )
    assert feedback.json()["state"] == S.FEEDBACK_RECEIVED
    # the institution may not mark the return; the school does
    refused = client.post(
        reverse("api-referral-transition", args=[pk]),
        {"action": "return"},
        content_type="application/json",
    )
    assert refused.status_code == 403
    login(client, world.users["psych_a"])
    back = client.post(
        reverse("api-referral-transition", args=[pk]),
        {"action": "return"},
        content_type="application/json",
    )
    assert back.json()["state"] == S.RETURNED
    plan = client.post(
        reverse("api-referral-transition", args=[pk]),
        {"action": "plan", "plan": "复学计划"},
        content_type="application/json",
    )
    assert plan.json()["return_plan"] == "复学计划"


@pytest.mark.parametrize("who", ["staff_h", "leader_a", "psych_b"])
def test_create_is_for_the_school_that_refers(client, world, inst, who):
    login(client, world.users[who])
    response = client.post(
        reverse("api-referral-list"),
        {
            "student": world.students["a"].pk,
            "institution": world.inst_h.pk,
            "urgency": "routine",
            "reason": "x",
        },
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert not Referral.objects.exists()


def test_institutions_api(client, world, inst):
    login(client, world.users["psych_a"])
    names = {row["name"] for row in client.get(reverse("api-institution-list")).json()}
    assert names == {"西湖区精神卫生中心", "上城区精神卫生中心"}
    assert (
        client.post(
            reverse("api-institution-list"),
            {"unit_code": "330106H", "level": "tertiary"},
            content_type="application/json",
        ).status_code
        == 403
    )
    login(client, world.users["center_b"])
    from mhcare.orgs.models import OrgKind, OrgUnit

    OrgUnit.objects.create(
        code="330102H2", name="上城区第二医院", kind=OrgKind.INSTITUTION, parent=world.county_b
    )
    created = client.post(
        reverse("api-institution-list"),
        {"unit_code": "330102H2", "level": "secondary"},
        content_type="application/json",
    )
    assert created.status_code == 201
    outside = client.post(
        reverse("api-institution-list"),
        {"unit_code": "330106H", "level": "secondary"},
        content_type="application/json",
    )
    assert outside.status_code == 404


def test_the_schema_lists_the_referral_endpoints(client, world):
    client.force_login(world.users["psych_a"])
    response = client.get(reverse("api-schema"))
    text = response.content.decode()
    for path in (
        "/api/v1/referrals/",
        "/api/v1/referrals/{id}/transition/",
        "/api/v1/referrals/institutions/",
    ):
        assert path in text
