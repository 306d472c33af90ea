"""Small registries through which domain apps show their records in kernel pages without the kernel
importing them. Each app registers its providers from ``AppConfig.ready()``.

- timeline: events for a student's growth file (一生一策);
- todo: items for a user's home page ("students to review", "follow-ups due", ...);
- student sections: whole sections of the student's page (trend charts, the support plan).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime.datetime
    kind: str  # e.g. "screening", "observation", "case"
    title: str
    detail: str = ""
    url: str = ""
    level: str = ""  # risk colour where it has one: red / orange / yellow / green

    @property
    def when(self) -> str:
        """``at`` in the local time zone as the student page shows it (the ``date:"Y-m-d H:i"``
        filter's text, without its cost: a long history shows hundreds of events)."""
        at = timezone.localtime(self.at) if timezone.is_aware(self.at) else self.at
        return at.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class TodoPanel:
    """One panel of a home page: a title, rows and the link to the full list."""

    key: str
    title: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    empty_text: str = ""
    template: str = "core/panels/list.html"
    order: int = 100


TimelineProvider = Callable[[Any, Any], Iterable[TimelineEvent]]  # (actor, student) -> events
TodoProvider = Callable[[Any], Iterable[TodoPanel]]  # (actor) -> panels

_timeline: list[TimelineProvider] = []
_todo: list[TodoProvider] = []


def register_timeline(provider: TimelineProvider) -> TimelineProvider:
    if provider not in _timeline:
        _timeline.append(provider)
    return provider


def register_todo(provider: TodoProvider) -> TodoProvider:
    if provider not in _todo:
        _todo.append(provider)
    return provider


def timeline_for(actor: Any, student: Any) -> list[TimelineEvent]:
    events = [event for provider in _timeline for event in provider(actor, student)]
    return sorted(events, key=lambda e: e.at, reverse=True)


def todo_for(actor: Any) -> list[TodoPanel]:
    panels = [panel for provider in _todo for panel in provider(actor)]
    return sorted(panels, key=lambda p: p.order)


@dataclass(frozen=True)
class StudentAction:
    """A link on the student page to something an app offers for a student ("Enter PHQ-9")."""

    label: str
    url: str
    order: int = 100


StudentActionProvider = Callable[[Any, Any], Iterable[StudentAction]]  # (actor, student) -> actions
DemoSeeder = Callable[..., None]  # called by seed_demo after the org tree and people exist

_student_actions: list[StudentActionProvider] = []
_demo_seeders: list[tuple[int, DemoSeeder]] = []


def register_student_action(provider: StudentActionProvider) -> StudentActionProvider:
    if provider not in _student_actions:
        _student_actions.append(provider)
    return provider


def student_actions_for(actor: Any, student: Any) -> list[StudentAction]:
    actions = [a for provider in _student_actions for a in provider(actor, student)]
    return sorted(actions, key=lambda a: a.order)


def register_demo_seeder(seeder: DemoSeeder, order: int = 100) -> DemoSeeder:
    """Apps add their demo records (screening results, ...) to ``seed_demo``; each seeder must be
    deterministic and idempotent, and receives keyword arguments ``stdout`` and ``today``."""
    if all(existing is not seeder for _, existing in _demo_seeders):
        _demo_seeders.append((order, seeder))
    return seeder


def demo_seeders() -> list[DemoSeeder]:
    return [seeder for _, seeder in sorted(_demo_seeders, key=lambda item: item[0])]


@dataclass(frozen=True)
class StudentSection:
    """A section of the student's page (一生一策 growth file) that an app renders with its own
    template: a score-trend chart, the support plan, ... ``context`` reaches the template as
    ``section.context``."""

    key: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


StudentSectionProvider = Callable[[Any, Any], Iterable[StudentSection]]  # (actor, student)

_student_sections: list[StudentSectionProvider] = []


def register_student_section(provider: StudentSectionProvider) -> StudentSectionProvider:
    """Apps add sections to the student page; a provider returns nothing for users who may not see
    its section."""
    if provider not in _student_sections:
        _student_sections.append(provider)
    return provider


def student_sections_for(actor: Any, student: Any) -> list[StudentSection]:
    sections = [s for provider in _student_sections for s in provider(actor, student)]
    return sorted(sections, key=lambda s: s.order)


@dataclass(frozen=True)
class NavItem:
    """An entry of the header menu that an app offers to the people who may use it."""

    label: str
    url: str
    order: int = 100
    # The header menu's group (a key of ``NAV_GROUPS``): entries of one group open from one
    # heading, so a psychology teacher's twenty entries fit on one line. Empty: a link of its own.
    group: str = ""


# The header menu's groups, in the order they appear (key, label). Labels are lazy: each page
# renders them in its user's language.
NAV_GROUPS: tuple[tuple[str, Any], ...] = (
    ("students", _("Students")),
    ("screening", _("Screening")),
    ("crisis", _("Crisis")),
    ("counseling", _("Counseling")),
    ("provision", _("Provision")),
    ("oversight", _("Oversight")),
    ("system", _("System")),
)


NavProvider = Callable[[Any], Iterable[NavItem]]  # (actor) -> items

_nav: list[NavProvider] = []


def register_nav(provider: NavProvider) -> NavProvider:
    if provider not in _nav:
        _nav.append(provider)
    return provider


def nav_for(actor: Any) -> list[NavItem]:
    return [item for provider in _nav for item in provider(actor)]


@dataclass(frozen=True)
class CaseSection:
    """A section of a crisis case's page that another app renders with its own template (the
    referrals of the case's student, issue 10): apps above crisis show there without crisis
    importing them. ``context`` reaches the template as ``section.context``."""

    key: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


CaseSectionProvider = Callable[[Any, Any], Iterable[CaseSection]]  # (actor, case)

_case_sections: list[CaseSectionProvider] = []


def register_case_section(provider: CaseSectionProvider) -> CaseSectionProvider:
    if provider not in _case_sections:
        _case_sections.append(provider)
    return provider


def case_sections_for(actor: Any, case: Any) -> list[CaseSection]:
    sections = [s for provider in _case_sections for s in provider(actor, case)]
    return sorted(sections, key=lambda s: s.order)


# --- data changed (issue 12: snapshots refreshed after imports) ----------------------------------
# An importer that commits data other apps aggregate (screening results, rosters, lessons) calls
# ``data_changed(unit_ids, kind)``; the listeners run after the commit (never for a rolled-back
# import) and must be cheap (e.g. mark a unit for a debounced refresh). The kernel knows no
# listener: apps subscribe from ``AppConfig.ready()``.

DataChangedListener = Callable[[list[int], str], None]  # (unit ids, kind e.g. "screening")

_data_changed: list[DataChangedListener] = []


def register_data_changed(listener: DataChangedListener) -> DataChangedListener:
    if listener not in _data_changed:
        _data_changed.append(listener)
    return listener


def data_changed(unit_ids: Iterable[int], kind: str) -> None:
    """Announce that data of ``unit_ids`` changed; the listeners are called once the current
    transaction commits (at once outside a transaction)."""
    from django.db import transaction

    ids = sorted({int(u) for u in unit_ids if u is not None})
    if not ids or not _data_changed:
        return

    def notify() -> None:
        for listener in list(_data_changed):
            listener(ids, kind)

    transaction.on_commit(notify, robust=True)
