"""Referral pages: the scope matrix of every page (anonymous, wrong role, another school or
county, the other institution, a user with two roles in two units, allowed), the institution's
view (its referrals only, 404 before sending and after closing, nothing else of the student), the
case page's referral section and override, the home panels, and query bounds on the list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mhcare.accounts.models import Role
from mhcare.audit.models import Action, AuditEvent
from referrals import services
from referrals.models import Referral, ReferralState
from tests import factories
from tests.conftest import login
from tests.crisis.reporting.helpers import make_case
from tests.referrals.conftest import bring_to, do

S = ReferralState


def add_role(user, role, unit):
    factories.RoleAssignmentFactory(user=user, role=role, org_unit=unit)
    return user


@pytest.fixture
def two_roles(world):
    """Psychology teacher of school A and leader of school B."""
    user = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a, username="psych_a_lead_b")
    return add_role(user, Role.SCHOOL_LEADER, world.school_b)


# --- the scope matrix of the pages ----------------------------------------------------------------

READ_PAGES = ["referrals:list", "referrals:detail"]


@pytest.mark.parametrize("name", READ_PAGES)
def test_anonymous_goes_to_login(client, world, inst, name):
    referral = bring_to(world, S.SENT)
    args = [referral.pk] if name == "referrals:detail" else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["homeroom_a", "official_a", "official_province", "admin"])
@pytest.mark.parametrize("name", READ_PAGES)
def test_roles_that_never_see_referrals_get_403(client, world, inst, who, name):
    referral = bring_to(world, S.SENT)
    args = [referral.pk] if name == "referrals:detail" else []
    login(client, world.users[who])
    assert client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("psych_a", 200),
        ("leader_a", 200),
        ("center_a", 200),
        ("staff_h", 200),
        ("psych_b", 404),
        ("center_b", 404),
        ("staff_k", 404),
    ],
)
def test_detail_page_scope(client, world, inst, who, status):
    referral = bring_to(world, S.SENT)
    login(client, world.users[who])
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == status
    if status == 200:
        assert world.students["a"].name in response.content.decode()
        assert AuditEvent.objects.filter(
            actor=world.users[who], action=Action.VIEW, object_id=str(referral.pk)
        ).exists()


@pytest.mark.parametrize(
    ("who", "count"),
    [
        ("psych_a", 1),
        ("center_a", 1),
        ("psych_b", 0),
        ("center_b", 0),
        ("staff_h", 1),
        ("staff_k", 0),
    ],
)
def test_list_page_scope(client, world, inst, who, count):
    bring_to(world, S.SENT)
    bring_to(world, S.DRAFT, student_key="a_other_class")  # a draft: school side only
    login(client, world.users[who])
    response = client.get(reverse("referrals:list"))
    assert response.status_code == 200
    rows = response.content.decode().count("data-referral=")
    expected = count * 2 if who in ("psych_a", "center_a") else count
    assert rows == expected


def test_the_two_role_user_makes_referrals_in_a_and_only_reads_them_in_b(
    client, world, inst, two_roles
):
    referral_b = bring_to(world, S.GUARDIAN_INFORMED, student_key="b")
    referral_a = bring_to(world, S.GUARDIAN_INFORMED)
    login(client, two_roles)
    page_b = client.get(reverse("referrals:detail", args=[referral_b.pk]))
    assert page_b.status_code == 200
    assert 'data-testid="step-send"' not in page_b.content.decode()
    response = client.post(reverse("referrals:step", args=[referral_b.pk, "send"]))
    assert response.status_code == 403
    referral_b.refresh_from_db()
    assert referral_b.state == S.GUARDIAN_INFORMED
    page_a = client.get(reverse("referrals:detail", args=[referral_a.pk]))
    assert 'data-testid="step-send"' in page_a.content.decode()
    response = client.post(reverse("referrals:step", args=[referral_a.pk, "send"]))
    assert response.status_code == 302
    referral_a.refresh_from_db()
    assert referral_a.state == S.SENT


def test_the_two_role_user_overrides_only_where_she_leads(client, world, inst, two_roles):
    draft_b = bring_to(world, S.DRAFT, student_key="b")
    draft_a = bring_to(world, S.DRAFT)
    login(client, two_roles)
    response = client.post(reverse("referrals:override", args=[draft_a.pk]), {"reason": "急"})
    assert response.status_code == 403
    response = client.post(reverse("referrals:override", args=[draft_b.pk]), {"reason": "家长失联"})
    assert response.status_code == 302
    draft_a.refresh_from_db()
    draft_b.refresh_from_db()
    assert draft_a.override_at is None
    assert draft_b.override_by == two_roles


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("referrals:consent", {"guardian": "父亲", "way": "phone"}),
        ("referrals:override", {"reason": "急"}),
        ("referrals:feedback", {"assessment_summary": "x"}),
        ("referrals:return", {"certificate_note": "x"}),
        ("referrals:plan", {"plan": "x"}),
    ],
)
@pytest.mark.parametrize("who", ["homeroom_a", "official_a", "psych_b", "staff_k"])
def test_write_pages_refuse_others_and_change_nothing(client, world, inst, name, data, who):
    referral = bring_to(world, S.DRAFT)
    login(client, world.users[who])
    response = client.post(reverse(name, args=[referral.pk]), data)
    assert response.status_code in (403, 404)
    referral.refresh_from_db()
    assert referral.state == S.DRAFT
    assert referral.override_at is None


def test_create_page_from_a_case(client, world, inst):
    case = make_case(world.students["a"])
    login(client, world.users["psych_a"])
    url = reverse("referrals:create") + f"?student={world.students['a'].pk}&case={case.pk}"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "institution": world.inst_h.pk,
            "urgency": "urgent",
            "reason": "自伤计划",
            "observations": "",
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get(student=world.students["a"])
    assert referral.case == case
    assert referral.state == S.DRAFT


@pytest.mark.parametrize(
    ("who", "status"), [("psych_b", 404), ("leader_a", 403), ("staff_h", 403), ("homeroom_a", 403)]
)
def test_create_page_refuses(client, world, inst, who, status):
    login(client, world.users[who])
    url = reverse("referrals:create") + f"?student={world.students['a'].pk}"
    assert client.get(url).status_code == status


# --- the institution's view -----------------------------------------------------------------------


def test_institution_staff_see_nothing_before_sending_and_nothing_after_closing(
    client, world, inst
):
    referral = bring_to(world, S.GUARDIAN_INFORMED)
    login(client, world.users["staff_h"])
    url = reverse("referrals:detail", args=[referral.pk])
    assert client.get(url).status_code == 404
    do(world, referral, "school", "send")
    assert client.get(url).status_code == 200
    for side, action in [
        ("inst", "accept"),
        ("inst", "feedback"),
        ("school", "return"),
        ("school", "plan"),
        ("school", "close"),
    ]:
        referral = do(world, referral, side, action)
    assert client.get(url).status_code == 404


def test_institution_staff_see_nothing_else_of_the_student(client, world, inst):
    student = world.students["a"]
    case = make_case(student)
    bring_to(world, S.SENT, case=case)
    login(client, world.users["staff_h"])
    assert client.get(reverse("orgs:student_detail", args=[student.pk])).status_code in (403, 404)
    assert client.get(reverse("crisis:case_detail", args=[case.pk])).status_code in (403, 404)
    assert client.get(reverse("api-student-detail", args=[student.pk])).status_code in (403, 404)
    other = world.students["a_other_class"]
    assert client.get(reverse("orgs:student_detail", args=[other.pk])).status_code in (403, 404)


def test_institution_staff_accept_and_write_feedback_on_the_page(client, world, inst):
    referral = bring_to(world, S.SENT)
    login(client, world.users["staff_h"])
    page = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert 'data-testid="step-accept"' in page
    assert 'data-testid="consent-form"' not in page
    assert client.post(reverse("referrals:step", args=[referral.pk, "accept"])).status_code == 302
    response = client.post(
        reverse("referrals:feedback", args=[referral.pk]),
        {"assessment_summary": "评估：焦虑", "diagnosis": "焦虑障碍", "return_cleared": "on"},
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.state == S.FEEDBACK_RECEIVED
    assert referral.diagnosis == "焦虑障碍"


def test_a_refused_step_shows_the_error_and_keeps_the_state(client, world, inst):
    referral = bring_to(world, S.DRAFT)
    login(client, world.users["psych_a"])
    response = client.post(reverse("referrals:step", args=[referral.pk, "send"]))
    assert response.status_code == 400
    assert str(services.CONSENT_REQUIRED) in response.content.decode().replace("&#x27;", "'")


# --- case page, home panels, list bounds --------------------------------------------------------


def test_the_case_page_shows_its_referrals_and_the_override(client, world, inst):
    case = make_case(world.students["a"])
    referral = bring_to(world, S.DRAFT, case=case)
    services.referral_override_consent(
        actor=world.users["leader_a"], referral=referral, reason="家长失联"
    )
    login(client, world.users["psych_a"])
    page = client.get(reverse("crisis:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="case-referrals"' in page
    assert 'data-testid="case-override"' in page
    assert "家长失联" in page


def test_a_case_marked_referred_without_referral_leads_to_making_one(client, world, inst):
    from crisis.models import CaseStatus

    case = make_case(world.students["a"], status=CaseStatus.REFERRED)
    login(client, world.users["psych_a"])
    page = client.get(reverse("crisis:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="case-needs-referral"' in page
    assert 'data-testid="case-refer-link"' in page
    home = client.get(reverse("core:home")).content.decode()
    assert 'data-panel="referrals_school"' in home
    assert f"case={case.pk}" in home


def test_the_institution_home_lists_what_waits_for_it(client, world, inst):
    bring_to(world, S.SENT)
    login(client, world.users["staff_h"])
    home = client.get(reverse("core:home")).content.decode()
    assert 'data-panel="referrals_institution"' in home
    assert "/referrals/" in home


@pytest.mark.parametrize("who", ["psych_a", "staff_h"])
def test_the_list_runs_a_bounded_number_of_queries(
    client, world, inst, who, django_assert_max_num_queries
):
    keys = ["a", "a_other_class"]
    for key in keys:
        bring_to(world, S.SENT, student_key=key)
    login(client, world.users[who])
    client.get(reverse("referrals:list"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("referrals:list"))
    assert response.status_code == 200


# --- institutions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("center_a", 200),
        ("official_a", 200),
        ("psych_a", 200),
        ("staff_h", 200),
        ("homeroom_a", 403),
        ("admin", 403),
    ],
)
def test_institution_list_scope(client, world, inst, who, status):
    login(client, world.users[who])
    assert client.get(reverse("referrals:institution_list")).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("center_a", 302), ("center_b", 404), ("official_a", 403), ("psych_a", 403)]
)
def test_institution_edit_is_for_the_county_center_and_the_city(client, world, inst, who, status):
    login(client, world.users[who])
    url = reverse("referrals:institution_edit", args=[world.inst_h.pk])
    response = client.post(url, {"level": "tertiary", "is_accepting": ""})
    assert response.status_code == status
    world.inst_h.refresh_from_db()
    assert world.inst_h.is_accepting is (status != 302)


def test_a_city_official_adds_an_institution_profile(client, world, inst):
    from mhcare.orgs.models import OrgKind, OrgUnit

    unit = OrgUnit.objects.create(
        code="330106H2", name="西湖区第二医院", kind=OrgKind.INSTITUTION, parent=world.county_a
    )
    official_city = factories.user_with_role(Role.OFFICIAL, world.city, username="official_city")
    login(client, official_city)
    response = client.post(
        reverse("referrals:institution_create"),
        {"unit": unit.pk, "level": "secondary", "is_accepting": "on", "departments": "心理科"},
    )
    assert response.status_code == 302
    assert unit.institution_profile.departments == "心理科"


# --- the consent scan -----------------------------------------------------------------------------


@pytest.fixture
def scanned(world, inst):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = bring_to(world, S.DRAFT)
    scan = SimpleUploadedFile("同意书.png", b"\x89PNG\r\n\x1a\n demo", content_type="image/png")
    referral = services.referral_record_consent(
        actor=world.users["psych_a"], referral=draft, guardian="母亲", way="in_person", scan=scan
    )
    return do(world, referral, "school", "send")


@pytest.mark.parametrize(
    ("who", "status"),
    [("psych_a", 200), ("leader_a", 200), ("staff_h", 404), ("psych_b", 404), ("homeroom_a", 403)],
)
def test_the_consent_scan_is_for_the_school_side_and_audited(client, world, scanned, who, status):
    login(client, world.users[who])
    response = client.get(reverse("referrals:consent_scan", args=[scanned.pk]))
    assert response.status_code == status
    if status == 200:
        assert response.content.startswith(b"\x89PNG")
        assert response["Content-Type"] == "image/png"
        assert AuditEvent.objects.filter(
            actor=world.users[who], action=Action.DOWNLOAD, object_id=str(scanned.pk)
        ).exists()


def test_the_consent_page_form_uploads_the_scan(client, world, inst):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = bring_to(world, S.DRAFT)
    login(client, world.users["psych_a"])
    response = client.post(
        reverse("referrals:consent", args=[draft.pk]),
        {
            "guardian": "父亲",
            "way": "in_person",
            "scan": SimpleUploadedFile("a.pdf", b"%PDF-1.7 x", content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == S.GUARDIAN_INFORMED
    assert draft.consent_scan_type == "application/pdf"


def test_the_two_role_user_through_the_api(client, world, inst, two_roles):
    referral_b = bring_to(world, S.GUARDIAN_INFORMED, student_key="b")
    referral_a = bring_to(world, S.GUARDIAN_INFORMED)
    login(client, two_roles)
    listed = {row["id"] for row in client.get(reverse("api-referral-list")).json()["results"]}
    assert listed == {referral_a.pk, referral_b.pk}
    url_b = reverse("api-referral-transition", args=[referral_b.pk])
    response = client.post(url_b, {"action": "send"}, content_type="application/json")
    assert response.status_code == 403
    url_a = reverse("api-referral-transition", args=[referral_a.pk])
    response = client.post(url_a, {"action": "send"}, content_type="application/json")
    assert response.status_code == 200
    referral_b.refresh_from_db()
    assert referral_b.state == S.GUARDIAN_INFORMED


@pytest.mark.parametrize(
    ("who", "status"), [("center_a", 302), ("center_b", 404), ("psych_a", 403)]
)
def test_the_shares_refresh_page(client, world, inst, who, status):
    login(client, world.users[who])
    url = reverse("referrals:institution_shares_refresh", args=[world.inst_h.pk])
    assert client.post(url).status_code == status
