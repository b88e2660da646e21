"""The worklist's rules: which section an open or missed follow-up falls in on a given day, the
sections' capped counts (``FollowUp.objects`` is a ``FollowUpQuerySet``), and the words and badge
of a follow-up's timing."""

import datetime as dt
from typing import NamedTuple

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Least
from django.template.defaultfilters import pluralize
from django.utils import timezone

from clinic.formats import month_abbr
from clinic.models import ClinicalQuerySet
from clinic.roles import PHYSICIAN, roles_of
from treatments.models.followup_choices import FollowUpStatus
from treatments.models.protocol import WINDOW_AFTER_MAX_DAYS

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
            # FollowUpAttempt (models.followups), reached through the relation: no import cycle.
            self.model._meta.get_field("attempts")
            .related_model.objects.filter(followup=models.OuterRef("pk"))
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
        row = next(iter(self.model.objects.order_by("pk").annotate(**counts).values(*counts)[:1]), None)
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
    text = f"{day.day} {month_abbr(day.month)}"
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
