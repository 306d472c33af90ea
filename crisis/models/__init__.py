"""The crisis registry: evaluations, cases and their level history, follow-ups, 研判 reviews,
上报 to the provincial platform (outbox), transfers, family contacts and key-period home visits,
and incidents — one module per topic (``cases``, ``reviews``, ``reports``, ``families``,
``incidents``). The reminder ledger is the kernel's (``mhcare.core.reminders``).

Every student-linked row carries its school (and county where lists are per county) so that scope is
one filter on the org tree. Free text about a child is stored in ``EncryptedTextField``.
"""

from crisis.models.cases import (
    ACTIVE_CASE_STATUSES,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseQuerySet,
    CaseSource,
    CaseStatus,
    CaseTask,
    CaseTransfer,
    Evaluation,
    FollowUp,
    FollowUpWay,
    TransferStatus,
)
from crisis.models.families import (
    DIRECT_CONTACT_WAYS,
    ContactWay,
    FamilyContact,
    HomeVisit,
    HomeVisitReason,
    KeyPeriod,
)
from crisis.models.incidents import Incident, IncidentAction, IncidentKind, IncidentSeverity
from crisis.models.reports import CaseReport, ReportStatus
from crisis.models.reviews import Review, ReviewDecision, ReviewDecisionKind

__all__ = [
    "ACTIVE_CASE_STATUSES",
    "Case",
    "CaseEvent",
    "CaseEventKind",
    "CaseQuerySet",
    "CaseReport",
    "CaseSource",
    "CaseStatus",
    "CaseTask",
    "CaseTransfer",
    "ContactWay",
    "DIRECT_CONTACT_WAYS",
    "Evaluation",
    "FamilyContact",
    "FollowUp",
    "FollowUpWay",
    "HomeVisit",
    "HomeVisitReason",
    "Incident",
    "IncidentAction",
    "IncidentKind",
    "IncidentSeverity",
    "KeyPeriod",
    "ReportStatus",
    "Review",
    "ReviewDecision",
    "ReviewDecisionKind",
    "TransferStatus",
]
