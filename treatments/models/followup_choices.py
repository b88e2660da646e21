"""The follow-up's states and the choices its completion records: shared by the models, the
worklist's rules (``followup_worklist``) and the writers (FHIR, research export)."""

from django.db import models


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class Contact(models.TextChoices):
    CALL = "call", "Phone call"
    VISIT = "visit", "Visit"
    MESSAGE = "message", "Message"


class Decision(models.TextChoices):
    NONE = "none", "No further treatment"
    BOOSTER = "booster", "Booster"
    SECOND_ROUND = "second_round", "Second round"
    ESCALATION = "escalation", "Escalation"
    HOME_CARE = "home_care", "Home-care protocol only"


# Decisions that plan another treatment; they show on the patient page until it is given.
PLANNED_TREATMENT_DECISIONS = (Decision.BOOSTER, Decision.SECOND_ROUND, Decision.ESCALATION)
