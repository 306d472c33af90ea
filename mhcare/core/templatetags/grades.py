"""``{% load grades %}{{ klass.grade|grade_name }}`` → 八年级 / Grade 8."""

from typing import Any

from django import template
from django.utils.translation import get_language

from mhcare.core.grades import grade_name as _grade_name

register = template.Library()


@register.filter
def grade_name(grade: Any) -> str:
    return _grade_name(grade)


@register.filter
def grade_names(grades: Any) -> str:
    """Several grades by name, joined the way the language lists them."""
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return separator.join(_grade_name(g) for g in grades or [])
