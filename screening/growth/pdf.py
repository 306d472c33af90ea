"""The growth file as a PDF (WeasyPrint, Noto Sans CJK SC): flags, score trends, the support plan
and the timeline — exactly what the requesting user may see on the page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from mhcare.core import registry
from mhcare.orgs import plans
from mhcare.orgs.models import Student
from screening.growth import selectors


def growth_context(*, actor: Any, student: Student) -> dict[str, Any]:
    return {
        "student": student,
        "flags": student.get_disadvantages_display(),
        "trends": selectors.trends(actor=actor, student=student),
        "plan": plans.support_plan_get(actor=actor, student=student),
        "timeline": registry.timeline_for(actor, student),
        "generated_at": timezone.localtime(),
        "generated_by": actor,
    }


def render_growth_pdf(*, actor: Any, student: Student) -> bytes:
    from weasyprint import HTML

    # Official documents are in the platform's default language (简体中文), whoever asks.
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "screening/growth/pdf.html", growth_context(actor=actor, student=student)
        )
    pdf: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return pdf
