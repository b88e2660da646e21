"""Follow-ups scheduled from a signed treatment, and the contact attempts made for them."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from treatments.models.base import ClinicalQuerySet, ClinicalRecord
from treatments.models.patients import Patient
from treatments.models.protocol import FollowUpStep, StepKind
from treatments.models.treatments import Treatment


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


class FollowUpQuerySet(ClinicalQuerySet):
    def open(self):
        return self.active().filter(status=FollowUpStatus.SCHEDULED)

    def due_between(self, start: dt.date, end: dt.date):
        return self.open().filter(due_on__gte=start, due_on__lte=end)

    def overdue(self, today: dt.date | None = None):
        """Still scheduled after the window closed."""
        today = today or timezone.localdate()
        return self.open().filter(window_end__lt=today)


class FollowUp(ClinicalRecord):
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="followups")
    # Copied from the treatment so the worklist filters and sorts without a join.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="followups")
    step = models.ForeignKey(FollowUpStep, on_delete=models.PROTECT, related_name="followups")
    # The step's name and kind as they were when scheduled (the protocol may change later).
    step_name = models.CharField("step", max_length=120)
    kind = models.CharField(max_length=20, choices=StepKind, default=StepKind.OTHER)
    is_assessment = models.BooleanField(default=False)
    due_on = models.DateField("due")
    window_start = models.DateField("window opens")
    window_end = models.DateField("window closes")
    status = models.CharField(max_length=10, choices=FollowUpStatus, default=FollowUpStatus.SCHEDULED)
    contact = models.CharField(max_length=10, choices=Contact, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pain = models.PositiveSmallIntegerField(
        "pain (0–10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    global_impression = models.PositiveSmallIntegerField(
        "patient global impression of change (1–7)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
        help_text="1 very much improved … 4 no change … 7 very much worse.",
    )
    energy = models.PositiveSmallIntegerField(
        "energy (0–10)", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    flare_up = models.BooleanField("flare-up of the condition", null=True, blank=True)
    new_side_effects = models.BooleanField("new side effects since last contact", null=True, blank=True)
    decision = models.CharField(max_length=20, choices=Decision, blank=True)
    home_care_protocol = models.TextField("home-care protocol", blank=True)
    status_reason = models.TextField("reason (cancelled, rescheduled)", blank=True)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = "follow-up"
        verbose_name_plural = "follow-ups"
        constraints = ClinicalRecord.Meta.constraints + [
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("due_on")) & Q(due_on__lte=models.F("window_end")),
                name="followup_due_inside_window",
            ),
            models.CheckConstraint(condition=Q(pain__lte=10), name="followup_pain_range"),
            models.CheckConstraint(condition=Q(energy__lte=10), name="followup_energy_range"),
            models.CheckConstraint(
                condition=Q(global_impression__gte=1, global_impression__lte=7)
                | Q(global_impression__isnull=True),
                name="followup_pgic_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | (Q(completed_at__isnull=False) & ~Q(contact="")),
                name="followup_completed_has_contact",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(status_reason=""), name="followup_cancel_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(is_assessment=True), name="followup_decision_at_assessment"
            ),
        ]
        indexes = [
            # The worklist: open follow-ups by due date, and overdue ones by window end.
            models.Index(fields=["status", "due_on"], name="followup_status_due_idx"),
            models.Index(fields=["status", "window_end"], name="followup_status_window_idx"),
            models.Index(fields=["patient", "due_on"], name="followup_patient_due_idx"),
        ]

    def __str__(self):
        return f"{self.step_name} due {self.due_on:%Y-%m-%d}"

    def days_overdue(self, today: dt.date | None = None) -> int:
        today = today or timezone.localdate()
        if self.status != FollowUpStatus.SCHEDULED or today <= self.window_end:
            return 0
        return (today - self.window_end).days

    def clean(self):
        errors = {}
        dates = (self.window_start, self.due_on, self.window_end)
        if all(dates) and not (self.window_start <= self.due_on <= self.window_end):
            errors["due_on"] = "The due date must lie inside its window."
        if self.decision and not self.is_assessment:
            errors["decision"] = "A treatment decision is recorded only at the 3-month assessment."
        if self.status == FollowUpStatus.COMPLETED and not self.contact:
            errors["contact"] = "Say how the patient was contacted."
        if errors:
            raise ValidationError(errors)


class AttemptOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", "No answer"
    NO_SHOW = "no_show", "No-show"
    LEFT_MESSAGE = "left_message", "Left a message"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class FollowUpAttempt(models.Model):
    """A contact attempt that did not reach the patient. Several may precede a missed follow-up."""

    followup = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="attempts")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contact = models.CharField(max_length=10, choices=Contact)
    outcome = models.CharField(max_length=20, choices=AttemptOutcome)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["followup", "at"]
        verbose_name = "contact attempt"
        verbose_name_plural = "contact attempts"

    def __str__(self):
        return f"{self.get_outcome_display()} at {self.at:%Y-%m-%d %H:%M}"

    def delete(self, *args, **kwargs):
        raise PermissionError("Contact attempts are never deleted.")
