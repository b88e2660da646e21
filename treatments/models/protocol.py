"""The clinic's protocol: dose limits, aftercare intervals and the follow-up schedule, by date."""

import datetime as dt
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.formats import day as format_day
from clinic.models import ClinicalQuerySet, ClinicalRecord

# The longest a follow-up's window may stay open after its due date. The clinic's schedule keeps
# the widest window at the 12-month review (due day 365, +/- 30 days); the bound lets the
# worklist's "due today" read a bounded range of due dates (see FollowUp's followup_window_bound).
WINDOW_AFTER_MAX_DAYS = 30


class ProtocolQuerySet(ClinicalQuerySet):
    def in_force_on(self, day):
        """The protocol that governs a treatment on ``day``: the latest one effective by then."""
        protocol = self.active().filter(effective_from__lte=day).order_by("-effective_from").first()
        if protocol is None:
            raise Protocol.DoesNotExist(f"No protocol is in force on {format_day(day)}.")
        return protocol


class Protocol(ClinicalRecord):
    """One version of the clinic's settings. A new version takes effect from its date; a treatment is
    always judged by the version in force on the treatment's date."""

    name = models.CharField(max_length=120, default="Clinic protocol")
    effective_from = models.DateField("in force from", unique=True)
    max_dose_billion = models.DecimalField(
        "maximum dose per treatment (billion exosomes)",
        max_digits=7,
        decimal_places=2,
        default=Decimal("15"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    default_concentration = models.DecimalField(
        "default concentration (billion per ml)",
        max_digits=7,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    expected_side_effect_days = models.PositiveSmallIntegerField(
        "expected side-effect duration (days)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="A side effect lasting longer than this (onset is day 1) goes to a physician for review.",
    )
    no_strenuous_activity_hours = models.PositiveSmallIntegerField(
        "no strenuous activity for (hours)", default=48, validators=[MaxValueValidator(24 * 14)]
    )
    cardio_after_weeks_min = models.PositiveSmallIntegerField("cardio again after (weeks, from)", default=3)
    cardio_after_weeks_max = models.PositiveSmallIntegerField("cardio again after (weeks, to)", default=4)
    weights_running_after_weeks = models.PositiveSmallIntegerField(
        "weightlifting and running again after (weeks)", default=4
    )
    anti_inflammatory_pause_days_before = models.PositiveSmallIntegerField(
        "pause anti-inflammatory medication before treatment (days)", default=7
    )
    anti_inflammatory_pause_days_after = models.PositiveSmallIntegerField(
        "pause anti-inflammatory medication after treatment (days)", default=14
    )
    notes = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = ProtocolQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = "protocol"
        base_manager_name = "objects"  # Django internals use it too: keep bulk writes closed
        verbose_name_plural = "protocol versions"
        constraints = ClinicalRecord.Meta.constraints + [
            models.CheckConstraint(condition=Q(max_dose_billion__gt=0), name="protocol_max_dose_positive"),
            models.CheckConstraint(
                condition=Q(default_concentration__gt=0), name="protocol_concentration_positive"
            ),
            models.CheckConstraint(
                condition=Q(cardio_after_weeks_min__lte=models.F("cardio_after_weeks_max")),
                name="protocol_cardio_range_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.name} (from {format_day(self.effective_from)})"

    def governed_period(self, *, effective_from: dt.date | None = None) -> tuple[dt.date, dt.date | None]:
        """The treatment days this version governs (from its date, or ``effective_from`` if it were
        moved there, up to the next active version's date, or open-ended)."""
        start = effective_from or self.effective_from
        later = type(self).objects.active().filter(effective_from__gt=start).exclude(pk=self.pk)
        following = later.order_by("effective_from").values_list("effective_from", flat=True).first()
        return start, following

    def governed_treatments(self, *, effective_from: dt.date | None = None):
        """Every treatment recorded under this version (drafts, signed, amended and voided alike:
        each was judged by its rules), by the treatment's day in the clinic's time zone.
        Served by the treatments' index on ``performed_at``."""
        start, end = self.governed_period(effective_from=effective_from)
        treatments = apps.get_model("treatments", "Treatment").objects.filter(
            performed_at__gte=_day_start(start)
        )
        return treatments.filter(performed_at__lt=_day_start(end)) if end is not None else treatments

    def governs_treatments(self) -> bool:
        """Whether a treatment was recorded under this version as stored: it is then frozen."""
        return not self._state.adding and self.governed_treatments().exists()

    def clean(self):
        if (
            self.cardio_after_weeks_min is not None
            and self.cardio_after_weeks_max is not None
            and self.cardio_after_weeks_min > self.cardio_after_weeks_max
        ):
            raise ValidationError({"cardio_after_weeks_max": "The range must end at or after its start."})


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class StepKind(models.TextChoices):
    CHECK_IN = "check_in", "Day 1–3 check-in call"
    EARLY_CHECK = "early_check", "Week 6–8 check"
    THREE_MONTH = "three_month", "3-month (100-day) assessment"
    SIX_MONTH = "six_month", "6-month review"
    TWELVE_MONTH = "twelve_month", "12-month review"
    OTHER = "other", "Other"


class FollowUpStep(models.Model):
    """One planned contact after a treatment, counted in days from the treatment date."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="steps")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=StepKind, default=StepKind.OTHER)
    offset_days = models.PositiveSmallIntegerField(
        "due (days after treatment)", validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    window_before_days = models.PositiveSmallIntegerField("window opens (days before due)", default=0)
    window_after_days = models.PositiveSmallIntegerField(
        "window closes (days after due)",
        default=0,
        validators=[
            MaxValueValidator(
                WINDOW_AFTER_MAX_DAYS,
                message=f"A window closes at most {WINDOW_AFTER_MAX_DAYS} days after the due date.",
            )
        ],
        help_text=f"At most {WINDOW_AFTER_MAX_DAYS} days.",
    )
    optional = models.BooleanField(default=False, help_text="Scheduled, but not chased when missed.")
    is_assessment = models.BooleanField(
        "decides further treatment", default=False, help_text="The 3-month assessment records the decision."
    )
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol", "order", "offset_days"]
        verbose_name = "follow-up step"
        verbose_name_plural = "follow-up steps"
        constraints = [
            models.UniqueConstraint(fields=["protocol", "name"], name="followup_step_name_unique"),
            models.CheckConstraint(condition=Q(offset_days__gte=1), name="followup_step_offset_positive"),
            # The window must not open before the treatment day itself.
            models.CheckConstraint(
                condition=Q(window_before_days__lt=models.F("offset_days")),
                name="followup_step_window_after_treatment",
            ),
            # Every follow-up scheduled from a step keeps its window this short (followup_window_bound).
            models.CheckConstraint(
                condition=Q(window_after_days__lte=WINDOW_AFTER_MAX_DAYS),
                name="followup_step_window_after_bound",
            ),
        ]

    def __str__(self):
        return f"{self.name} (day {self.offset_days})"

    def clean(self):
        if (
            self.offset_days
            and self.window_before_days is not None
            and self.window_before_days >= self.offset_days
        ):
            raise ValidationError({"window_before_days": "The window must open after the treatment day."})
