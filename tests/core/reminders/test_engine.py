"""The reminder engine: "each reminder once" (running the scan twice, or the hourly run, sends
nothing twice), today is the local date, reminders of a missed date are e-mailed at once while the
others wait for the digest, and the rule registry (a rule the test registers itself, names taken,
unknown rules). The crisis rules serve as real rules here; their own boundaries are tested in
``tests/crisis/reminders``."""

import datetime
import zoneinfo

import pytest
from django.core import mail

from crisis.reminders import rules
from mhcare.accounts.models import User
from mhcare.core.models import ReminderSent
from mhcare.core.reminders import services, tasks
from mhcare.core.reminders.services import LEDGER_INSERT, Due, Message, reminder_scan
from mhcare.notifications.models import EmailMode, Notification
from mhcare.notifications.services import notification_digest, preference_set
from tests.crisis.reporting.helpers import make_case

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 10, 12)
NOON = datetime.datetime(2026, 10, 12, 12, 0, tzinfo=SHANGHAI)


def ledger(**filters):
    return set(
        ReminderSent.objects.filter(**filters).values_list(
            "kind", "object_id", "recipient__username", "stage"
        )
    )


def scan(names, today=TODAY, now=NOON):
    return reminder_scan(today, now=now, rules=names)


def test_running_the_scan_twice_sends_nothing_twice(world, django_capture_on_commit_callbacks):
    make_case(
        world.students["a"],
        responsible=world.users["psych_a"],
        next_follow_up_due=TODAY - datetime.timedelta(days=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = scan(None)
    with django_capture_on_commit_callbacks(execute=True):
        second = scan(None)
    assert first.total == 3
    assert second.total == 0
    assert Notification.objects.count() == 3
    assert len(mail.outbox) == 3
    # the hourly run of the same day sends nothing new either
    with django_capture_on_commit_callbacks(execute=True):
        sent = tasks.reminder_scan_task.delay().get()
    # every registered rule ran (other apps register theirs too) and none sent anything again
    assert set(rules.RULES) <= set(sent)
    assert set(sent.values()) == {0}
    assert len(mail.outbox) == 3


def test_today_is_the_date_in_shanghai_not_utc(world):
    """23:30 UTC on the 11th is 07:30 on the 12th in Shanghai: a follow-up due on the 12th is due
    today (stage 0), one due on the 11th is overdue (stage 1)."""
    now = datetime.datetime(2026, 10, 11, 23, 30, tzinfo=datetime.UTC)
    due_today = make_case(
        world.students["a"],
        responsible=world.users["psych_a"],
        next_follow_up_due=datetime.date(2026, 10, 12),
    )
    due_yesterday = make_case(
        world.students["a_other_class"], next_follow_up_due=datetime.date(2026, 10, 11)
    )
    reminder_scan(now=now, rules=["follow_up"])
    assert ledger(object_id=due_today.pk) == {("follow_up", due_today.pk, "psych_a", 0)}
    assert {stage for *_, stage in ledger(object_id=due_yesterday.pk)} == {1}


def test_digest_holds_due_soon_reminders_and_emails_missed_dates_at_once(
    world, django_capture_on_commit_callbacks
):
    psych = world.users["psych_a"]
    preference_set(actor=psych, mode=EmailMode.DIGEST)
    make_case(
        world.students["a"],
        responsible=psych,
        next_follow_up_due=TODAY + datetime.timedelta(days=1),
    )
    make_case(
        world.students["a2"],
        responsible=psych,
        next_follow_up_due=TODAY - datetime.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        scan(["follow_up"])
    # The overdue one (a missed date) is urgent: e-mailed at once; the due-soon one waits.
    assert [(m.to[0], m.subject.split(" since")[0]) for m in mail.outbox] == [
        (psych.email, "Follow-up overdue")
    ]
    assert Notification.objects.filter(recipient=psych).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digest(today=TODAY) == 1
        assert notification_digest(today=TODAY) == 0
    digests = mail.outbox[1:]
    assert len(digests) == 1
    assert digests[0].to == [psych.email]
    assert "Follow-up due on" in digests[0].body
    assert "overdue" not in digests[0].body


def test_an_unknown_rule_is_refused(world):
    with pytest.raises(ValueError, match="Unknown"):
        scan(["nonsense"])


# --- the registry: a rule of the test's own -------------------------------------------------------

# Every active user named in %(names)s is due today; stage 1 (a missed date) for the first name.
PING_SQL = (
    "WITH"  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + """ due AS (
    SELECT u.id AS object_id, %(today)s::date AS due_on, u.id AS recipient_id,
           CASE WHEN u.username = %(late)s THEN 1 ELSE 0 END AS stage
    FROM {user} u WHERE u.is_active AND u.username = ANY(%(names)s)
)"""
    + LEDGER_INSERT
)


def _ping_messages(dues, today):
    def message(due: Due) -> Message:
        return Message(f"ping {due.object_id}", f"stage {due.stage}", "/ping/")

    return message


@pytest.fixture
def ping_rule():
    names = ["psych_a", "leader_a"]
    rule = services.register_rule(
        "ping",
        kind="ping",
        object_type="user",
        sql=PING_SQL,
        params=lambda today, now: {"names": names, "late": "leader_a"},
        messages=_ping_messages,
        namespace="test",
        tables=lambda: {"user": User._meta.db_table},
    )
    yield rule
    services.unregister_rule("ping")


def test_a_registered_rule_sends_each_reminder_once(
    world, ping_rule, django_capture_on_commit_callbacks
):
    assert services.rule_names()[-1] == "ping"
    psych, leader = world.users["psych_a"], world.users["leader_a"]
    preference_set(actor=psych, mode=EmailMode.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        assert scan(["ping"]).sent == {"ping": 2}
        assert scan(["ping"]).sent == {"ping": 0}
    assert ledger() == {("ping", psych.pk, "psych_a", 0), ("ping", leader.pk, "leader_a", 1)}
    notes = {n.recipient_id: n for n in Notification.objects.all()}
    assert set(notes) == {psych.pk, leader.pk}
    assert notes[psych.pk].kind == "test.ping"
    assert notes[psych.pk].key == f"test:ping:user:{psych.pk}:{TODAY.isoformat()}:0"
    assert notes[leader.pk].title == f"ping {leader.pk}"
    # the missed date (stage 1) is e-mailed at once; the other waits for the psych's digest
    assert [m.to[0] for m in mail.outbox] == [leader.email]


def test_a_taken_rule_name_is_refused_and_the_same_rule_again_is_a_no_op(ping_rule):
    again = services.register_rule(
        "ping",
        kind=ping_rule.kind,
        object_type=ping_rule.object_type,
        sql=ping_rule.sql,
        params=ping_rule.params,
        messages=ping_rule.messages,
        namespace=ping_rule.namespace,
        tables=ping_rule.tables,
    )
    assert again == ping_rule
    with pytest.raises(ValueError, match="Another reminder rule"):
        services.register_rule(
            "follow_up",
            kind="ping",
            object_type="user",
            sql=PING_SQL,
            params=ping_rule.params,
            messages=_ping_messages,
            namespace="test",
        )


def test_the_crisis_rules_are_registered_in_scan_order():
    assert services.rule_names()[: len(rules.RULES)] == rules.RULES
