"""Clinical models, one module per aggregate."""

from treatments.models.access import AccessEvent
from treatments.models.calendar import CalendarFeed
from treatments.models.digests import SentDigest
from treatments.models.followup_choices import PLANNED_TREATMENT_DECISIONS, Contact, Decision, FollowUpStatus
from treatments.models.followups import AttemptOutcome, FollowUp, FollowUpAttempt
from treatments.models.lot_recipients import LotRecipient
from treatments.models.patients import Indication, Patient, Sex
from treatments.models.products import Lot, LotStatus, Product, ProductKind, ProductSource, StorageRequirement
from treatments.models.protocol import FollowUpStep, Protocol, StepKind
from treatments.models.side_effects import (
    RESOLVED_OUTCOMES,
    SERIOUSNESS_FIELDS,
    Causality,
    Grade,
    Outcome,
    SideEffectReport,
    Term,
)
from treatments.models.treatments import (
    ROUND_OPENERS,
    ROUTES_NEEDING_SITE,
    Administration,
    CoursePosition,
    ReadOnlyTreatment,
    Route,
    Treatment,
    TreatmentStatus,
)

__all__ = [
    "AccessEvent",
    "PLANNED_TREATMENT_DECISIONS",
    "ROUND_OPENERS",
    "ROUTES_NEEDING_SITE",
    "RESOLVED_OUTCOMES",
    "SERIOUSNESS_FIELDS",
    "Administration",
    "AttemptOutcome",
    "CalendarFeed",
    "Causality",
    "Contact",
    "CoursePosition",
    "Decision",
    "FollowUp",
    "FollowUpAttempt",
    "FollowUpStatus",
    "FollowUpStep",
    "Grade",
    "Indication",
    "Lot",
    "LotRecipient",
    "LotStatus",
    "Outcome",
    "Patient",
    "Product",
    "ProductKind",
    "ProductSource",
    "Protocol",
    "ReadOnlyTreatment",
    "SentDigest",
    "Route",
    "Sex",
    "SideEffectReport",
    "StepKind",
    "StorageRequirement",
    "Term",
    "Treatment",
    "TreatmentStatus",
]
