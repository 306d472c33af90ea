"""Staffing and provision (notice §2, §5, §6, §14): one module per topic, re-exported here."""

from staffing.models.activities import (
    FAMILY_KINDS,
    ActivityCategory,
    ActivityKind,
    EducationActivity,
    category_of,
)
from staffing.models.lessons import HOUR_STEPS, Lesson, LessonSource

__all__ = [
    "FAMILY_KINDS",
    "HOUR_STEPS",
    "ActivityCategory",
    "ActivityKind",
    "EducationActivity",
    "Lesson",
    "LessonSource",
    "category_of",
]
