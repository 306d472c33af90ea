"""School grades by name: 八年级 / Grade 8, 高一 / Grade 10 — never a bare number."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

GRADE_NAMES: dict[int, Promise] = {
    1: pgettext_lazy("school grade", "Grade 1"),
    2: pgettext_lazy("school grade", "Grade 2"),
    3: pgettext_lazy("school grade", "Grade 3"),
    4: pgettext_lazy("school grade", "Grade 4"),
    5: pgettext_lazy("school grade", "Grade 5"),
    6: pgettext_lazy("school grade", "Grade 6"),
    7: pgettext_lazy("school grade", "Grade 7"),
    8: pgettext_lazy("school grade", "Grade 8"),
    9: pgettext_lazy("school grade", "Grade 9"),
    10: pgettext_lazy("school grade", "Grade 10"),
    11: pgettext_lazy("school grade", "Grade 11"),
    12: pgettext_lazy("school grade", "Grade 12"),
}


def grade_name(grade: int | str | None) -> str:
    """The grade's name in the active language ("" for none; the number itself if unknown)."""
    if grade is None or grade == "":
        return ""
    try:
        return str(GRADE_NAMES[int(grade)])
    except (KeyError, ValueError, TypeError):
        return str(grade)
