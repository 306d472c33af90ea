"""Home-page panels of the crisis app, registered from ``CrisisConfig.ready()``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from crisis import selectors
from crisis.models import CaseTask
from mhcare.accounts import scope
from mhcare.accounts.models import Role
from mhcare.accounts.scope import RecordKind
from mhcare.core.registry import TodoPanel
from screening.models import RiskProposal
from screening.risk import proposal_reason_labels_many

PANEL_ROWS = 10


def _proposal_rows(actor: Any, proposals: Iterable[RiskProposal]) -> list[dict[str, Any]]:
    proposals = list(proposals)
    # A leader reads the level and band, never the item ("PHQ-9 item 9 > 0 …").
    reasons = proposal_reason_labels_many(actor, proposals)
    return [
        {
            "label": f"{p.student.name} · {p.school.name} · {p.student.klass.name}",
            "url": reverse("crisis:evaluate", args=[p.student_id]),
            "level": p.colour,
            "level_label": p.get_level_display(),
            "meta": "; ".join(reasons[p.pk]) + " · " + timesince(p.created_at),
        }
        for p in proposals
    ]


def _case_rows(cases: Iterable[selectors.CaseRow]) -> list[dict[str, Any]]:
    rows = []
    for case in cases:
        state = getattr(case, "due_state", "")
        due = case.next_follow_up_due.isoformat() if case.next_follow_up_due else "—"
        meta = (
            _("overdue since %(date)s") % {"date": due}
            if state == "overdue"
            else _("follow-up due %(date)s") % {"date": due}
        )
        rows.append(
            {
                "label": f"{case.student.name} · {case.school.name} · {case.student.klass.name}",
                "url": reverse("crisis:case_detail", args=[case.pk]),
                "level": case.colour,
                "level_label": case.get_level_display(),
                "meta": meta,
            }
        )
    return rows


def _task_rows(tasks: Iterable[CaseTask]) -> list[dict[str, Any]]:
    return [
        {
            "label": f"{t.title} · {t.student.name}",
            "url": reverse("orgs:student_detail", args=[t.student_id]),
            "meta": _("due %(date)s") % {"date": t.due_on.isoformat()},
        }
        for t in tasks
    ]


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    panels: list[TodoPanel] = []
    url = reverse("crisis:highrisk_list")
    if scope.has_role(actor, Role.PSYCH_TEACHER):
        pending = selectors.pending_proposals(actor=actor, page_size=PANEL_ROWS)
        panels.append(
            TodoPanel(
                key="students_to_review",
                title=_("Students to evaluate"),
                rows=_proposal_rows(actor, pending.rows),
                url=url,
                empty_text=_("No proposed risk level waits for your evaluation."),
                order=10,
            )
        )
        due = selectors.case_list(actor=actor, page_size=PANEL_ROWS)
        panels.append(
            TodoPanel(
                key="followups_due",
                title=_("Follow-ups due"),
                rows=_case_rows(c for c in due.rows if getattr(c, "due_state", "") != "ok"),
                url=url + "?sort=due",
                empty_text=_("No follow-up is due in the next three days."),
                order=20,
            )
        )
    if scope.has_role(actor, Role.PSYCH_TEACHER, Role.COUNTY_CENTER):
        transfers = selectors.incoming_transfers(actor=actor)
        if transfers:
            panels.append(
                TodoPanel(
                    key="incoming_transfers",
                    title=_("Cases handed over to your school"),
                    rows=[
                        {
                            "label": f"{t.case.student.name} · {t.from_school.name}",
                            "url": reverse("crisis:transfer_decide", args=[t.pk]),
                            "level": t.case.colour,
                            "level_label": t.case.get_level_display(),
                            "meta": _("waiting since %(date)s")
                            % {"date": t.requested_at.date().isoformat()},
                        }
                        for t in transfers[:PANEL_ROWS]
                    ],
                    order=5,
                )
            )
    if scope.has_role(actor, Role.PSYCH_TEACHER, Role.SCHOOL_LEADER, Role.COUNTY_CENTER):
        from crisis.reporting.selectors import unreported_list

        unreported = unreported_list(actor=actor, page_size=PANEL_ROWS)
        if unreported.rows:
            panels.append(
                TodoPanel(
                    key="not_yet_reported",
                    title=_("Not yet reported (上报)"),
                    rows=[
                        {
                            "label": f"{row.report.case.student.name} · {row.report.school.name}",
                            "url": reverse("crisis:report_detail", args=[row.report.pk]),
                            "level": "red" if row.is_overdue else "orange",
                            "level_label": _("overdue") if row.is_overdue else _("due"),
                            "meta": _("%(hours)s h left") % {"hours": row.hours_left},
                        }
                        for row in unreported.rows
                    ],
                    url=reverse("crisis:report_unreported"),
                    order=3,
                )
            )
    if scope.has_role(actor, Role.COUNTY_CENTER, Role.SCHOOL_LEADER):
        county = scope.has_role(actor, Role.COUNTY_CENTER)
        cases = selectors.case_list(actor=actor, page_size=PANEL_ROWS)
        pending = selectors.pending_proposals(actor=actor, page_size=PANEL_ROWS)
        panels.append(
            TodoPanel(
                key="county_highrisk" if county else "school_highrisk",
                title=_("County high-risk list") if county else _("School high-risk list"),
                rows=_case_rows(cases.rows) + _proposal_rows(actor, pending.rows),
                url=url,
                empty_text=_("No student in your scope has a proposed or confirmed risk level."),
                order=10,
            )
        )
    if scope.can(actor, RecordKind.FLAG) and not scope.can(actor, RecordKind.CASE):
        tasks = selectors.my_tasks(actor=actor, limit=PANEL_ROWS)
        if tasks:
            panels.append(
                TodoPanel(
                    key="my_case_tasks",
                    title=_("My follow-up tasks"),
                    rows=_task_rows(tasks),
                    empty_text="",
                    order=15,
                )
            )
    return panels
