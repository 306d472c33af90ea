"""The counseling app's models, one module per topic (guidance, supervision, centers; rooms and
sessions have their own modules)."""

from counseling.models.centers import CenterChecklistEntry, CenterJudgement, ChecklistItem
from counseling.models.guidance import (
    FlagChange,
    GuidanceKind,
    GuidanceRecord,
    GuidanceResponsibility,
)
from counseling.models.supervision import (
    StationKind,
    SupervisionFormat,
    SupervisionSession,
    SupervisionStation,
    SupervisorProfile,
)

__all__ = [
    "CenterChecklistEntry",
    "CenterJudgement",
    "ChecklistItem",
    "FlagChange",
    "GuidanceKind",
    "GuidanceRecord",
    "GuidanceResponsibility",
    "StationKind",
    "SupervisionFormat",
    "SupervisionSession",
    "SupervisionStation",
    "SupervisorProfile",
]
