"""督查 / 整改 / 通报: the inspection → notice → reply (with evidence) → accept/return path, the
overdue reminder, circulars with their recipients, and the scope matrix of the pages and API."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from compliance import inspections as svc
from compliance.models import CircularRecipient, Rectification, RectificationStatus
from mhcare.accounts.models import Role
from mhcare.audit.models import Action, AuditEvent
from mhcare.core.reminders.services import reminder_scan
from mhcare.notifications.models import Notification
from tests import factories

TODAY = datetime.date(2026, 10, 10)


@pytest.fixture
def city_official(world):
    return factories.user_with_role(Role.OFFICIAL, world.city, username="official_city")


@pytest.fixture
def notice(world):
    inspection = svc.inspection_create(
        actor=world.users["official_a"],
        unit=world.school_a,
        inspected_on=timezone.localdate(),
        items_checked="心理辅导室、危机台账",
        findings="危机台账未按月更新",
    )
    return svc.rectification_issue(
        actor=world.users["official_a"],
        inspection=inspection,
        school=world.school_a,
        finding="危机台账未按月更新",
        deadline=timezone.localdate() + datetime.timedelta(days=14),
    )


def test_inspection_notice_reply_return_reply_accept(world, notice):
    w = world
    assert Notification.objects.filter(
        recipient=w.users["leader_a"], kind="compliance.rectification"
    ).exists()
    evidence = SimpleUploadedFile("台账.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    svc.rectification_reply(
        actor=w.users["leader_a"], rectification=notice, measures="已补录台账", files=[evidence]
    )
    notice.refresh_from_db()
    assert notice.status == RectificationStatus.REPLIED
    assert notice.evidence.count() == 1
    with pytest.raises(ValidationError):
        svc.rectification_decide(actor=w.users["official_a"], rectification=notice, accept=False)
    svc.rectification_decide(
        actor=w.users["official_a"], rectification=notice, accept=False, note="缺少九月记录"
    )
    notice.refresh_from_db()
    assert notice.status == RectificationStatus.RETURNED
    svc.rectification_reply(actor=w.users["leader_a"], rectification=notice, measures="补齐九月")
    svc.rectification_decide(actor=w.users["official_a"], rectification=notice, accept=True)
    notice.refresh_from_db()
    assert notice.status == RectificationStatus.ACCEPTED
    assert not notice.is_open
    assert AuditEvent.objects.filter(object_id=str(notice.pk), action=Action.UPDATE).count() == 4


def test_a_county_official_inspects_only_below_their_county(world, city_official):
    with pytest.raises(PermissionDenied):
        svc.inspection_create(
            actor=world.users["official_a"],
            unit=world.school_b,
            inspected_on=TODAY,
            items_checked="x",
        )
    with pytest.raises(PermissionDenied):  # not their own county either
        svc.inspection_create(
            actor=world.users["official_a"],
            unit=world.county_a,
            inspected_on=TODAY,
            items_checked="x",
        )
    # a city official inspects a county and notices one of its schools
    inspection = svc.inspection_create(
        actor=city_official, unit=world.county_b, inspected_on=TODAY, items_checked="县级中心"
    )
    with pytest.raises(ValidationError):
        svc.rectification_issue(
            actor=city_official,
            inspection=inspection,
            school=world.school_a,
            finding="x",
            deadline=TODAY,
        )
    item = svc.rectification_issue(
        actor=city_official,
        inspection=inspection,
        school=world.school_b,
        finding="x",
        deadline=TODAY,
    )
    assert item.school == world.school_b


def test_only_the_schools_leader_replies(world, notice):
    other_leader = factories.user_with_role(Role.SCHOOL_LEADER, world.school_b, username="leader_b")
    with pytest.raises(Rectification.DoesNotExist):
        svc.rectification_reply(actor=other_leader, rectification=notice, measures="x")
    with pytest.raises(PermissionDenied):
        svc.rectification_reply(actor=world.users["official_a"], rectification=notice, measures="x")


def test_overdue_notices_are_reminded_once(world, notice):
    Rectification.objects.filter(pk=notice.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    reminder_scan(rules=["rectification_overdue"])
    reminder_scan(rules=["rectification_overdue"])
    sent = Notification.objects.filter(kind="compliance.rectification_overdue")
    assert set(sent.values_list("recipient__username", flat=True)) == {"leader_a", "official_a"}
    assert sent.count() == 2


def test_the_report_lists_open_rectifications(world, notice):
    from compliance import reports
    from compliance.periods import default_period

    data = reports.build(unit=world.county_a, period=default_period(), generated_by="t")
    assert [r.pk for r in data.rectifications] == [notice.pk]
    data = reports.build(unit=world.county_b, period=default_period(), generated_by="t")
    assert data.rectifications == []


def test_circular_goes_to_the_units_below_with_recipients(world, city_official):
    leader_b = factories.user_with_role(Role.SCHOOL_LEADER, world.school_b, username="leader_b")
    circular = svc.circular_publish(
        actor=city_official, unit=world.city, title="关于第一季度督查情况的通报", body="总体良好"
    )
    recipients = set(
        CircularRecipient.objects.filter(circular=circular).values_list("user__username", flat=True)
    )
    assert recipients == {"leader_a", "leader_b", "official_a"}
    assert Notification.objects.filter(recipient=leader_b, kind="compliance.circular").count() == 1
    # a county official may not publish from the city
    with pytest.raises(PermissionDenied):
        svc.circular_publish(actor=world.users["official_a"], unit=world.city, title="x", body="y")
    # the leaders see it in their list
    assert list(svc.circular_list(actor=world.users["leader_a"])) == [circular]
    assert list(svc.circular_list(actor=world.users["psych_a"])) == []


URLS = ("inspections", "rectifications", "circulars")


@pytest.mark.parametrize(
    ("user_key", "codes"),
    [
        ("official_a", {"inspections": 200, "rectifications": 200, "circulars": 200}),
        ("leader_a", {"inspections": 403, "rectifications": 200, "circulars": 200}),
        ("psych_a", {"inspections": 403, "rectifications": 403, "circulars": 403}),
        ("homeroom_a", {"inspections": 403, "rectifications": 403, "circulars": 403}),
        ("center_a", {"inspections": 403, "rectifications": 403, "circulars": 403}),
        ("official_province", {"inspections": 403, "rectifications": 403, "circulars": 403}),
        ("admin", {"inspections": 403, "rectifications": 403, "circulars": 403}),
    ],
)
def test_scope_matrix_of_the_list_pages(client, world, notice, user_key, codes):
    client.force_login(world.users[user_key])
    for name in URLS:
        assert client.get(reverse(f"compliance:{name}")).status_code == codes[name], name


def test_anonymous_goes_to_login(client, world, notice):
    for url in (
        reverse("compliance:inspections"),
        reverse("compliance:inspection", args=[notice.inspection_id]),
        reverse("compliance:rectification", args=[notice.pk]),
        reverse("compliance:circulars"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]
    assert client.get(reverse("api-compliance-rectifications")).status_code in (401, 403)


def test_other_county_and_other_school_get_404(client, world, notice):
    official_b = factories.user_with_role(Role.OFFICIAL, world.county_b, username="official_b")
    leader_b = factories.user_with_role(Role.SCHOOL_LEADER, world.school_b, username="leader_b")
    for user in (official_b, leader_b):
        client.force_login(user)
        assert client.get(reverse("compliance:rectification", args=[notice.pk])).status_code == 404
        assert (
            client.get(reverse("api-compliance-rectification", args=[notice.pk])).status_code == 404
        )
        assert notice.pk not in [
            r["id"] for r in client.get(reverse("api-compliance-rectifications")).json()["results"]
        ]
    client.force_login(official_b)
    assert (
        client.get(reverse("compliance:inspection", args=[notice.inspection_id])).status_code == 404
    )


def test_two_role_user_sees_the_notice_of_the_school_they_lead_only(client, world, notice):
    """An official of county B who also leads 西湖一中: the notice of 西湖一中 (as its leader), may
    reply, and may not decide (not the inspecting county)."""
    user = factories.user_with_role(Role.OFFICIAL, world.county_b, username="two_roles")
    factories.RoleAssignmentFactory(user=user, role=Role.SCHOOL_LEADER, org_unit=world.school_a)
    client.force_login(user)
    response = client.get(reverse("compliance:rectification", args=[notice.pk]))
    assert response.status_code == 200
    assert response.context["can_reply"] is True
    assert response.context["can_decide"] is False
    assert (
        client.get(reverse("compliance:inspection", args=[notice.inspection_id])).status_code == 404
    )


def test_pages_reply_with_a_file_and_decide(client, world, notice):
    client.force_login(world.users["leader_a"])
    url = reverse("compliance:rectification", args=[notice.pk])
    upload = SimpleUploadedFile("照片.png", b"\x89PNG...", content_type="image/png")
    response = client.post(url, {"measures": "已整改", "evidence": [upload]})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == "replied"
    evidence = notice.evidence.get()
    assert client.get(reverse("compliance:evidence", args=[evidence.pk])).status_code == 200
    # the leader cannot decide
    assert client.post(url, {"decision": "accept"}).status_code == 403
    client.force_login(world.users["official_a"])
    assert client.post(url, {"decision": "accept", "note": ""}).status_code == 302
    notice.refresh_from_db()
    assert notice.status == "accepted"


def test_pages_record_an_inspection_and_issue_a_notice(client, world):
    client.force_login(world.users["official_a"])
    response = client.post(
        reverse("compliance:inspections"),
        {
            "unit": world.school_a2.pk,
            "inspected_on": "2026-10-01",
            "items_checked": "课时",
            "findings": "",
        },
    )
    assert response.status_code == 302
    # another county's school is not a choice
    response = client.post(
        reverse("compliance:inspections"),
        {"unit": world.school_b.pk, "inspected_on": "2026-10-01", "items_checked": "x"},
    )
    assert response.status_code == 400


def test_api_inspections_create_and_list(client, world):
    client.force_login(world.users["official_a"])
    url = reverse("api-compliance-inspections")
    response = client.post(
        url,
        {"unit": world.school_a.code, "inspected_on": "2026-10-01", "items_checked": "课时"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    response = client.post(
        url,
        {"unit": world.school_b.code, "inspected_on": "2026-10-01", "items_checked": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert len(client.get(url).json()["results"]) == 1
    client.force_login(world.users["leader_a"])
    assert client.get(url).status_code == 403


def test_list_pages_query_count(client, world, notice, django_assert_max_num_queries):
    client.force_login(world.users["official_a"])
    for _ in range(3):
        svc.rectification_issue(
            actor=world.users["official_a"],
            inspection=notice.inspection,
            school=world.school_a,
            finding="x",
            deadline=notice.deadline,
        )
    with django_assert_max_num_queries(15):
        client.get(reverse("compliance:rectifications"))
    with django_assert_max_num_queries(15):
        client.get(reverse("compliance:inspections"))
