"""The one server-side SVG chart helper, used by web pages and PDF reports alike (no JS, no CDN).

Horizontal bars read well with long Chinese school names and print cleanly in WeasyPrint."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
BAR_COLOUR = "#1f7a5a"
LOW_COLOUR = "#d9822b"
TARGET_COLOUR = "#c0392b"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart_svg(
    data: Sequence[tuple[str, float | None]],
    *,
    title: str = "",
    max_value: float = 100.0,
    unit: str = "%",
    target: float | None = None,
    width: int = 640,
    bar_height: int = 20,
    label_width: int = 200,
) -> SafeString:
    """Horizontal bar chart of ``(label, value)`` pairs; ``None`` values show as "–".

    Bars under ``target`` are drawn in the warning colour and the target is a dashed line. Every
    label is escaped; the result is safe to embed inline in HTML."""
    gap = 8
    top = 28 if title else 8
    value_width = 56
    plot_width = max(width - label_width - value_width - 16, 40)
    height = top + len(data) * (bar_height + gap) + 24
    scale = plot_width / max_value if max_value else 0
    x0 = label_width + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{escape(FONT_FAMILY)}" font-size="12">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
        parts.append(f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>')
    for index, (label, value) in enumerate(data):
        y = top + index * (bar_height + gap)
        text_y = y + bar_height * 0.7
        parts.append(
            f'<text x="{label_width}" y="{text_y:.1f}" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{x0}" y="{y}" width="{plot_width}" height="{bar_height}" fill="#eef2f6"/>'
        )
        if value is None:
            shown = "–"
        else:
            clipped = max(0.0, min(float(value), max_value))
            colour = LOW_COLOUR if target is not None and value < target else BAR_COLOUR
            parts.append(
                f'<rect x="{x0}" y="{y}" width="{clipped * scale:.1f}" height="{bar_height}" '
                f'fill="{colour}"/>'
            )
            shown = f"{_fmt(float(value))}{escape(unit)}"
        parts.append(f'<text x="{x0 + plot_width + 6}" y="{text_y:.1f}">{shown}</text>')
    axis_y = top + len(data) * (bar_height + gap)
    parts.append(
        f'<line x1="{x0}" y1="{axis_y}" x2="{x0 + plot_width}" y2="{axis_y}" stroke="#8a96a3"/>'
    )
    for tick in (0.0, max_value / 2, max_value):
        x = x0 + tick * scale
        anchor = "start" if tick == 0 else ("end" if tick == max_value else "middle")
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="{anchor}" fill="#5b6773">'
            f"{_fmt(tick)}{escape(unit)}</text>"
        )
    if target is not None and data:
        x = x0 + max(0.0, min(target, max_value)) * scale
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}" '
            f'stroke="{TARGET_COLOUR}" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated label is escaped above
