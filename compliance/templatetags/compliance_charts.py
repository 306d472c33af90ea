from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString

from mhcare.core.charts import bar_chart_svg

register = template.Library()


@register.simple_tag
def coverage_chart(rows: Iterable[dict[str, Any]], title: str = "") -> SafeString:
    """The same SVG bar chart as the PDF report, for rows with ``label`` and ``rate``."""
    data = [(str(row["label"]), row.get("rate")) for row in rows if "rate" in row]
    if not data:
        return SafeString("")
    return bar_chart_svg(data, title=title, target=100.0, width=420, label_width=130)
