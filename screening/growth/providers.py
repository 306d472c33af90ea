"""The growth file's sections on the kernel's student page, registered from
``ScreeningConfig.ready()``: the support plan and the score trends, for the users allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mhcare.accounts import scope
from mhcare.accounts.scope import RecordKind
from mhcare.core.registry import StudentSection
from mhcare.orgs import plans
from mhcare.orgs.models import Student
from screening.growth import selectors
from screening.growth.services import may_edit_plan


def student_sections(actor: Any, student: Any) -> Iterable[StudentSection]:
    if not selectors.may_see_growth_file(actor):
        return []
    # The student page already checked the student scope; the plan needs the case scope too.
    if not scope.scoped(actor, Student, kind=RecordKind.CASE).filter(pk=student.pk).exists():
        return []
    sections = [
        StudentSection(
            key="support_plan",
            title=_("Support plan (一生一策)"),
            template="screening/growth/_plan.html",
            context={
                "plan": plans.support_plan_get(actor=actor, student=student),
                "edit_url": reverse("screening:support_plan_edit", args=[student.pk])
                if may_edit_plan(actor)
                else "",
                "pdf_url": reverse("screening:growth_pdf", args=[student.pk]),
            },
            order=10,
        )
    ]
    trends = selectors.trends(actor=actor, student=student)
    sections.append(
        StudentSection(
            key="score_trends",
            title=_("Score trends") if trends.charts else _("Screening bands"),
            template="screening/growth/_trends.html",
            context={"trends": trends},
            order=20,
        )
    )
    return sections
