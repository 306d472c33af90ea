"""Staffing models. Each area keeps its own module; this package re-exports them so
``staffing.models.X`` works for every area (staff: ``staff``; lessons and activities add theirs)."""

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
    "Budget",
    "CertificateLevel",
    "GroupKind",
    "GroupMember",
    "LeadingGroup",
    "MHTeacher",
    "PostKind",
    "Researcher",
    "Responsibility",
    "TrainingEvent",
    "TrainingKind",
    "TrainingParticipant",
]
