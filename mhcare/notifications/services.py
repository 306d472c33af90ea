"""Sending notifications: one inbox row per (recipient, key), and at most one e-mail for it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mhcare.core.fields import encrypt_str
from mhcare.notifications.models import EmailMode, EmailPreference, Notification

User = get_user_model()

NOT_RECIPIENT_ERROR = "Only the recipient may mark a notification read."


class Outgoing(NamedTuple):
    """One notification to send, for :func:`notification_send_many`. (A named tuple: the reminder
    scan builds tens of thousands, and a frozen dataclass's ``__init__`` is ≈ 4× slower.)"""

    recipient: Any
    kind: str
    key: str
    title: str
    body: str = ""
    url: str = ""
    send_email: bool = True
    urgent: bool = False
    # In-app only (never e-mailed): may name the student.
    detail: str = ""


def digest_user_ids(user_ids: Iterable[int]) -> set[int]:
    """Which of these users asked for one daily digest instead of an e-mail per message."""
    return set(
        EmailPreference.objects.filter(
            user_id__in=list(user_ids), mode=EmailMode.DIGEST
        ).values_list("user_id", flat=True)
    )


# 1 000 e-mails per task (≈ 20 s of a worker's time, well inside the batch task's time limit):
# at 200 a 69 000-reminder scan published 345 tasks after its commit, ≈ 2 s of the scan.
EMAIL_TASK_BATCH = 1000


def _enqueue_emails(notification_ids: list[int]) -> None:
    """After commit: one task for one e-mail, one task per ``EMAIL_TASK_BATCH`` for many (publishing
    23 000 messages one by one took 12 s of a reminder scan)."""
    if not notification_ids:
        return
    from mhcare.notifications.tasks import notification_email_task

    def enqueue() -> None:
        if len(notification_ids) == 1:
            notification_email_task.delay(notification_ids[0])
            return
        email_batches_enqueue(notification_ids)

    transaction.on_commit(enqueue, robust=True)


def email_batches_enqueue(notification_ids: list[int]) -> None:
    """Queue the e-mails of ``notification_ids``, ``EMAIL_TASK_BATCH`` to a task (on the reminders
    queue)."""
    from mhcare.notifications.tasks import notification_email_batch_task

    for start in range(0, len(notification_ids), EMAIL_TASK_BATCH):
        batch = notification_ids[start : start + EMAIL_TASK_BATCH]
        # a short ``argsrepr``: Celery's default is a ``saferepr`` of the 1 000 ids, built for
        # each message, as much time as publishing it
        notification_email_batch_task.apply_async(
            (batch,), argsrepr=f"([{batch[0]}, … {batch[-1]}: {len(batch)} ids],)"
        )


def notification_send(
    *,
    recipient: Any,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    send_email: bool = True,
    urgent: bool = False,
    detail: str = "",
) -> Notification:
    """Put a notification in ``recipient``'s inbox and e-mail it after commit — at once, or in the
    recipient's daily digest if they chose one and the message is not ``urgent``.

    Idempotent by ``(recipient, key)``: a second call with the same key returns the existing row and
    sends nothing. Notifications carry no student data beyond what their title says, so sending one
    is not itself audited; the action that caused it is.
    """
    outgoing = Outgoing(recipient, kind, key, title, body, url, send_email, urgent, detail)
    notification_send_many([outgoing])
    return Notification.objects.get(recipient=recipient, key=key)


# The rows as arrays, their texts once each: a scan sends thousands of notifications that say
# the same few things (``message`` indexes ``titles``/``bodies``/``urls``/``details``, 1-based);
# sending every text once per row made dumping the arrays a third of a 69 000-reminder scan.
_INSERT_SQL = """
INSERT INTO notifications_notification
    (recipient_id, kind, key, title, body, url, created_at, send_email, urgent, email_deferred,
     detail)
SELECT r.recipient_id, m.kind, r.key, m.title, m.body, r.url, %s::timestamptz, r.send_email,
       r.urgent, r.deferred, m.detail
FROM unnest(string_to_array(%s, ',')::bigint[], (string_to_array(%s, chr(31)))[2:]::varchar[],
            (string_to_array(%s, chr(31)))[2:]::varchar[], string_to_array(%s, ',')::integer[],
            string_to_array(%s, NULL)::boolean[], string_to_array(%s, NULL)::boolean[],
            string_to_array(%s, NULL)::boolean[])
     AS r(recipient_id, key, url, message, send_email, urgent, deferred)
JOIN unnest(%s::varchar[], %s::varchar[], %s::text[], %s::text[]) WITH ORDINALITY
     AS m(kind, title, body, detail, n) ON m.n = r.message
{conflict}
RETURNING id, send_email
"""
_ON_CONFLICT = "ON CONFLICT ON CONSTRAINT notification_once_per_key DO NOTHING"
# The per-row columns go as one string each, split by PostgreSQL: psycopg dumps a Python list
# element by element in Python, a string at once (69 000 rows: ≈ 1 s less). Keys and links are
# joined by the unit separator (chr 31), which neither contains (checked), after a leading one
# (``[2:]`` drops it: a lone empty link would otherwise split into no element); flags 't'/'f'.
_SEPARATOR = "\x1f"


def _joined(values: list[str]) -> str:
    joined = _SEPARATOR + _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) != len(values):
        raise ValueError("A notification key or link contains the unit separator (chr 31).")
    return joined


def _flags(values: list[bool]) -> str:
    return "".join("t" if value else "f" for value in values)


@transaction.atomic
def notification_send_many(items: Sequence[Outgoing], *, new_keys: bool = False) -> int:
    """Send many notifications in one statement (the reminder scan sends thousands at once): the
    same rules as :func:`notification_send`, rows that exist already are left alone. Returns how
    many were added.

    ``new_keys``: the caller expects none of these (recipient, key) to exist (the reminder engine:
    its keys are ledger rows it has just inserted). They are then inserted without ``ON CONFLICT``
    (its speculative insertion was ≈ a third of the statement at 23 000 rows), in a savepoint; if
    one exists after all (or a concurrent transaction commits one), the unique key refuses the
    insert and the savepoint is rolled back, and the usual ``ON CONFLICT DO NOTHING`` insert
    runs: the result is the same either way."""
    if not items:
        return 0
    digest = digest_user_ids({item.recipient.pk for item in items})
    recipients: list[str] = []
    keys: list[str] = []
    urls: list[str] = []
    indexes: list[str] = []
    emailed: list[bool] = []
    urgents: list[bool] = []
    deferreds: list[bool] = []
    texts: dict[tuple[str, str, str, str], int] = {}
    # the message number of each distinct (kind, title, body) as given (a detail is encrypted
    # row by row: each its own message), and each recipient's (id, has an e-mail address, chose
    # the digest): a scan's rows share a few of each, looked up once each
    numbers: dict[tuple[Any, Any, Any], str] = {}
    people: dict[int, tuple[str, bool, bool]] = {}
    for item in items:
        given = (item.kind, item.title, item.body)
        number = None if item.detail else numbers.get(given)
        if number is None:
            text = (
                item.kind,
                str(item.title)[:200],
                str(item.body),
                encrypt_str(str(item.detail)) if item.detail else "",
            )
            number = str(texts.setdefault(text, len(texts) + 1))
            if not item.detail:
                numbers[given] = number
        recipient = item.recipient
        person = people.get(id(recipient))
        if person is None:
            pk = recipient.pk
            person = people[id(recipient)] = (str(pk), bool(recipient.email), pk in digest)
        pk_text, has_email, digests = person
        emailable = item.send_email and has_email
        deferred = emailable and not item.urgent and digests
        recipients.append(pk_text)
        keys.append(item.key)
        urls.append(item.url[:500])
        indexes.append(number)
        emailed.append(emailable and not deferred)
        urgents.append(item.urgent)
        deferreds.append(deferred)
    messages: list[list[str]] = [[] for _ in range(4)]
    for text in texts:  # in insertion order: the n-th is message n
        for column, value in zip(messages, text, strict=True):
            column.append(value)
    params: list[Any] = [
        timezone.now(),
        ",".join(recipients),
        _joined(keys),
        _joined(urls),
        ",".join(indexes),
        _flags(emailed),
        _flags(urgents),
        _flags(deferreds),
        *messages,
    ]
    added: list[tuple[int, bool]] | None = None
    with connection.cursor() as cursor:
        if new_keys:
            try:
                with transaction.atomic():
                    cursor.execute(_INSERT_SQL.format(conflict=""), params)
                    added = cursor.fetchall()
            except IntegrityError:
                added = None
        if added is None:
            cursor.execute(_INSERT_SQL.format(conflict=_ON_CONFLICT), params)
            added = cursor.fetchall()
    _enqueue_emails([pk for pk, send_email in added if send_email])
    return len(added)


def preference_get(*, user: Any) -> str:
    preference = EmailPreference.objects.filter(user_id=user.pk).first()
    return preference.mode if preference else EmailMode.IMMEDIATE


@transaction.atomic
def preference_set(*, actor: Any, mode: str) -> EmailPreference:
    """The actor's own e-mail preference (no one sets another's)."""
    if mode not in EmailMode.values:
        raise ValidationError({"mode": _("Choose how your messages are e-mailed.")})
    preference, _created = EmailPreference.objects.update_or_create(
        user_id=actor.pk, defaults={"mode": mode}
    )
    return preference


def absolute_url(path: str) -> str:
    """``path`` on ``settings.SITE_URL``: a link in an e-mail must open from a mail client."""
    if not path or path.startswith(("http://", "https://")):
        return path
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}/{path.lstrip('/')}"


def _email_text(notification: Notification) -> str:
    """The e-mail: title and body only (never ``detail``, which may name the student), and an
    absolute link."""
    parts = [notification.body] if notification.body else []
    if notification.url:
        parts.append(absolute_url(notification.url))
    parts.append(_("You can read this message in your mhcare inbox."))
    return "\n\n".join(parts)


@transaction.atomic
def notification_email_deliver(*, notification_id: int) -> bool:
    """E-mail one notification unless it was already e-mailed. The row lock makes two workers that
    got the same task queue up behind each other; the second sees ``emailed_at`` and does nothing.
    Returns whether an e-mail was sent."""
    notification = (
        Notification.objects.select_for_update()
        .select_related("recipient")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.emailed_at is not None or not notification.send_email:
        return False
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        return False
    with translation.override(getattr(recipient, "language", None) or settings.LANGUAGE_CODE):
        send_mail(
            subject=notification.title,
            message=_email_text(notification),
            from_email=None,
            recipient_list=[recipient.email],
        )
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


# An e-mail whose task was never queued — the broker down at COMMIT: the after-commit hook is
# robust, so the write stands and only the e-mail is missing — or whose retries all failed (the
# mail server down for an hour) is queued again by a sweep once it is ``after`` old, for as long
# as it is younger than ``within``, at most ``limit`` per run: urgent ones (a critical result, an
# incident, an escalation) every 5 minutes on the alerts queue, the others (reminders of
# follow-ups, 上报 deadlines, reviews …: a day late is still worth sending, never lost) every hour
# in batches on the reminders queue.
@dataclass(frozen=True)
class EmailSweep:
    urgent: bool
    after: datetime.timedelta
    within: datetime.timedelta
    limit: int


URGENT_EMAIL_SWEEP = EmailSweep(
    urgent=True,
    after=datetime.timedelta(minutes=5),
    within=datetime.timedelta(hours=24),
    limit=500,
)
EMAIL_SWEEP = EmailSweep(
    urgent=False,
    after=datetime.timedelta(hours=1),
    within=datetime.timedelta(days=3),
    limit=20_000,
)


def notification_unsent_ids(
    sweep: EmailSweep, *, now: datetime.datetime | None = None
) -> list[int]:
    """The notifications of the sweep's kind (urgent or not) still to e-mail, oldest first:
    created between ``sweep.within`` and ``sweep.after`` ago, to an active recipient with an
    address (read through the partial index of that kind). Their e-mail task is idempotent: one
    queued twice sends once."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            urgent=sweep.urgent,
            send_email=True,
            emailed_at__isnull=True,
            email_deferred=False,
            created_at__lte=now - sweep.after,
            created_at__gt=now - sweep.within,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .order_by("created_at", "id")
        .values_list("id", flat=True)[: sweep.limit]
    )


def notification_urgent_unsent_ids(*, now: datetime.datetime | None = None) -> list[int]:
    """The urgent notifications still to e-mail (``notification_unsent_ids``)."""
    return notification_unsent_ids(URGENT_EMAIL_SWEEP, now=now)


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(NOT_RECIPIENT_ERROR)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Any) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


DIGEST_KIND = "notifications.digest"


def digest_key(day: datetime.date) -> str:
    return f"digest:{day.isoformat()}"


def notification_digest(*, today: datetime.date | None = None) -> int:
    """One e-mail a day for each user who chose the digest, listing the messages held for it since
    the last digest. Each user's digest is its own transaction: the held rows are locked, the digest
    notification (unique per user and day) is sent and the rows are marked in one commit, so a rerun
    — the same day or after a killed worker — sends nothing twice. Returns how many were sent."""
    key = digest_key(today or timezone.localdate())
    sent = 0
    user_ids = (
        Notification.objects.filter(email_deferred=True, digested_at__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for user in User.objects.filter(pk__in=list(user_ids), is_active=True).order_by("pk"):
        with transaction.atomic():
            held = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(recipient=user, email_deferred=True, digested_at__isnull=True)
                .order_by("created_at", "id")
            )
            if not held:
                continue
            if Notification.objects.filter(recipient=user, key=key).exists():
                # Today's digest is out; what arrived since waits for tomorrow's.
                continue
            with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
                lines = [
                    f"- {timezone.localtime(n.created_at):%m-%d %H:%M} {n.title}" for n in held
                ]
                notification_send(
                    recipient=user,
                    kind=DIGEST_KIND,
                    key=key,
                    title=_("Your messages of the day (%(count)s)") % {"count": len(held)},
                    body="\n".join(lines),
                    url=reverse("notifications:inbox"),
                    urgent=True,
                )
            Notification.objects.filter(pk__in=[n.pk for n in held]).update(
                digested_at=timezone.now()
            )
            sent += 1
    return sent
