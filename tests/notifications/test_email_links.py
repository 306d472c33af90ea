"""Every e-mail link is absolute on SITE_URL (reminders, incident notices, alerts and the digest
all go through the notification e-mail), and the in-app ``detail`` is never e-mailed."""

from django.core import mail

from mhcare.notifications.models import Notification
from mhcare.notifications.services import absolute_url, notification_send
from tests import factories


def test_absolute_url_joins_site_url_and_path(settings):
    settings.SITE_URL = "https://mhcare.example.gov.cn/"
    assert (
        absolute_url("/crisis/incidents/5/") == "https://mhcare.example.gov.cn/crisis/incidents/5/"
    )
    assert absolute_url("https://elsewhere.example/x") == "https://elsewhere.example/x"
    assert absolute_url("") == ""


def test_the_email_link_is_absolute_and_the_detail_stays_in_the_app(
    db, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://mhcare.example.gov.cn"
    user = factories.UserFactory(username="carol", email="carol@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipient=user,
            kind="incident",
            key="incident:5",
            title="An extreme incident was reported",
            body="Open it to follow the emergency checklist.",
            url="/crisis/incidents/5/",
            urgent=True,
            detail="张小明（八(1)班）",
        )
    (message,) = mail.outbox
    assert "https://mhcare.example.gov.cn/crisis/incidents/5/" in message.body
    assert "张小明" not in message.subject + message.body
    stored = Notification.objects.get(recipient=user)
    assert stored.url == "/crisis/incidents/5/"  # the in-app link stays a local path
    assert stored.detail == "张小明（八(1)班）"
