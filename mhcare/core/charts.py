"""Server-side SVG charts (bars, lines), used by web pages and PDF reports alike (no JS, no CDN).

Horizontal bars read well with long Chinese school names and print cleanly in WeasyPrint."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', sans-serif"
BAR_COLOUR = "#1f7a5a"
LOW_COLOUR = "#d9822b"
TARGET_COLOUR = "#c0392b"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def text_width(text: str, font_size: float = 12) -> float:
    """Estimated rendered width in px: a CJK (wide) character is about one em, others about
    0.6 em. No font metrics on the server; a slight overestimate keeps labels inside the box."""
    return sum(
        font_size if unicodedata.east_asian_width(ch) in ("W", "F") else font_size * 0.6
        for ch in text
    )


def fit_label(text: str, max_width: float, font_size: float = 12) -> str:
    """``text`` shortened with "…" so that it fits ``max_width`` (unchanged when it fits)."""
    if text_width(text, font_size) <= max_width:
        return text
    ellipsis = "…"
    room = max_width - text_width(ellipsis, font_size)
    kept = ""
    for ch in text:
        if text_width(kept + ch, font_size) > room:
            break
        kept += ch
    return kept + ellipsis


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
    label is escaped; the result is safe to embed inline in HTML.

    ``label_width`` is the least room for the labels: the label area widens to the longest label
    (measured, up to half the chart), and a label longer still is shortened with "…" and keeps
    its full text as a tooltip (an SVG ``<title>``), so no school name is cut off at the edge."""
    gap = 8
    top = 28 if title else 8
    value_width = 56
    longest = max((text_width(str(label)) for label, _value in data), default=0.0)
    label_width = int(max(label_width, min(longest + 6, width * 0.5)))
    label_room = label_width - 4
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
        shown_label = fit_label(str(label), label_room)
        tooltip = f"<title>{escape(label)}</title>" if shown_label != str(label) else ""
        parts.append(
            f'<text x="{label_width}" y="{text_y:.1f}" text-anchor="end">{tooltip}'
            f"{escape(shown_label)}</text>"
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


LINE_COLOUR = "#1f5f9a"
THRESHOLD_COLOUR = "#b0793a"


def line_chart_svg(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str = "",
    min_value: float = 0.0,
    max_value: float = 100.0,
    unit: str = "",
    thresholds: Sequence[tuple[float, str]] = (),
    width: int = 640,
    height: int = 220,
) -> SafeString:
    """Line chart of ``(label, value)`` points in order (e.g. dates and totals), evenly spaced;
    ``None`` values break the line. ``thresholds`` are ``(value, label)`` pairs drawn as dashed
    horizontal lines (band boundaries). Every label is escaped; safe to embed inline in HTML."""
    top = 28 if title else 10
    # The right margin holds the threshold labels (10 px), clear of the points and wide enough
    # for the longest: "Moderately severe" is twice "中重度".
    label_width = max((text_width(str(label), 10) for _value, label in thresholds), default=0.0)
    left, right, bottom = 44, max(24, round(label_width) + 8), 34
    plot_width = max(width - left - right, 40)
    plot_height = max(height - top - bottom, 40)
    span = (max_value - min_value) or 1.0

    def y_of(value: float) -> float:
        clipped = max(min_value, min(float(value), max_value))
        return top + plot_height - (clipped - min_value) / span * plot_height

    def x_of(index: int) -> float:
        if len(points) <= 1:
            return left + plot_width / 2
        return left + index * plot_width / (len(points) - 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{escape(FONT_FAMILY)}" font-size="12">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
        parts.append(f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>')
    axis_y = top + plot_height
    parts.append(
        f'<rect x="{left}" y="{top}" width="{plot_width}" height="{plot_height}" fill="#f6f8fa"/>'
    )
    for boundary, label in thresholds:
        if not min_value < boundary < max_value:
            continue
        y = y_of(boundary)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}" '
            f'stroke="{THRESHOLD_COLOUR}" stroke-dasharray="4 3" stroke-width="0.8"/>'
        )
        parts.append(
            f'<text x="{left + plot_width + 4}" y="{y + 3:.1f}" '
            f'font-size="10" fill="{THRESHOLD_COLOUR}">{escape(label)}</text>'
        )
    for tick in (min_value, (min_value + max_value) / 2, max_value):
        y = y_of(tick)
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6773">'
            f"{_fmt(tick)}{escape(unit)}</text>"
        )
    parts.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_width}" y2="{axis_y}" stroke="#8a96a3"/>'
    )
    segment: list[str] = []
    segments: list[list[str]] = []
    for index, (_label, value) in enumerate(points):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x_of(index):.1f},{y_of(value):.1f}")
    if segment:
        segments.append(segment)
    for line in segments:
        if len(line) > 1:
            parts.append(
                f'<polyline points="{" ".join(line)}" fill="none" stroke="{LINE_COLOUR}" '
                f'stroke-width="2"/>'
            )
    for index, (label, value) in enumerate(points):
        x = x_of(index)
        anchor = "middle"
        if len(points) > 1 and index == 0:
            anchor = "start"
        elif len(points) > 1 and index == len(points) - 1:
            anchor = "end"
        parts.append(
            f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="{anchor}" fill="#5b6773" '
            f'font-size="11">{escape(label)}</text>'
        )
        if value is None:
            continue
        y = y_of(value)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE_COLOUR}"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle">'
            f"{_fmt(float(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated label is escaped above


def sparkline_svg(
    points: Sequence[tuple[str, float | None]],
    *,
    title: str,
    max_value: float = 100.0,
    target: float | None = None,
    width: int = 120,
    height: int = 28,
) -> SafeString:
    """A small trend line of ``(label, value)`` points in order (a table cell), with the target as
    a dashed line and the last point marked; ``None`` values break the line. ``title`` is the
    accessible name (the page gives the numbers in a table next to it). Labels are escaped."""
    pad = 3
    plot_width = width - 2 * pad
    plot_height = height - 2 * pad

    def x_of(index: int) -> float:
        if len(points) <= 1:
            return pad + plot_width / 2
        return pad + index * plot_width / (len(points) - 1)

    def y_of(value: float) -> float:
        clipped = max(0.0, min(float(value), max_value))
        return pad + plot_height - (clipped / max_value if max_value else 0) * plot_height

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    if target is not None:
        y = y_of(target)
        parts.append(
            f'<line x1="{pad}" y1="{y:.1f}" x2="{width - pad}" y2="{y:.1f}" '
            f'stroke="{TARGET_COLOUR}" stroke-dasharray="3 2" stroke-width="0.8"/>'
        )
    segment: list[str] = []
    for index, (_label, value) in enumerate(points):
        if value is None:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" '
                    f'stroke="{LINE_COLOUR}" stroke-width="1.5"/>'
                )
            segment = []
            continue
        segment.append(f"{x_of(index):.1f},{y_of(value):.1f}")
    if len(segment) > 1:
        parts.append(
            f'<polyline points="{" ".join(segment)}" fill="none" stroke="{LINE_COLOUR}" '
            f'stroke-width="1.5"/>'
        )
    for index in range(len(points) - 1, -1, -1):
        value = points[index][1]
        if value is not None:
            colour = LOW_COLOUR if target is not None and value < target else LINE_COLOUR
            parts.append(
                f'<circle cx="{x_of(index):.1f}" cy="{y_of(value):.1f}" r="2.5" fill="{colour}"/>'
            )
            break
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - the only text (the title) is escaped
