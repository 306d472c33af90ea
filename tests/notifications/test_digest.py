"""The per-user e-mail choice: each message at once, or one daily digest (urgent ones at once)."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from mhcare.notifications.models import EmailMode, EmailPreference, Notification
from mhcare.notifications.services import (
    DIGEST_KIND,
    Outgoing,
    notification_digest,
    notification_send,
    notification_send_many,
    preference_get,
    preference_set,
)
from tests import factories

TODAY = datetime.date(2026, 10, 12)


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice", email="alice@example.org", language="en")


@pytest.fixture
def bob(db):
    return factories.UserFactory(username="bob", email="bob@example.org", language="en")


def send(recipient, key, **kwargs):
    defaults = {"kind": "crisis.follow_up", "title": f"Message {key}", "url": "/x/"}
    return notification_send(recipient=recipient, key=key, **{**defaults, **kwargs})


def test_default_is_each_message_at_once(alice, django_capture_on_commit_callbacks):
    assert preference_get(user=alice) == EmailMode.IMMEDIATE
    with django_capture_on_commit_callbacks(execute=True):
        notification = send(alice, "k1")
    assert [m.subject for m in mail.outbox] == ["Message k1"]
    assert notification.email_deferred is False


def test_digest_holds_ordinary_messages_and_sends_urgent_ones_at_once(
    alice, bob, django_capture_on_commit_callbacks
):
    preference_set(actor=alice, mode=EmailMode.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        held = send(alice, "due-soon")
        urgent = send(alice, "overdue", urgent=True)
        other = send(bob, "due-soon")
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("alice@example.org", "Message overdue"),
        ("bob@example.org", "Message due-soon"),
    ]
    assert (held.email_deferred, held.send_email) == (True, False)
    assert (urgent.email_deferred, urgent.urgent) == (False, True)
    assert other.email_deferred is False
    # Both are in the inbox whatever the e-mail choice.
    assert Notification.objects.filter(recipient=alice).count() == 2


def test_digest_sends_one_email_a_day_listing_the_held_messages(
    alice, django_capture_on_commit_callbacks
):
    preference_set(actor=alice, mode=EmailMode.DIGEST)
    send(alice, "a")
    send(alice, "b")
    send(alice, "c", send_email=False)  # inbox-only messages are not e-mailed in the digest either
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digest(today=TODAY) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digest(today=TODAY) == 0
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["alice@example.org"]
    assert digest.subject == "Your messages of the day (2)"
    assert "Message a" in digest.body
    assert "Message b" in digest.body
    assert "Message c" not in digest.body
    assert Notification.objects.get(recipient=alice, kind=DIGEST_KIND).key == "digest:2026-10-12"
    assert not Notification.objects.filter(
        recipient=alice, email_deferred=True, digested_at__isnull=True
    ).exists()

    # What arrives after today's digest waits for tomorrow's, and is not repeated then.
    send(alice, "d")
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_digest(today=TODAY) == 0
        assert notification_digest(today=TODAY + datetime.timedelta(days=1)) == 1
    assert len(mail.outbox) == 2
    assert "Message d" in mail.outbox[1].body
    assert "Message a" not in mail.outbox[1].body


def test_no_digest_without_held_messages_or_for_inactive_users(alice, bob):
    preference_set(actor=alice, mode=EmailMode.DIGEST)
    preference_set(actor=bob, mode=EmailMode.DIGEST)
    send(bob, "x")
    bob.is_active = False
    bob.save()
    assert notification_digest(today=TODAY) == 0


def test_send_many_adds_only_new_rows_and_applies_each_recipients_choice(
    alice, bob, django_capture_on_commit_callbacks
):
    preference_set(actor=alice, mode=EmailMode.DIGEST)
    send(bob, "already")
    items = [
        Outgoing(recipient=alice, kind="k", key="one", title="One"),
        Outgoing(recipient=bob, kind="k", key="one", title="One"),
        Outgoing(recipient=bob, kind="k", key="already", title="Again"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send_many(items) == 2
        assert notification_send_many(items) == 0
    assert [m.to[0] for m in mail.outbox] == ["bob@example.org"]
    assert Notification.objects.get(recipient=bob, key="already").title == "Message already"


@pytest.mark.parametrize("repeat_in_batch", [False, True])
def test_send_many_of_keys_expected_new_falls_back_when_one_exists(
    alice, bob, django_capture_on_commit_callbacks, repeat_in_batch
):
    # new_keys (the reminder engine) inserts without ON CONFLICT; a key that exists after all,
    # or one given twice, must leave the same rows and e-mails as the ordinary insert
    send(bob, "already")
    items = [
        Outgoing(recipient=alice, kind="k", key="one", title="One"),
        Outgoing(recipient=bob, kind="k", key="one", title="One"),
        Outgoing(recipient=bob, kind="k", key="already", title="Again"),
    ]
    if repeat_in_batch:
        items = [items[0], items[0], items[1]]
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send_many(items, new_keys=True) == 2
        assert notification_send_many(items, new_keys=True) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "bob@example.org"]
    assert Notification.objects.get(recipient=bob, key="already").title == "Message already"
    assert Notification.objects.filter(key="one").count() == 2


def test_send_many_of_new_keys_inserts_them_all_and_emails_each_once(
    alice, bob, django_capture_on_commit_callbacks
):
    items = [
        Outgoing(recipient=user, kind="k", key=f"new-{n}", title=f"New {n}", urgent=n % 2 == 0)
        for n in range(3)
        for user in (alice, bob)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send_many(items, new_keys=True) == 6
    assert (
        sorted(m.to[0] for m in mail.outbox) == ["alice@example.org"] * 3 + ["bob@example.org"] * 3
    )
    assert set(Notification.objects.filter(urgent=True).values_list("key", flat=True)) == {
        "new-0",
        "new-2",
    }


def test_an_unknown_mode_is_refused(alice):
    with pytest.raises(Exception, match="Choose how"):
        preference_set(actor=alice, mode="hourly")
    assert not EmailPreference.objects.exists()


def test_settings_page_saves_the_users_own_choice(client, alice, bob):
    url = reverse("notifications:settings")
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(alice)
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="immediate"' in page.content.decode()
    assert "alice@example.org" in page.content.decode()
    response = client.post(url, {"mode": "digest"}, follow=True)
    assert "Your e-mail settings are saved." in response.content.decode()
    assert preference_get(user=alice) == EmailMode.DIGEST
    assert preference_get(user=bob) == EmailMode.IMMEDIATE


def test_settings_page_rejects_a_bad_choice_and_keeps_the_stored_one(client, alice):
    preference_set(actor=alice, mode=EmailMode.DIGEST)
    client.force_login(alice)
    response = client.post(reverse("notifications:settings"), {"mode": "never"})
    assert response.status_code == 200
    assert "Choose how your messages are e-mailed." in response.content.decode()
    assert preference_get(user=alice) == EmailMode.DIGEST


def test_many_emails_go_out_in_batch_tasks_once_each(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    from mhcare.notifications import services
    from mhcare.notifications.tasks import notification_email_batch_task

    users = [factories.UserFactory(username=f"u{i}", email=f"u{i}@example.org") for i in range(5)]
    items = [Outgoing(recipient=u, kind="k", key="batch", title="Batch") for u in users]
    monkeypatch.setattr(services, "EMAIL_TASK_BATCH", 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert notification_send_many(items) == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"u{i}@example.org" for i in range(5)]
    # A redelivered batch sends nothing twice.
    ids = list(Notification.objects.filter(key="batch").values_list("id", flat=True))
    assert notification_email_batch_task.delay(ids).get() == 0
    assert len(mail.outbox) == 5
