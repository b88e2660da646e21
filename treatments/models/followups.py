"""Follow-ups scheduled from a signed treatment, and the contact attempts made for them (their states
and choices: ``followup_choices``; the worklist's sections and timing: ``followup_worklist``)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.formats import day as format_day
from clinic.formats import moment
from clinic.models import ClinicalRecord
from treatments.models.followup_choices import Contact, Decision, FollowUpStatus
from treatments.models.followup_worklist import FollowUpQuerySet, Timing, followup_timing
from treatments.models.patients import Patient
from treatments.models.protocol import WINDOW_AFTER_MAX_DAYS, FollowUpStep, StepKind
from treatments.models.treatments import Treatment


class DaysBetween(models.Func):
    """``later - earlier`` in days, for two date columns (a CHECK constraint may use it: SQLite's
    julianday() is a built-in, unlike the function Django registers for date arithmetic)."""

    arity = 2
    output_field = models.IntegerField()
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class FollowUp(ClinicalRecord):
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="followups")
    # Copied from the treatment so the worklist filters and sorts without a join.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="followups")
    # The treating physician, copied from the treatment (and moved with the follow-up to an
    # amendment) so that a physician's own worklist counts read an index range, not a join per row.
    physician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # the physician's indexes below lead with it
        verbose_name="treating physician",
    )
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
    # A physician has seen that this follow-up was missed (it then leaves the "Missed" section).
    missed_seen_at = models.DateTimeField("missed follow-up seen", null=True, blank=True)
    missed_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="missed follow-up seen by",
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = "follow-up"
        base_manager_name = "objects"  # Django internals use it too: keep bulk writes closed
        verbose_name_plural = "follow-ups"
        permissions = [
            ("complete_assessment", "Can complete the 3-month assessment and decide further treatment"),
            ("acknowledge_missed", "Can acknowledge a missed follow-up as seen"),
        ]
        constraints = ClinicalRecord.Meta.constraints + [
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("due_on")) & Q(due_on__lte=models.F("window_end")),
                name="followup_due_inside_window",
            ),
            # The worklist's "due today" relies on it (section_conditions): a window open today
            # has its due date at most WINDOW_AFTER_MAX_DAYS back. The steps hold the same bound
            # (followup_step_window_after_bound), and a rescheduled window keeps its width.
            models.CheckConstraint(
                condition=models.lookups.LessThanOrEqual(
                    DaysBetween("window_end", "due_on"), WINDOW_AFTER_MAX_DAYS
                ),
                name="followup_window_bound",
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
            # Only a completed follow-up has a completion time: the missed part of "Recently
            # completed" is then ordered by due date alone (selectors.followups, recent_parts).
            models.CheckConstraint(
                condition=Q(status="completed") | Q(completed_at__isnull=True),
                name="followup_completed_at_when_completed",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(status_reason=""), name="followup_cancel_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | Q(is_assessment=True), name="followup_decision_at_assessment"
            ),
            # Seen by someone at some time, both or neither; only a follow-up that was missed is
            # seen as missed (it may be completed later, when the patient calls back: kept then).
            models.CheckConstraint(
                condition=Q(missed_seen_at__isnull=True, missed_seen_by__isnull=True)
                | (
                    Q(missed_seen_at__isnull=False, missed_seen_by__isnull=False)
                    & Q(status__in=["missed", "completed"])
                ),
                name="followup_missed_seen_by_whom",
            ),
        ]
        indexes = [
            # The worklist: open follow-ups by due date, and overdue ones by window end.
            models.Index(fields=["status", "due_on"], name="followup_status_due_idx"),
            # The worklist's "Overdue" section (status, window_end < today, ordered by window_end,
            # due_on, id): the page's rows come in index order, no sort of every overdue row. It
            # also serves the "missed" half of "Recently completed" (status, window_end >= since).
            # With voided_at, the capped counts read the index alone (no row of the table).
            models.Index(
                fields=["status", "window_end", "due_on", "voided_at"], name="followup_worklist_overdue_idx"
            ),
            models.Index(fields=["patient", "due_on"], name="followup_patient_due_idx"),
            # The patient page's follow-up panels: a patient's completed follow-ups by completion
            # (outcome_series, patient_pending_plans: patient, status = completed, completed_at).
            models.Index(fields=["patient", "status", "completed_at"], name="followup_patient_done_idx"),
            # "Recently completed": most follow-ups end up completed, so this section needs its own
            # (with voided_at, its capped count reads the index alone).
            models.Index(fields=["status", "completed_at", "voided_at"], name="followup_status_done_idx"),
            # The admin's list in the model's ordering (due date, then the pk) and its due-date filter.
            models.Index(fields=["due_on", "id"], name="followup_due_idx"),
            # The dashboard's follow-up cards (selectors.dashboard.followup_cards: scheduled, due by
            # the end of this week, not voided; counted by window_end) read this index alone.
            models.Index(
                fields=["status", "due_on", "window_end", "voided_at"], name="followup_dashboard_cards_idx"
            ),
            # The worklist's "Missed" section and the dashboard's card (missed, not yet seen, not
            # voided; by window end): few rows, whatever the age of the clinic.
            models.Index(
                fields=["window_end", "due_on", "id"],
                condition=Q(status="missed", missed_seen_at__isnull=True, voided_at__isnull=True),
                name="followup_missed_unseen_idx",
            ),
            # The missed half of "Recently completed" (missed, seen by a physician, window closed in
            # the last RECENT_DAYS): without it the count reads every missed follow-up's row.
            models.Index(
                fields=["window_end", "due_on", "id"],
                condition=Q(status="missed", missed_seen_at__isnull=False, voided_at__isnull=True),
                name="followup_missed_seen_idx",
            ),
            # A physician's own worklist (for_physician, the default for physicians): each section's
            # capped count and page as an index range of the physician's rows, like the indexes above
            # for the whole clinic.
            models.Index(
                fields=["physician", "status", "due_on", "window_end", "voided_at"],
                name="followup_physician_due_idx",
            ),
            models.Index(
                fields=["physician", "status", "window_end", "due_on", "voided_at"],
                name="followup_physician_window_idx",
            ),
            models.Index(
                fields=["physician", "status", "completed_at", "voided_at"],
                name="followup_physician_done_idx",
            ),
            models.Index(
                fields=["physician", "window_end", "due_on", "id"],
                condition=Q(status="missed", missed_seen_at__isnull=True, voided_at__isnull=True),
                name="followup_physician_missed_idx",
            ),
        ]

    def __str__(self):
        return f"{self.step_name} due {format_day(self.due_on)}"

    @property
    def is_open(self) -> bool:
        return self.status == FollowUpStatus.SCHEDULED and not self.is_voided

    @property
    def can_be_completed(self) -> bool:
        """Scheduled ones, and missed ones when the patient gets back in touch."""
        return self.status in (FollowUpStatus.SCHEDULED, FollowUpStatus.MISSED) and not self.is_voided

    def timing(self, today: dt.date | None = None) -> Timing:
        today = today or timezone.localdate()
        completed_on = timezone.localtime(self.completed_at).date() if self.completed_at else None
        return followup_timing(
            status=self.status,
            due_on=self.due_on,
            window_end=self.window_end,
            today=today,
            completed_on=completed_on,
            missed_seen=self.missed_seen_at is not None,
        )

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
        elif all(dates) and (self.window_end - self.due_on).days > WINDOW_AFTER_MAX_DAYS:
            errors["window_end"] = (
                f"The window closes {(self.window_end - self.due_on).days} days after the due date; "
                f"at most {WINDOW_AFTER_MAX_DAYS} days are allowed."
            )
        if self.decision and not self.is_assessment:
            errors["decision"] = "A treatment decision is recorded only at the 3-month assessment."
        if self.status == FollowUpStatus.COMPLETED and not self.contact:
            errors["contact"] = "Say how the patient was contacted."
        if self.status != FollowUpStatus.COMPLETED and self.completed_at:
            errors["completed_at"] = "Only a completed follow-up has a completion time."
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
        return f"{self.get_outcome_display()} at {moment(self.at)}"

    def delete(self, *args, **kwargs):
        raise PermissionError("Contact attempts are never deleted.")
