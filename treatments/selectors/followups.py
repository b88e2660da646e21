"""Reads of follow-ups: the worklist's sections and counts, and the attempts on a follow-up's page."""

import dataclasses
import datetime as dt

from django.db.models import F

from treatments.filters.followups import WorklistFilter
from treatments.models import FollowUp, FollowUpAttempt, Patient

# Rows shown per worklist section; the section's full count is always shown, filters narrow it.
SECTION_LIMIT = 100
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


def followup_worklist(*, filters: WorklistFilter | None, today: dt.date) -> Worklist:
    """Due today, due this week, overdue, upcoming and recently completed, each with at most
    SECTION_LIMIT rows and its full count. Six queries whatever the number of rows (and those of
    the filters' own checks)."""
    counts = followup_counts(today=today, filters=filters)
    rows = _filtered(filters).with_worklist_relations()
    sections = []
    for key, title, help_text, method, order in SECTIONS:
        items = list(getattr(rows, method)(today).order_by(*order)[:SECTION_LIMIT])
        for item in items:
            item.overdue_days = item.days_overdue(today)
            item.days_since_due = (today - item.due_on).days if item.is_open else 0
        sections.append(WorklistSection(key, title, help_text, items, counts.get(key, len(items))))
    return Worklist(sections)


def followup_attempts(*, followup: FollowUp) -> list[FollowUpAttempt]:
    """The contact attempts made for a follow-up, oldest first, with who made them."""
    return list(followup.attempts.select_related("by"))
