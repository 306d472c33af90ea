"""The counseling app's models, one module per topic (rooms, appointments, sessions; guidance,
supervision, centers), re-exported here for ``counseling.models``."""

from counseling.models.appointments import Appointment, AppointmentStatus
from counseling.models.centers import CenterChecklistEntry, CenterJudgement, ChecklistItem
from counseling.models.guidance import (
    FlagChange,
    GuidanceKind,
    GuidanceRecord,
    GuidanceResponsibility,
)
from counseling.models.rooms import (
    CounselingRoom,
    DutyShift,
    OpeningHours,
    RoomStandard,
    TsTzRange,
    Weekday,
)
from counseling.models.sessions import CounselingSession
from counseling.models.supervision import (
    StationKind,
    SupervisionFormat,
    SupervisionSession,
    SupervisionStation,
    SupervisorProfile,
)

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "CenterChecklistEntry",
    "CenterJudgement",
    "ChecklistItem",
    "CounselingRoom",
    "CounselingSession",
    "DutyShift",
    "FlagChange",
    "GuidanceKind",
    "GuidanceRecord",
    "GuidanceResponsibility",
    "OpeningHours",
    "RoomStandard",
    "StationKind",
    "SupervisionFormat",
    "SupervisionSession",
    "SupervisionStation",
    "SupervisorProfile",
    "TsTzRange",
    "Weekday",
]
