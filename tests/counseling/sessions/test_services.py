"""Session records: written by the counselor, from an appointment or not; a risk observed is
proposed to the crisis registry (never decided here); never deleted; archived after the
retention period; shared one by one."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from counseling.models import CounselingSession
from counseling.sessions import selectors, services
from mhcare.audit.models import AuditEvent
from screening.models import ProposalStatus, RiskProposal
from tests.counseling.room_helpers import SUMMARY, book, make_room, make_shift, record

pytestmark = pytest.mark.django_db


def test_the_counselor_records_a_session_encrypted(world):
    session = record(world)
    assert session.counselor == world.users["psych_a"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT summary FROM counseling_counselingsession WHERE id = %s", [session.pk]
        )
        stored = cursor.fetchone()[0]
    assert SUMMARY not in stored
    assert AuditEvent.objects.filter(
        object_type="counseling.counselingsession", action="create"
    ).exists()


@pytest.mark.parametrize("who", ["leader_a", "homeroom_a", "psych_b", "official_a"])
def test_others_record_no_session_of_student_a(world, who):
    with pytest.raises(PermissionDenied):
        record(world, actor=world.users[who])


def test_from_an_appointment_it_completes_it(world):
    shift = make_shift(make_room(world), world.users["psych_a"])
    appointment = book(world, shift, confirm=True)
    session = record(world, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == "completed"
    assert session.appointment == appointment
    with pytest.raises(ValidationError) as error:
        record(world, appointment=appointment)
    assert services.APPOINTMENT_HAS_SESSION in error.value.messages


def test_only_the_appointment_s_counselor_records_it(world):
    shift = make_shift(make_room(world), world.users["center_a"], actor=world.users["psych_a"])
    appointment = book(world, shift, confirm=True)
    with pytest.raises(PermissionDenied):
        record(world, appointment=appointment)


def test_a_risk_observed_is_proposed_to_the_crisis_registry(world):
    session = record(world, risk_observed="2", propose_risk=True)
    proposal = RiskProposal.objects.get(student=world.students["a"])
    assert proposal.level == "2"
    assert proposal.status == ProposalStatus.PENDING
    assert proposal.reasons == [services.REASON_COUNSELING]
    assert session.risk_proposed_at is not None
    record(world, risk_observed="3")  # noted, not proposed
    assert RiskProposal.objects.count() == 1


def test_validation(world):
    with pytest.raises(ValidationError) as error:
        record(
            world,
            theme=" ",
            summary="",
            duration_minutes=0,
            held_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert set(error.value.message_dict) == {"theme", "summary", "duration_minutes", "held_on"}


def test_never_deleted_by_model_queryset_or_sql(world):
    session = record(world)
    with pytest.raises(PermissionError):
        session.delete()
    with pytest.raises(PermissionError):
        CounselingSession.objects.filter(pk=session.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM counseling_counselingsession WHERE id = %s", [session.pk])
    assert CounselingSession.objects.filter(pk=session.pk).exists()


def test_archived_after_the_retention_period(world, settings):
    settings.COUNSELING_SESSION_RETENTION_YEARS = 2
    old = record(world, held_on=timezone.localdate() - datetime.timedelta(days=3 * 365))
    recent = record(world)
    assert services.session_archive_expired() == 1
    old.refresh_from_db()
    assert old.is_archived
    assert old.archived_at is not None
    actor = world.users["psych_a"]
    assert list(selectors.session_list(actor=actor)) == [recent]
    assert set(selectors.session_list(actor=actor, archived=True)) == {old, recent}
    assert services.session_archive_expired() == 0


def test_sharing(world, psych_a2):
    session = record(world)
    with pytest.raises(PermissionDenied):
        services.session_share(actor=psych_a2, session=session, recipient=psych_a2)
    with pytest.raises(ValidationError) as error:
        services.session_share(
            actor=world.users["psych_a"], session=session, recipient=world.users["homeroom_a"]
        )
    assert services.SHARE_TARGET in error.value.messages
    services.session_share(actor=world.users["leader_a"], session=session, recipient=psych_a2)
    assert list(selectors.session_list(actor=psych_a2)) == [session]
    with pytest.raises(ValidationError):
        services.session_share(actor=world.users["psych_a"], session=session, recipient=psych_a2)
