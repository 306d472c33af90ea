"""Staffing and provision (notice §2, §5, §6, §14): one module per topic (staff, lessons,
activities), re-exported here so ``staffing.models.X`` works for every area."""

from staffing.models.activities import (
    FAMILY_KINDS,
    ActivityCategory,
    ActivityKind,
    EducationActivity,
    category_of,
)
from staffing.models.lessons import HOUR_STEPS, Lesson, LessonSource
from staffing.models.staff import (
    Budget,
    CertificateLevel,
    GroupKind,
    GroupMember,
    LeadingGroup,
    MHTeacher,
    PostKind,
    Researcher,
    Responsibility,
    TrainingEvent,
    TrainingKind,
    TrainingParticipant,
)

__all__ = [
    "FAMILY_KINDS",
    "HOUR_STEPS",
    "ActivityCategory",
    "ActivityKind",
    "Budget",
    "CertificateLevel",
    "EducationActivity",
    "GroupKind",
    "GroupMember",
    "LeadingGroup",
    "Lesson",
    "LessonSource",
    "MHTeacher",
    "PostKind",
    "Researcher",
    "Responsibility",
    "TrainingEvent",
    "TrainingKind",
    "TrainingParticipant",
    "category_of",
]
