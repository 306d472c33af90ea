import pytest
from django.core import mail
from django.urls import reverse

from mhcare.notifications.models import Notification
from mhcare.notifications.services import (
    notification_email_deliver,
    notification_mark_all_read,
    notification_send,
)
from mhcare.notifications.tasks import notification_email_task
from mhcare.notifications.views import is_local_path
from tests import factories


@pytest.fixture
def alice(db):
    return factories.UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def bob(db):
    return factories.UserFactory(username="bob", email="bob@example.org")


def send(recipient, key="followup:1:2026-09-10", **kwargs):
    defaults = {"kind": "followup_due", "title": "Follow-up due", "body": "Case 1", "url": "/x/"}
    return notification_send(recipient=recipient, key=key, **{**defaults, **kwargs})


def test_send_is_idempotent_and_emails_once(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = send(alice)
    with django_capture_on_commit_callbacks(execute=True) as callbacks_again:
        second = send(alice, title="changed")

    assert first.pk == second.pk
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert second.title == "Follow-up due"
    assert (len(callbacks), len(callbacks_again)) == (1, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]
    assert mail.outbox[0].subject == "Follow-up due"
    first.refresh_from_db()
    assert first.emailed_at is not None


def test_same_key_for_another_recipient_is_another_notification(alice, bob):
    send(alice)
    send(bob)
    assert Notification.objects.count() == 2


def test_task_is_idempotent(alice):
    notification = send(alice)  # on_commit never fires inside the test transaction
    assert mail.outbox == []
    assert notification_email_task.delay(notification.pk).get() is True
    assert notification_email_task.delay(notification.pk).get() is False
    assert notification_email_deliver(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_no_email_without_address_or_when_not_wanted(db, django_capture_on_commit_callbacks):
    nobody = factories.UserFactory(username="noemail", email="")
    alice = factories.UserFactory(username="alice2", email="a2@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        quiet = send(alice, key="k1", send_email=False)
        no_address = send(nobody, key="k2")
    assert mail.outbox == []
    assert notification_email_deliver(notification_id=quiet.pk) is False
    assert notification_email_deliver(notification_id=no_address.pk) is False
    assert notification_email_deliver(notification_id=999999) is False


def test_inbox_lists_only_own_notifications(client, alice, bob):
    send(alice, key="a1", title="For Alice")
    send(bob, key="b1", title="For Bob")
    client.force_login(alice)
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "For Alice" in content
    assert "For Bob" not in content


def test_inbox_requires_login(client, db):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_open_marks_read_and_redirects_to_local_path(client, alice):
    notification = send(alice, url="/students/1/")
    client.force_login(alice)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/students/1/"
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_open_never_redirects_off_site(client, alice, url):
    notification = send(alice, key=f"k-{url}", url=url)
    client.force_login(alice)
    response = client.get(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:inbox")


def test_another_users_notification_is_404_and_stays_unread(client, alice, bob):
    notification = send(bob)
    client.force_login(alice)
    assert client.get(reverse("notifications:open", args=[notification.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[987654])).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_is_post_and_only_own(client, alice, bob):
    send(alice, key="a1")
    send(alice, key="a2")
    send(bob, key="b1")
    client.force_login(alice)
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1
    assert notification_mark_all_read(actor=alice) == 0


def test_is_local_path():
    assert is_local_path("/crisis/cases/3/?tab=1")
    assert not is_local_path("http://localhost/")
    assert not is_local_path("relative/path")
