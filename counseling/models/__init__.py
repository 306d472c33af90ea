"""Counseling models, one module per area (re-exported here for ``counseling.models``)."""

from counseling.models.appointments import Appointment, AppointmentStatus
from counseling.models.rooms import (
    CounselingRoom,
    DutyShift,
    OpeningHours,
    RoomStandard,
    TsTzRange,
    Weekday,
)
from counseling.models.sessions import CounselingSession

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "CounselingRoom",
    "CounselingSession",
    "DutyShift",
    "OpeningHours",
    "RoomStandard",
    "TsTzRange",
    "Weekday",
]
