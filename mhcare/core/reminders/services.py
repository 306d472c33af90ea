"""The reminder engine: who must be told what today, each reminder once (DESIGN.md
"Architecture": apps register their rules, the kernel runs them).

A rule is one set-based statement that an app registers (``register_rule``, from its
``AppConfig.ready()``): ``INSERT INTO <ledger> … SELECT <due things × recipients> ON CONFLICT ON
CONSTRAINT <once> DO NOTHING RETURNING object_id, due_on, recipient_id, stage[, count]``. Only the
rows that statement inserted are notified, in the same transaction (one per rule). So running the
scan twice, hourly as well as daily, or a worker killed mid-run whose task is redelivered, sends
nothing twice: a rule that committed is not repeated, a rule that did not commit left no trace. The
notification itself is idempotent too (``notification_send`` is unique by recipient and key; the
key is the ledger key).

The ledger row is (kind, object type, object id, due date, recipient, stage): ``due_on`` is the date
the reminder is about, so a new due date gives a new reminder; ``stage`` is the escalation step. A
reminder of a missed date (stage ≥ 1: overdue, missed, escalated) is urgent: e-mailed at once even
to users who chose the daily digest (``mhcare.notifications``); the others wait for their digest.

The statement of a rule is a template: ``{ledger}`` and ``{once}`` are the ledger's table and
unique constraint (``LEDGER_INSERT`` is the usual tail), the other names come from the rule's
``tables()``; every value is a bound parameter: the engine's ``kind``, ``object_type``, ``today``
(the local date), ``now`` and ``tz``, and what the rule's ``params(today, now)`` adds.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from mhcare.accounts.models import User
from mhcare.core.reminders.models import ONCE_CONSTRAINT, ReminderSent
from mhcare.notifications.services import Outgoing, notification_send_many

# The usual end of a rule's statement: its ``due`` CTE (object_id, due_on, recipient_id, stage)
# into the ledger, returning what was inserted. No ``DISTINCT``: a row repeated in ``due`` (a
# recipient reached twice) meets the first one in the unique key and is skipped like any other
# conflict, so it is inserted and returned once (the hash of 23 000 rows was ≈ 10 % of the
# statement).
LEDGER_INSERT = """
INSERT INTO {ledger} (kind, object_type, object_id, due_on, recipient_id, stage, sent_at)
SELECT %(kind)s, %(object_type)s, d.object_id, d.due_on, d.recipient_id, d.stage, now()
FROM due d WHERE d.recipient_id IS NOT NULL
ON CONFLICT ON CONSTRAINT {once} DO NOTHING
RETURNING object_id, due_on, recipient_id, stage"""


@dataclass(slots=True)
class Due:
    """One ledger row just inserted: a reminder to send. (Not frozen: a scan builds one per
    reminder, and a frozen dataclass's ``__init__``, a ``object.__setattr__`` per field, is ≈ 4×
    slower.)"""

    kind: str
    object_type: str
    object_id: int
    due_on: datetime.date
    recipient_id: int
    stage: int
    count: int = 0  # how many students, for the grouped rules
    namespace: str = ""  # the registering app's: prefixes the key and the notification kind

    @property
    def key(self) -> str:
        return (
            f"{self.namespace}:{self.kind}:{self.object_type}:{self.object_id}:"
            f"{self.due_on.isoformat()}:{self.stage}"
        )

    @property
    def notification_kind(self) -> str:
        return f"{self.namespace}.{self.kind}"


class Message(NamedTuple):
    title: str
    body: str = ""
    url: str = ""


@dataclass
class ScanResult:
    sent: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.sent.values())


# (dues of one run, today) -> what each due reminder says. Called once per rule, run and language
# of the recipients, with the dues of that language and inside its ``translation.override``, so it
# can load the objects of its dues in one query and compose each text once for all of them.
MessageBuilder = Callable[[Sequence[Due], datetime.date], Callable[[Due], Message]]
ParamsBuilder = Callable[[datetime.date, datetime.datetime], dict[str, Any]]


def _no_tables() -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Rule:
    """A reminder rule: ``name`` (what ``reminder_scan(rules=...)`` takes), the ledger ``kind`` and
    ``object_type`` it writes, its statement ``sql`` (see the module docstring), the ``params`` it
    adds, the ``tables`` it names, the ``messages`` it sends, whether its statement returns a fifth
    column ``count``, and the ``namespace`` (the app) of its keys and notification kinds."""

    name: str
    kind: str
    object_type: str
    sql: str
    params: ParamsBuilder
    messages: MessageBuilder
    namespace: str
    tables: Callable[[], dict[str, str]] = _no_tables
    counts: bool = False


_rules: dict[str, Rule] = {}


def register_rule(
    name: str,
    *,
    kind: str,
    object_type: str,
    sql: str,
    params: ParamsBuilder,
    messages: MessageBuilder,
    namespace: str,
    tables: Callable[[], dict[str, str]] = _no_tables,
    counts: bool = False,
) -> Rule:
    """Add a rule to the scan (in registration order). Registering the same rule again is a no-op;
    another rule under a taken name is refused."""
    rule = Rule(
        name=name,
        kind=kind,
        object_type=object_type,
        sql=sql,
        params=params,
        messages=messages,
        namespace=namespace,
        tables=tables,
        counts=counts,
    )
    existing = _rules.get(name)
    if existing is not None and existing != rule:
        raise ValueError(f"Another reminder rule is registered as {name!r}")
    _rules[name] = rule
    return rule


def unregister_rule(name: str) -> None:
    """Remove a rule (tests that register their own)."""
    _rules.pop(name, None)


def rule_names() -> tuple[str, ...]:
    return tuple(_rules)


def _params(rule: Rule, *, today: datetime.date, now: datetime.datetime) -> dict[str, Any]:
    return {
        **rule.params(today, now),
        "kind": rule.kind,
        "object_type": rule.object_type,
        "today": today,
        "now": now,
        "tz": settings.TIME_ZONE,
    }


def _insert(rule: Rule, *, today: datetime.date, now: datetime.datetime) -> list[Due]:
    sql = rule.sql.format(ledger=ReminderSent._meta.db_table, once=ONCE_CONSTRAINT, **rule.tables())
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(rule, today=today, now=now))
        rows = cursor.fetchall()
    kind, object_type, namespace = rule.kind, rule.object_type, rule.namespace
    if rule.counts:
        return [
            Due(kind, object_type, row[0], row[1], row[2], row[3], int(row[4]), namespace)
            for row in rows
        ]
    return [Due(kind, object_type, row[0], row[1], row[2], row[3], 0, namespace) for row in rows]


def _notify(rule: Rule, dues: Sequence[Due], today: datetime.date) -> None:
    """The notifications of the dues just inserted, in one statement. Dues are composed language
    by language: the rule's ``messages`` is called once per language of the recipients, inside
    that language's ``translation.override`` (not an override per due: at 69 000 dues the per-due
    switch and the per-due lookups were most of the scan's time, bench/README.md), so what it
    composes is in that language without asking for it per due."""
    if not dues:
        return
    recipients = User.objects.only("id", "email", "language").in_bulk(
        {d.recipient_id for d in dues}
    )
    by_language: dict[str, list[Due]] = {}
    for due in dues:
        language = recipients[due.recipient_id].language or settings.LANGUAGE_CODE
        by_language.setdefault(language, []).append(due)
    outgoing = []
    for language, group in by_language.items():
        with translation.override(language):
            compose = rule.messages(group, today)
            for due in group:
                message = compose(due)
                outgoing.append(
                    Outgoing(
                        recipients[due.recipient_id],
                        due.notification_kind,
                        due.key,
                        str(message.title),
                        str(message.body),
                        message.url,
                        True,
                        due.stage >= 1,
                    )
                )
    # the keys are those of the ledger rows just inserted: new, unless a notification outlived its
    # ledger row (then the ordinary ON CONFLICT insert runs, see notification_send_many)
    notification_send_many(outgoing, new_keys=True)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused while a rule runs: the rule allocates a few objects per reminder,
    none in a cycle, and tens of thousands of them set off collections that walk the worker's
    whole heap (≈ 0.05–0.1 s of CPU per 23 000 reminders). Reference counting frees them as
    usual; the collector resumes as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def reminder_scan(
    today: datetime.date | None = None,
    *,
    now: datetime.datetime | None = None,
    rules: Iterable[str] | None = None,
    after_rule: Callable[[str], None] | None = None,
) -> ScanResult:
    """Run the reminder rules (all registered, by default); see the module docstring. Each rule is
    one transaction: its ledger rows and its notifications commit together or not at all.
    ``after_rule`` is called after each committed rule (progress reporting, tests)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    result = ScanResult()
    for name in rules or rule_names():
        rule = _rules.get(name)
        if rule is None:
            raise ValueError(f"Unknown reminder rule: {name}")
        with transaction.atomic(), _no_cycle_collection():
            dues = _insert(rule, today=today, now=now)
            _notify(rule, dues, today)
        result.sent[name] = len(dues)
        if after_rule is not None:
            after_rule(name)
    return result
