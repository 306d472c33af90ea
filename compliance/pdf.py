"""PDF of a compliance report (WeasyPrint, Noto Sans CJK SC), rendered at each download from the
report's frozen HTML with the downloader's name and the time as a watermark on every page (a
``position: fixed`` element repeats on each page). Decision (issue 12): the content is frozen at
generation, the watermark is per download — so every copy names who took it and no per-user copy
is stored."""

from __future__ import annotations

import gzip
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.html import escape

from compliance.models import ReportRequest
from compliance.reports import WATERMARK_MARK


def watermark_text(viewer: Any) -> str:
    name = viewer.get_full_name() or viewer.get_username()
    return f"{name} ({viewer.get_username()}) · {timezone.localtime():%Y-%m-%d %H:%M}"


def html_with_watermark(report: ReportRequest, viewer: Any) -> str:
    html = gzip.decompress(bytes(report.html or b"")).decode()
    return html.replace(WATERMARK_MARK, escape(watermark_text(viewer)))


def render_pdf(report: ReportRequest, viewer: Any) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(
        string=html_with_watermark(report, viewer), base_url=str(settings.BASE_DIR)
    ).write_pdf()
    return pdf
