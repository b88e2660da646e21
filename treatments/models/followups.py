"""Follow-ups scheduled from a signed treatment, and the contact attempts made for them."""

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Least
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.dates import MONTHS_3
from simple_history.models import HistoricalRecords

from clinic.formats import day as format_day
from clinic.formats import moment
from clinic.models import ClinicalQuerySet, ClinicalRecord
from clinic.roles import PHYSICIAN, roles_of
from treatments.models.patients import Patient
from treatments.models.protocol import WINDOW_AFTER_MAX_DAYS, FollowUpStep, StepKind
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


# The worklist's horizons, in days from today (the clinic's local date).
WEEK_DAYS = 7
UPCOMING_DAYS = 30
RECENT_DAYS = 14
# The worklist's and the dashboard's section counts stop at this many: past it a section shows
# "500+" (a count of every overdue follow-up of a large clinic would read all of them on every
# page view; the filters narrow a section that large).
COUNT_CAP = 500
# The order each section's capped count walks in: its index's (followup_status_due_idx,
# followup_worklist_overdue_idx), so that PostgreSQL reads an index range rather than scanning the
# table until it has found enough rows (which it may prefer when a section is a large share).
COUNT_ORDER = {
    "due_today": ("due_on",),
    "due_this_week": ("due_on",),
    "overdue": ("window_end",),
    "upcoming": ("due_on",),
    "missed": ("window_end", "due_on", "id"),
}


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


class CappedCount(models.Subquery):
    """The number of rows a (sliced) queryset returns: ``SELECT COUNT(*) FROM (...)``, which counts
    the ids the subquery read from its index, with no lookup of each row."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = models.IntegerField()


def local_midnight(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the clinic's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class FollowUpQuerySet(ClinicalQuerySet):
    """Read filters of the worklist. Every open follow-up due within the next 30 days or overdue
    falls into exactly one of due_today / due_this_week / upcoming / overdue; a missed one is in
    "missed" until a physician has seen it, then in "recent" for 14 days after its window closed."""

    def open(self):
        return self.active().filter(status=FollowUpStatus.SCHEDULED)

    def due_between(self, start: dt.date, end: dt.date):
        return self.open().filter(due_on__gte=start, due_on__lte=end)

    def overdue(self, today: dt.date | None = None):
        """Still scheduled after the window closed."""
        today = today or timezone.localdate()
        return self.open().filter(window_end__lt=today)

    def due_today(self, today: dt.date | None = None):
        """Due now: the due date has come (today or earlier) and the window is still open."""
        return self.open().filter(section_conditions(today or timezone.localdate())["due_today"])

    def due_this_week(self, today: dt.date | None = None):
        """Due in the rest of the seven days starting today (tomorrow to today + 6)."""
        today = today or timezone.localdate()
        return self.due_between(today + dt.timedelta(days=1), today + dt.timedelta(days=WEEK_DAYS - 1))

    def upcoming(self, today: dt.date | None = None):
        """Due later in the next 30 days, beyond this week."""
        today = today or timezone.localdate()
        return self.due_between(
            today + dt.timedelta(days=WEEK_DAYS), today + dt.timedelta(days=UPCOMING_DAYS)
        )

    def recently_closed(self, today: dt.date | None = None):
        """Completed in the last 14 days, and missed ones a physician has seen whose window closed
        in that time (a missed follow-up can still be completed when the patient calls back)."""
        return self.active().filter(section_conditions(today or timezone.localdate())["recent"])

    def missed_unseen(self, today: dt.date | None = None):
        """Missed and not yet seen by a physician, however long ago (followup_missed_unseen_idx)."""
        return self.active().filter(MISSED_UNSEEN)

    def for_physician(self, user):
        """Follow-ups of the treatments this physician gave."""
        return self.filter(physician=user)

    def reminders_for(self, user):
        """The open follow-ups a user is reminded of (the digest, the calendar feed): a physician's
        own patients' (the treatments they gave); everyone else who works the worklist sees them all."""
        followups = self.open()
        if PHYSICIAN in roles_of(user):
            followups = followups.for_physician(user)
        return followups

    def with_page_relations(self):
        """What a follow-up's page shows of its relations, in the same query."""
        return self.select_related(
            "patient", "step", "treatment__physician", "completed_by", "created_by", "voided_by"
        )

    def with_attempt_counts(self):
        """Each row's contact attempts, one correlated count per row returned (use it on a page of
        rows, not before a LIMIT: a grouped count would count the attempts of every row first)."""
        attempts = (
            FollowUpAttempt.objects.filter(followup=models.OuterRef("pk"))
            .order_by()
            .values("followup")
            .annotate(total=models.Count("pk"))
            .values("total")
        )
        return self.annotate(attempt_count=Coalesce(models.Subquery(attempts), 0))

    def worklist_counts(self, today: dt.date | None = None) -> dict[str, int]:
        """Open follow-ups per worklist section, in one query (the dashboard's figures)."""
        conditions = section_conditions(today or timezone.localdate())
        del conditions["recent"]
        return self.count_sections(conditions)

    def worklist_totals(self, today: dt.date | None = None) -> dict[str, int]:
        """Every worklist section's full count, the recently closed one too, in one query."""
        today = today or timezone.localdate()
        return self.count_sections(section_conditions(today) | {"recent": recent_parts(today)})

    def count_sections(self, conditions: dict[str, Q | tuple[tuple[Q, tuple], ...]]) -> dict[str, int]:
        """Each section's count up to COUNT_CAP + 1, in one query: a scalar subquery per section
        that counts its first COUNT_CAP + 1 ids (an index range each, read from the index alone), so
        the cost is the same for a clinic of a thousand patients or of a hundred thousand. A tuple
        of (condition, order) parts is a section of disjoint parts (recent_parts): their counts
        add up."""
        active = self.active().order_by()

        def capped(condition: Q, order) -> CappedCount:
            return CappedCount(active.filter(condition).order_by(*order).values("pk")[: COUNT_CAP + 1])

        counts = {}
        for key, condition in conditions.items():
            if isinstance(condition, tuple):
                total = sum((capped(part, order) for part, order in condition), start=models.Value(0))
                counts[key] = Least(total, models.Value(COUNT_CAP + 1))
            else:
                counts[key] = capped(condition, COUNT_ORDER.get(key, ()))
        # Any one row carries the uncorrelated counts; an empty table has none to count.
        # (the first by primary key: an index probe, not a scan).
        row = next(iter(FollowUp.objects.order_by("pk").annotate(**counts).values(*counts)[:1]), None)
        return row or dict.fromkeys(conditions, 0)


# Missed follow-ups stay in the worklist's "Missed" section until a physician has seen them
# (followup_acknowledge_missed), whatever their age: a missed contact is a clinical signal.
MISSED_UNSEEN = Q(status=FollowUpStatus.MISSED, missed_seen_at__isnull=True)


def section_conditions(today: dt.date) -> dict[str, Q]:
    """Each worklist section's rule as one condition, the same as the QuerySet methods above."""
    day = dt.timedelta(days=1)
    scheduled = Q(status=FollowUpStatus.SCHEDULED)
    (completed, _), (missed, _) = recent_parts(today)
    return {
        # A window closes at most WINDOW_AFTER_MAX_DAYS after its due date (followup_window_bound),
        # so the due dates of the open windows lie in that many days before today: a bounded range
        # of (status, due_on) rather than every past due date skipped until a window is open.
        "due_today": scheduled
        & Q(due_on__gte=today - WINDOW_AFTER_MAX_DAYS * day, due_on__lte=today, window_end__gte=today),
        "due_this_week": scheduled & Q(due_on__gte=today + day, due_on__lte=today + (WEEK_DAYS - 1) * day),
        "overdue": scheduled & Q(window_end__lt=today),
        "upcoming": scheduled
        & Q(due_on__gte=today + WEEK_DAYS * day, due_on__lte=today + UPCOMING_DAYS * day),
        "recent": completed | missed,
        "missed": MISSED_UNSEEN,
    }


def recent_parts(today: dt.date) -> tuple[tuple[Q, tuple[str, ...]], ...]:
    """ "Recently completed" as its two disjoint parts, each an index range of its own with the
    order that walks it: completed in the last RECENT_DAYS days (followup_status_done_idx), and
    missed with the window closed in that time (followup_worklist_overdue_idx). The count and the
    page's rows read the parts apart, rather than every row of the union to sort them."""
    since = today - dt.timedelta(days=RECENT_DAYS)
    return (
        (Q(status=FollowUpStatus.COMPLETED, completed_at__gte=local_midnight(since)), ("completed_at",)),
        # (due_on bounds the range as for "due today": the window closed at most that long after it)
        (
            Q(
                status=FollowUpStatus.MISSED,
                window_end__gte=since,
                due_on__gte=since - dt.timedelta(days=WINDOW_AFTER_MAX_DAYS),
                # not yet seen: in "Missed" instead (each follow-up is in one section)
                missed_seen_at__isnull=False,
            ),
            ("window_end",),
        ),
    )


class Timing(NamedTuple):
    """Where a follow-up stands on a day, in the worklist's terms: the section its dates and status
    put it in (section_conditions; None when it is in none), and the words its row and its page
    show, so that a row never says something its section contradicts."""

    section: str | None
    words: str
    badge: str  # the badge's classes


def short_date(day: dt.date, today: dt.date) -> str:
    """ "5 Dec", with the year when it is not this year's ("5 Dec 2025")."""
    text = f"{day.day} {str(MONTHS_3[day.month]).title()}"
    return text if day.year == today.year else f"{text} {day.year}"


def _in_days(days: int) -> str:
    return "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"


def followup_timing(
    *,
    status: str,
    due_on: dt.date,
    window_end: dt.date,
    today: dt.date,
    completed_on: dt.date | None = None,
    missed_seen: bool = False,
) -> Timing:
    """The section and the words of a follow-up on ``today``, by the rules of section_conditions
    (tests/test_followup_timing.py holds the two together)."""
    if status == FollowUpStatus.COMPLETED:
        recent = completed_on is not None and completed_on >= today - dt.timedelta(days=RECENT_DAYS)
        done = f"Completed {short_date(completed_on, today)}" if completed_on else "Completed"
        return Timing("recent" if recent else None, done, "text-bg-success")
    if status == FollowUpStatus.MISSED:
        if not missed_seen:
            return Timing("missed", "Missed · not yet seen by a physician", "text-bg-warning")
        recent = window_end >= today - dt.timedelta(days=RECENT_DAYS)
        return Timing("recent" if recent else None, "Missed · seen", "text-bg-secondary")
    if status != FollowUpStatus.SCHEDULED:
        return Timing(None, "Cancelled", "text-bg-secondary")
    if window_end < today:
        late = (today - window_end).days
        words = f"{late} day{pluralize(late)} past its window (closed {short_date(window_end, today)})"
        return Timing("overdue", words, "text-bg-danger")
    if due_on <= today:
        ago = (today - due_on).days
        due = "Due today" if ago == 0 else f"Due {ago} day{pluralize(ago)} ago"
        closes = (
            "window closes today"
            if window_end == today
            else f"window open until {short_date(window_end, today)}"
        )
        return Timing("due_today", f"{due} · {closes}", "text-bg-warning" if ago else "text-bg-primary")
    ahead = (due_on - today).days
    section = "due_this_week" if ahead < WEEK_DAYS else "upcoming" if ahead <= UPCOMING_DAYS else None
    return Timing(section, f"Due {_in_days(ahead)}", "text-bg-light border")


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
