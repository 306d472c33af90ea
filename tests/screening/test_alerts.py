"""Critical results alert the school's psychology teachers and leaders once per result; campaign
entries upsert and re-propose; instrument versions with results are immutable."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mhcare.accounts.models import Role
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from screening.alerts import ALERT_TITLE, alert_critical_results, alert_key
from screening.loader import SHIPPED_FILES, load_instruments
from screening.models import (
    Campaign,
    CampaignInstrument,
    Instrument,
    ProposalStatus,
    ResultSource,
    RiskProposal,
    ScreeningResult,
)
from screening.services import (
    CAMPAIGN_NOT_FOR_INSTRUMENT,
    CAMPAIGN_NOT_FOR_SCHOOL,
    INSTRUMENT_IMMUTABLE,
    instrument_new_version,
    result_create,
)
from tests import factories


def enter(world, code, answers=None, *, student="a", campaign=None, scores=None, **kwargs):
    return result_create(
        actor=world.users[kwargs.pop("user", "psych_a")],
        student=world.students[student],
        instrument=Instrument.objects.latest_of(code),
        answers=answers,
        scores=scores,
        campaign=campaign,
        administered_on=timezone.localdate(),
        **kwargs,
    )


@pytest.fixture
def campaign(world, school_year):
    today = timezone.localdate()
    item = Campaign.objects.create(
        name="2026 秋季筛查",
        school_year=school_year,
        org_unit=world.county_a,
        window_start=today - datetime.timedelta(days=7),
        window_end=today + datetime.timedelta(days=7),
    )
    for code in ("PHQ-9", "ASQ", "SDQ"):
        CampaignInstrument.objects.create(
            campaign=item, instrument=Instrument.objects.latest_of(code), grade_min=4, grade_max=12
        )
    return item


def test_a_critical_result_alerts_psych_teacher_and_leader_once(
    world, django_capture_on_commit_callbacks
):
    # given another psych teacher at the school, one at another school, one inactive
    other = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a, username="psych_a_2")
    factories.user_with_role(Role.PSYCH_TEACHER, world.school_a2, username="psych_a2")
    gone = factories.user_with_role(Role.PSYCH_TEACHER, world.school_a, username="psych_gone")
    gone.assignments.update(is_active=False)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = enter(world, "ASQ", [0, None, 0, 0, 0])
    # then
    rows = Notification.objects.filter(key=alert_key(result.pk))
    expected = {world.users["psych_a"], world.users["leader_a"], other}
    assert {n.recipient for n in rows} == expected
    note = rows.get(recipient=world.users["psych_a"])
    assert note.url == reverse("orgs:student_detail", args=[world.students["a"].pk])
    assert note.kind == "screening_critical"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in expected)
    # nothing in the message names the student or a score
    for message in mail.outbox:
        assert world.students["a"].name not in message.subject + message.body
        assert "ASQ" not in message.body
    # when the alert runs again (the importer, a retry)
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_critical_results([result.pk, result.pk]) == 0
    assert rows.count() == 3
    assert len(mail.outbox) == 3


def test_alert_title_follows_the_recipients_language(world, django_capture_on_commit_callbacks):
    leader = world.users["leader_a"]
    leader.language = "en"
    leader.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = enter(world, "PHQ-9", [0] * 8 + [1])
    assert Notification.objects.get(recipient=leader, key=alert_key(result.pk)).title == (
        ALERT_TITLE
    )


def test_the_in_app_alert_names_student_and_item_the_email_does_not(
    world, django_capture_on_commit_callbacks, settings
):
    # given a psych teacher and a leader reading English, and the site's public address
    settings.SITE_URL = "https://mhcare.example.gov.cn"
    for key in ("psych_a", "leader_a"):
        world.users[key].language = "en"
        world.users[key].save()
    student = world.students["a"]
    # when PHQ-9 item 9 is positive
    with django_capture_on_commit_callbacks(execute=True):
        result = enter(world, "PHQ-9", [0] * 8 + [2])
    # then the psych teacher's inbox line names the student, class, instrument and item
    psych = Notification.objects.get(recipient=world.users["psych_a"], key=alert_key(result.pk))
    assert psych.detail == (
        f"{student.name} ({student.klass.name}) PHQ-9: "
        "Item 9 (thoughts of death or self-harm) positive"
    )
    # the leader's names the student and the band, never the item
    leader = Notification.objects.get(recipient=world.users["leader_a"], key=alert_key(result.pk))
    assert student.name in leader.detail
    assert "PHQ-9" in leader.detail
    assert "critical result" in leader.detail
    assert "Item 9" not in leader.detail
    assert "self-harm" not in leader.detail
    # the detail is encrypted at rest
    with connection.cursor() as cursor:
        cursor.execute("SELECT detail FROM notifications_notification WHERE id = %s", [psych.pk])
        assert student.name not in cursor.fetchone()[0]
    # two alerts about two students differ in the inbox
    with django_capture_on_commit_callbacks(execute=True):
        other = enter(world, "PHQ-9", [0] * 8 + [1], student="a_other_class")
    other_detail = Notification.objects.get(
        recipient=world.users["psych_a"], key=alert_key(other.pk)
    ).detail
    assert other_detail != psych.detail
    # the e-mails carry no name, no item, and an absolute link
    path = reverse("orgs:student_detail", args=[student.pk])
    for message in mail.outbox:
        assert student.name not in message.subject + message.body
        assert "Item 9" not in message.body
        assert "第 9 题" not in message.body
    assert any(f"https://mhcare.example.gov.cn{path}" in message.body for message in mail.outbox)
    # the inbox page shows the detail to its recipient
    client = Client()
    client.force_login(world.users["psych_a"])
    page = client.get(reverse("notifications:inbox"))
    assert student.name in page.content.decode()


def test_a_result_that_is_not_critical_alerts_nobody(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = enter(world, "PHQ-9", [3] * 8 + [0])
    assert result.band == "severe"
    assert not Notification.objects.exists()
    assert alert_critical_results([result.pk]) == 0


def test_bulk_alert_for_imported_results_counts_what_it_added(world):
    results = [
        ScreeningResult.objects.create(
            student=world.students[key],
            school_id=world.students[key].school_id,
            county_id=world.students[key].county_id,
            instrument=Instrument.objects.latest_of("PHQ-9"),
            answers=[0] * 8 + [2],
            total=2,
            band="minimal",
            is_critical=True,
            administered_on=timezone.localdate(),
            source=ResultSource.IMPORT,
        )
        for key in ("a", "a_other_class", "b")
    ]
    ids = [r.pk for r in results]
    assert alert_critical_results(ids) == 5  # 2 recipients × 2 at school A, 1 at school B
    assert alert_critical_results(ids) == 0
    assert Notification.objects.filter(recipient=world.users["psych_b"]).count() == 1


def test_campaign_entry_upserts_and_replaces_the_pending_proposal(world, campaign):
    first = enter(world, "PHQ-9", [2, 2, 2, 2, 2, 0, 0, 0, 0], campaign=campaign)
    assert RiskProposal.objects.get().level == "3"
    # re-scored higher: the same row, the same pending proposal with the new level
    second = enter(world, "PHQ-9", [3, 3, 3, 3, 3, 0, 0, 0, 1], campaign=campaign)
    assert second.pk == first.pk
    assert ScreeningResult.objects.count() == 1
    second.refresh_from_db()
    assert (second.total, second.band, second.is_critical) == (16, "moderately_severe", True)
    proposal = RiskProposal.objects.get()
    assert (proposal.level, proposal.reasons) == ("2", ["phq9_item9", "phq9_total_15"])
    assert AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(first.pk)).exists()
    # the same entry again changes nothing
    before = AuditEvent.objects.count()
    enter(world, "PHQ-9", [3, 3, 3, 3, 3, 0, 0, 0, 1], campaign=campaign)
    assert AuditEvent.objects.count() == before
    # re-scored below every threshold: the pending proposal goes
    enter(world, "PHQ-9", [0] * 9, campaign=campaign)
    assert not RiskProposal.objects.exists()


def test_a_confirmed_proposal_is_kept_and_not_duplicated(world, campaign):
    enter(world, "ASQ", [1, 0, 0, 0, 0], campaign=campaign)
    RiskProposal.objects.update(status=ProposalStatus.CONFIRMED)
    enter(world, "ASQ", [1, 1, 0, 0, 0], campaign=campaign)
    assert list(RiskProposal.objects.values_list("status", "level")) == [("confirmed", "2")]
    enter(world, "ASQ", [1, 1, 0, 0, 1], campaign=campaign)
    assert sorted(RiskProposal.objects.values_list("status", "level")) == [
        ("confirmed", "2"),
        ("pending", "1"),
    ]


def test_without_a_campaign_every_entry_is_a_new_result(world):
    enter(world, "PHQ-9", [0] * 9)
    enter(world, "PHQ-9", [0] * 9)
    assert ScreeningResult.objects.count() == 2


def test_score_level_entry_through_the_service(world, campaign):
    result = enter(
        world,
        "SDQ",
        scores={"emotional": 8, "conduct": 4, "hyperactivity": 4, "peer": 4, "prosocial": 7},
        campaign=campaign,
        source=ResultSource.GRID,
    )
    result.refresh_from_db()
    assert (result.total, result.band, result.answers, result.source) == (
        20,
        "abnormal",
        [],
        "grid",
    )
    assert result.scores["total"] == 20
    with pytest.raises(ValidationError):
        enter(world, "SDQ", [1, 2, 3], campaign=campaign)


def test_campaign_must_cover_school_and_instrument(world, campaign):
    with pytest.raises(ValidationError) as info:
        enter(world, "PHQ-9", [0] * 9, student="b", user="psych_b", campaign=campaign)
    assert info.value.messages == [str(CAMPAIGN_NOT_FOR_SCHOOL)]
    with pytest.raises(ValidationError) as info:
        enter(world, "GAD-7", [0] * 7, campaign=campaign)
    assert info.value.messages == [str(CAMPAIGN_NOT_FOR_INSTRUMENT)]
    assert not ScreeningResult.objects.exists()


def test_self_administered_results_need_a_campaign_and_have_no_actor(world, campaign):
    result = result_create(
        actor=None,
        student=world.students["a"],
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=[0] * 9,
        administered_on=timezone.localdate(),
        campaign=campaign,
        source=ResultSource.SELF,
    )
    assert result.entered_by is None
    with pytest.raises(ValidationError):
        result_create(
            actor=None,
            student=world.students["a"],
            instrument=Instrument.objects.latest_of("PHQ-9"),
            answers=[0] * 9,
            administered_on=timezone.localdate(),
            source=ResultSource.SELF,
        )
    with pytest.raises(PermissionDenied):
        enter(world, "PHQ-9", [0] * 9, user="homeroom_a", source=ResultSource.SELF)


def test_an_instrument_version_with_results_is_immutable(world):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    # without results it may still be corrected
    phq9.definition["source"] = "corrected"
    phq9.save()
    enter(world, "PHQ-9", [0] * 9)
    phq9.definition["bands"][0]["max"] = 5
    with pytest.raises(ValidationError) as info:
        phq9.save()
    assert info.value.messages == [str(INSTRUMENT_IMMUTABLE)]
    # the database refuses a bulk update too
    with pytest.raises(IntegrityError), transaction.atomic():
        Instrument.objects.filter(pk=phq9.pk).update(definition={"items": []})
    # the name (a display text) may change
    Instrument.objects.filter(pk=phq9.pk).update(name="PHQ-9 新名")


def test_a_change_is_a_new_version(world):
    phq9 = Instrument.objects.latest_of("PHQ-9")
    enter(world, "PHQ-9", [0] * 9)
    definition = {**phq9.definition, "source": "v2"}
    with pytest.raises(PermissionDenied):
        instrument_new_version(actor=world.users["psych_a"], instrument=phq9, definition=definition)
    created = instrument_new_version(
        actor=world.users["admin"], instrument=phq9, definition=definition
    )
    assert (created.code, created.version) == ("PHQ-9", 2)
    assert Instrument.objects.latest_of("PHQ-9") == created
    assert AuditEvent.objects.filter(object_id=str(created.pk), action=Action.CREATE).exists()
    phq9.refresh_from_db()
    assert phq9.definition["source"] != "v2"


def test_the_loader_is_idempotent_and_skips_existing_versions(db):
    codes = {"PHQ-9", "PHQ-A", "GAD-7", "ASQ", "SDQ", "MHT", "MSSMHS", "SCL-90"}
    assert set(Instrument.objects.values_list("code", flat=True)) == codes
    Instrument.objects.filter(code="GAD-7").update(name="changed")
    assert load_instruments(Instrument) == 0
    assert load_instruments(Instrument, SHIPPED_FILES) == 0
    assert Instrument.objects.get(code="GAD-7").name == "changed"
    assert Instrument.objects.count() == 8
    assert {i.code: i.kind for i in Instrument.objects.all()}["SCL-90"] == "score"
