"""The audit log's hash chain: sealing is repeatable, and verify names each kind of tampering."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from mhcare.audit import chain
from mhcare.audit.models import AuditEvent, AuditSeal

pytestmark = pytest.mark.django_db


def _event(n: int) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_username=f"user{n}",
        action="view",
        object_type="student",
        object_id=str(n),
        detail={"rows": [n], "名": "值"},
    )


def _later() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=1)


def _as_tamperer(statement: str, params: list | None = None) -> None:
    """What a superuser bypassing the triggers could do (the app role cannot: test_db_roles)."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(statement, params or [])
        cursor.execute("SET session_replication_role = DEFAULT")


def test_sealing_twice_seals_once_and_the_chain_verifies():
    # given
    events = [_event(n) for n in range(5)]
    # when
    first = chain.seal_pending(now=_later(), batch=2)
    again = chain.seal_pending(now=_later(), batch=2)
    # then
    assert (first, again) == (3, 0)
    seals = list(AuditSeal.objects.order_by("last_id"))
    assert seals[-1].last_id == events[-1].pk
    assert [s.previous_hash for s in seals[1:]] == [s.hash for s in seals[:-1]]
    result = chain.verify(now=_later())
    assert result.is_intact, result.problems
    assert result.events == 5


def test_young_events_wait_for_the_seal_delay():
    _event(1)
    assert chain.seal_pending() == 0
    assert chain.verify().is_intact


def test_an_edited_event_breaks_its_seal():
    events = [_event(n) for n in range(3)]
    chain.seal_pending(now=_later())
    _as_tamperer(
        "UPDATE audit_auditevent SET actor_username = 'someone' WHERE id = %s", [events[1].pk]
    )
    result = chain.verify(now=_later())
    assert any("changed after sealing" in p for p in result.problems)


def test_a_deleted_event_breaks_its_seal():
    events = [_event(n) for n in range(3)]
    chain.seal_pending(now=_later())
    _as_tamperer("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = chain.verify(now=_later())
    assert any("events deleted" in p for p in result.problems)


def test_an_event_inserted_into_a_sealed_range_is_found():
    _event(1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('audit_auditevent', 'id'))")
        skipped = cursor.fetchone()[0]
    _event(2)
    chain.seal_pending(now=_later())
    AuditEvent.objects.create(id=skipped, actor_username="late", action="view")
    result = chain.verify(now=_later())
    assert any("events inserted" in p for p in result.problems)


def test_a_removed_seal_breaks_the_chain():
    for n in range(4):
        _event(n)
    chain.seal_pending(now=_later(), batch=2)
    first = AuditSeal.objects.order_by("last_id").first()
    _as_tamperer("DELETE FROM audit_auditseal WHERE id = %s", [first.pk])
    result = chain.verify(now=_later())
    assert any("a seal removed" in p for p in result.problems)


def test_unsealed_old_events_are_reported_and_the_command_fails(settings):
    _event(1)
    result = chain.verify(now=timezone.now() + datetime.timedelta(hours=2))
    assert any("not sealed" in p for p in result.problems)
    settings.AUDIT_SEAL_DELAY_SECONDS = 0
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("audit_verify")


def test_the_command_seals_and_reports_an_intact_log(capsys):
    _event(1)
    call_command("audit_verify", "--seal")
    assert "audit log intact" in capsys.readouterr().out


def test_seals_are_append_only():
    _event(1)
    chain.seal_pending(now=_later())
    seal = AuditSeal.objects.get()
    with pytest.raises(Exception, match="append-only"):
        AuditSeal.objects.filter(pk=seal.pk).update(hash="0" * 64)
