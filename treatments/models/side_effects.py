"""Side-effect (adverse event) reports, graded by CTCAE v5, and their physician review."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.formats import day as format_day
from clinic.models import ClinicalQuerySet, ClinicalRecord
from treatments.models.patients import Patient
from treatments.models.protocol import Protocol
from treatments.models.treatments import Treatment


class Term(models.TextChoices):
    FEVER = "fever", "Fever"
    HEADACHE = "headache", "Headache"
    NAUSEA = "nausea", "Nausea"
    VOMITING = "vomiting", "Vomiting"
    FLU_LIKE = "flu_like", "Flu-like symptoms"
    FATIGUE = "fatigue", "Fatigue / low energy"
    FLARE_UP = "flare_up", "Flare-up of condition"
    INJECTION_SITE = "injection_site", "Injection-site reaction"
    OTHER = "other", "Other"


class Grade(models.IntegerChoices):
    MILD = 1, "1 – Mild"
    MODERATE = 2, "2 – Moderate"
    SEVERE = 3, "3 – Severe or hospitalization"
    LIFE_THREATENING = 4, "4 – Life-threatening"
    DEATH = 5, "5 – Death"


class Outcome(models.TextChoices):
    RECOVERING = "recovering", "Recovering"
    RESOLVED = "resolved", "Resolved"
    RESOLVED_WITH_SEQUELAE = "resolved_sequelae", "Resolved with sequelae"
    NOT_RESOLVED = "not_resolved", "Not resolved"
    FATAL = "fatal", "Fatal"
    UNKNOWN = "unknown", "Unknown"


# Outcomes that say the side effect has ended: they need the day it ended (an ongoing report, one
# with no resolution date, is recovering, not resolved, fatal or unknown).
RESOLVED_OUTCOMES = (Outcome.RESOLVED, Outcome.RESOLVED_WITH_SEQUELAE)


class Causality(models.TextChoices):
    UNRELATED = "unrelated", "Unrelated"
    UNLIKELY = "unlikely", "Unlikely"
    POSSIBLE = "possible", "Possible"
    PROBABLE = "probable", "Probable"
    DEFINITE = "definite", "Definite"


SERIOUSNESS_FIELDS = (
    "serious_death",
    "serious_life_threatening",
    "serious_hospitalization",
    "serious_disability",
    "serious_congenital_anomaly",
    "serious_other",
)


def any_seriousness() -> Q:
    """A seriousness criterion is ticked: the one condition the review filter and the review
    queue's order (serious first) share."""
    serious = Q()
    for name in SERIOUSNESS_FIELDS:
        serious |= Q(**{name: True})
    return serious


# Unreviewed and not voided: the reports a review could still be owed on.
UNREVIEWED = Q(reviewed_at__isnull=True, voided_at__isnull=True)


def review_always() -> Q:
    """An unreviewed report that needs review whatever the day: serious, grade 3 or more, or
    resolved later than expected (``sideeffect_review_always_idx`` holds exactly these)."""
    return UNREVIEWED & (any_seriousness() | Q(grade__gte=3) | Q(resolved_on__gt=F("expected_resolution_by")))


# An unreviewed report still ongoing: it needs review once its expected resolution day has passed
# (``sideeffect_review_ongoing_idx``, by that day).
UNREVIEWED_ONGOING = UNREVIEWED & Q(resolved_on__isnull=True)


class SideEffectQuerySet(ClinicalQuerySet):
    def needing_review(self, today: dt.date | None = None):
        """Unreviewed reports that a physician must see: serious, grade 3 or more, or lasting longer
        than expected. Re-evaluated against today's date, so an ongoing fever joins on its own.

        Read as its two parts, each from its own partial index: the reports that need review
        whatever the day, and the ongoing ones past their expected resolution. Most unreviewed
        reports are mild ones that never will; a filter over all of them would read every one."""
        today = today or timezone.localdate()
        always = self.filter(review_always()).order_by().values("pk")
        overdue = self.filter(UNREVIEWED_ONGOING, expected_resolution_by__lt=today).order_by().values("pk")
        return self.filter(pk__in=always.union(overdue))

    def ongoing(self):
        """Not resolved yet (an empty resolution date)."""
        return self.filter(resolved_on__isnull=True)

    def with_page_relations(self):
        """What a report's pages show of its relations, in the same query."""
        return self.select_related("patient", "treatment", "reported_by", "reviewed_by", "voided_by")


class SideEffectReport(ClinicalRecord):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="side_effects")
    treatment = models.ForeignKey(Treatment, on_delete=models.PROTECT, related_name="side_effects")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)
    term = models.CharField(max_length=20, choices=Term)
    term_other = models.CharField("other (describe)", max_length=200, blank=True)
    onset = models.DateField()
    resolved_on = models.DateField("resolved on", null=True, blank=True, help_text="Empty while ongoing.")
    # Onset + the protocol's expected duration - 1 (onset is day 1), fixed when the report is saved.
    expected_resolution_by = models.DateField(editable=False)
    grade = models.PositiveSmallIntegerField(
        "CTCAE grade", choices=Grade, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    serious_death = models.BooleanField("results in death", default=False)
    serious_life_threatening = models.BooleanField("life-threatening", default=False)
    serious_hospitalization = models.BooleanField("requires or prolongs hospitalization", default=False)
    serious_disability = models.BooleanField("persistent disability or incapacity", default=False)
    serious_congenital_anomaly = models.BooleanField("congenital anomaly / birth defect", default=False)
    serious_other = models.BooleanField("other important medical event", default=False)
    outcome = models.CharField(max_length=20, choices=Outcome, default=Outcome.UNKNOWN)
    causality = models.CharField(max_length=20, choices=Causality, default=Causality.POSSIBLE)
    action_taken = models.TextField("action taken", blank=True)
    narrative = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    review_assessment = models.TextField("physician's assessment", blank=True, editable=False)
    review_action = models.TextField("action decided", blank=True, editable=False)

    history = HistoricalRecords()
    objects = SideEffectQuerySet.as_manager()

    class Meta:
        ordering = ["-onset", "-id"]
        verbose_name = "side-effect report"
        base_manager_name = "objects"  # Django internals use it too: keep bulk writes closed
        verbose_name_plural = "side-effect reports"
        permissions = [("review_sideeffectreport", "Can review side-effect reports")]
        constraints = ClinicalRecord.Meta.constraints + [
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5), name="sideeffect_grade_range"),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("onset")),
                name="sideeffect_resolution_after_onset",
            ),
            # CTCAE grade 5 is death: the outcome is fatal and the event serious.
            models.CheckConstraint(
                condition=~Q(grade=5) | Q(outcome="fatal", serious_death=True), name="sideeffect_grade5_fatal"
            ),
            models.CheckConstraint(
                condition=~Q(term="other") | ~Q(term_other=""), name="sideeffect_other_described"
            ),
            # "Resolved" with no resolution date would read "Outcome: Resolved" beside "ongoing".
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=False) | ~Q(outcome__in=RESOLVED_OUTCOMES),
                name="sideeffect_resolved_has_date",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(reviewed_by__isnull=False),
                name="sideeffect_review_has_reviewer",
            ),
        ]
        indexes = [
            # The review queue filters unreviewed reports; figures count by onset period.
            models.Index(fields=["reviewed_at", "onset"], name="sideeffect_review_idx"),
            # The review queue's two parts (needing_review): few rows each, whatever the number of
            # mild reports nobody reviews.
            models.Index(fields=["id"], condition=review_always(), name="sideeffect_review_always_idx"),
            models.Index(
                fields=["expected_resolution_by", "id"],
                condition=UNREVIEWED_ONGOING,
                name="sideeffect_review_ongoing_idx",
            ),
            models.Index(fields=["patient", "-onset"], name="sideeffect_patient_idx"),
            # The admin's list in the model's ordering (newest onset first, then the pk), read
            # backwards, and its onset filter.
            models.Index(fields=["onset", "id"], name="sideeffect_onset_idx"),
            # The list page (selectors.side_effects.side_effect_list: active reports, newest onset
            # first): a page's rows in index order, no sort of every report.
            models.Index(fields=["voided_at", "-onset", "-id"], name="sideeffect_list_idx"),
            # The side-effect figures (side_effect_figures.reports_for and the counts over it): the
            # active reports of a period's treatments by term and grade, read from the index alone.
            models.Index(
                fields=["treatment", "voided_at", "patient", "term", "grade"], name="sideeffect_figures_idx"
            ),
        ]

    def __str__(self):
        return f"{self.term_label} (grade {self.grade}) from {format_day(self.onset)}"

    @property
    def term_label(self) -> str:
        return self.term_other if self.term == Term.OTHER else self.get_term_display()

    @property
    def is_serious(self) -> bool:
        return any(getattr(self, name) for name in SERIOUSNESS_FIELDS)

    @property
    def expected_days(self) -> int:
        """The protocol's expected duration that applied to this report (onset is day 1)."""
        return (self.expected_resolution_by - self.onset).days + 1

    @property
    def seriousness_labels(self) -> list[str]:
        return [
            str(self._meta.get_field(name).verbose_name) for name in SERIOUSNESS_FIELDS if getattr(self, name)
        ]

    def compute_expected_resolution_by(self) -> dt.date:
        """Onset + the expected duration - 1, by the protocol in force on the treatment date.

        The one place this date is worked out: the service fixes it on every report and amendment,
        and ``save`` fills it in for a record made without the service.
        """
        protocol = Protocol.objects.in_force_on(self.treatment.treatment_date)
        return self.onset + dt.timedelta(days=protocol.expected_side_effect_days - 1)

    def save(self, *args, **kwargs):
        # Records made without the service (demo data, test fixtures, the shell) still get the date.
        if self.expected_resolution_by is None and self.onset and self.treatment_id:
            self.expected_resolution_by = self.compute_expected_resolution_by()
        super().save(*args, **kwargs)

    def duration_days(self, today: dt.date | None = None) -> int:
        """Days affected, counting the onset day as day 1."""
        end = self.resolved_on or today or timezone.localdate()
        return (end - self.onset).days + 1

    def lasts_too_long(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        if self.resolved_on is None:
            return self.expected_resolution_by < today
        return self.resolved_on > self.expected_resolution_by

    def needs_review(self, today: dt.date | None = None) -> bool:
        if self.reviewed_at is not None or self.is_voided:
            return False
        return self.is_serious or self.grade >= 3 or self.lasts_too_long(today)

    def review_reasons(self, today: dt.date | None = None) -> list[str]:
        """Why a physician must look at this report (the same rules as ``needing_review``)."""
        today = today or timezone.localdate()
        reasons = []
        if self.is_serious:
            reasons.append("Serious: " + ", ".join(self.seriousness_labels))
        if self.grade >= 3:
            reasons.append(f"Grade {self.get_grade_display()}")
        if self.lasts_too_long(today):
            verb = "Ongoing for" if self.resolved_on is None else "Lasted"
            reasons.append(f"{verb} {self.duration_days(today)} days (expected at most {self.expected_days})")
        return reasons

    def clean(self):
        errors = {}
        today = timezone.localdate()
        if self.onset and self.onset > today:
            errors["onset"] = "The onset cannot be in the future."
        if self.resolved_on and self.resolved_on > today:
            errors["resolved_on"] = "The resolution date cannot be in the future."
        if self.onset and self.resolved_on and self.resolved_on < self.onset:
            errors["resolved_on"] = "The resolution date must be on or after the onset."
        if self.onset and self.treatment_id and self.onset < self.treatment.treatment_date:
            day = self.treatment.treatment_date
            errors["onset"] = f"The onset must be on or after the treatment date ({format_day(day)})."
        if self.term == Term.OTHER and not (self.term_other or "").strip():
            errors["term_other"] = "Describe the side effect when the term is “Other”."
        if self.grade == Grade.DEATH and (self.outcome != Outcome.FATAL or not self.serious_death):
            errors["grade"] = "Grade 5 means death: set the outcome to fatal and tick “results in death”."
        if self.outcome in RESOLVED_OUTCOMES and not self.resolved_on:
            errors["resolved_on"] = (
                f"Enter the resolution date: the outcome “{self.get_outcome_display()}” means the side "
                "effect has ended. While it is ongoing, choose Recovering, Not resolved or Unknown."
            )
        if self.treatment_id and self.patient_id and self.treatment.patient_id != self.patient_id:
            errors["treatment"] = "The treatment belongs to another patient."
        if errors:
            raise ValidationError(errors)
