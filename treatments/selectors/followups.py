"""Reads of follow-ups: the worklist's sections and counts, and the attempts on a follow-up's page."""

import dataclasses
import datetime as dt

from django.db.models import F

from treatments.filters.followups import WorklistFilter
from treatments.models import FollowUp, FollowUpAttempt, Patient

# Rows per page of a worklist section; the section's full count is always shown, and a "more" link
# opens the section's next page.
SECTION_LIMIT = 25
BY_DUE_DATE = ("due_on", "id")
# key, title, help, the FollowUp queryset method that selects the section, the order of its rows.
SECTIONS = (
    ("due_today", "Due today", "Due date reached, window still open.", "due_today", BY_DUE_DATE),
    ("due_this_week", "Due this week", "The next six days.", "due_this_week", BY_DUE_DATE),
    (
        "overdue",
        "Overdue",
        "The window has closed and nobody reached the patient.",
        "overdue",
        ("window_end", "due_on", "id"),
    ),
    ("upcoming", "Upcoming", "Due in the next 30 days, after this week.", "upcoming", BY_DUE_DATE),
    (
        "recent",
        "Recently completed",
        "Completed or missed in the last 14 days.",
        "recently_closed",
        (F("completed_at").desc(nulls_last=True), "-due_on", "-id"),
    ),
)
CLOSED_SECTIONS = ("recent",)


@dataclasses.dataclass
class WorklistSection:
    key: str
    title: str
    help: str
    rows: list[FollowUp]
    count: int  # all of the section's follow-ups, beyond the rows shown
    page: int = 1  # the page of the section the rows are on (1 when the section is not shown)
    shown: bool = True  # False when another section's page is asked for

    @property
    def first_row(self) -> int:
        return (self.page - 1) * SECTION_LIMIT + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return (self.page - 1) * SECTION_LIMIT + len(self.rows)

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.shown and self.last_row < self.count else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.shown and self.page > 1 else None


@dataclasses.dataclass
class Worklist:
    sections: list[WorklistSection]

    @property
    def patients(self) -> list[Patient]:
        """The patients on the open sections' rows (no query of its own)."""
        patients = {
            row.patient.pk: row.patient
            for section in self.sections
            if section.key not in CLOSED_SECTIONS
            for row in section.rows
        }
        return list(patients.values())


def _filtered(filters: WorklistFilter | None):
    followups = FollowUp.objects.all()
    return followups if filters is None else filters.filter_queryset(followups)


def followup_counts(*, today: dt.date, filters: WorklistFilter | None = None) -> dict[str, int]:
    """Open follow-ups per worklist section, in one query: the dashboard's cards (no filters) and
    the worklist's badges."""
    return _filtered(filters).worklist_counts(today)


def section_keys() -> tuple[str, ...]:
    return tuple(key for key, *_ in SECTIONS)


def followup_worklist(
    *, filters: WorklistFilter | None, today: dt.date, section: str | None = None, page: int = 1
) -> Worklist:
    """Due today, due this week, overdue, upcoming and recently completed, each with its full count
    and one page of SECTION_LIMIT rows: the first page of every section, or, when ``section``
    names one, that section's ``page`` alone (a page past the end shows the last). Six queries at
    most whatever the number of rows (and those of the filters' own checks): the counts, then one
    per section shown, attempts counted on the page's rows only."""
    if section not in section_keys():
        section, page = None, 1
    totals = _filtered(filters).worklist_totals(today)
    followups = _filtered(filters)
    sections = []
    for key, title, help_text, method, order in SECTIONS:
        count = totals[key]
        if section is not None and key != section:
            sections.append(WorklistSection(key, title, help_text, [], count, shown=False))
            continue
        last_page = max(1, -(-count // SECTION_LIMIT))
        number = min(max(page, 1), last_page)
        start = (number - 1) * SECTION_LIMIT
        ids = getattr(followups, method)(today).order_by(*order).values("pk")[start : start + SECTION_LIMIT]
        items = list(
            FollowUp.objects.filter(pk__in=ids)
            .with_worklist_relations()
            .with_attempt_counts()
            .order_by(*order)
        )
        for item in items:
            item.overdue_days = item.days_overdue(today)
            item.days_since_due = (today - item.due_on).days if item.is_open else 0
        sections.append(WorklistSection(key, title, help_text, items, count, page=number))
    return Worklist(sections)


def followup_attempts(*, followup: FollowUp) -> list[FollowUpAttempt]:
    """The contact attempts made for a follow-up, oldest first, with who made them."""
    return list(followup.attempts.select_related("by"))
