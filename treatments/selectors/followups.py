"""Reads of follow-ups: the worklist's sections and counts, and the attempts on a follow-up's page."""

import dataclasses
import datetime as dt
from typing import NamedTuple

from django.db.models import F
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.html import format_html, format_html_join

from clinic.formats import day as format_day
from treatments.filters.followups import WorklistFilter
from treatments.models import FollowUp, FollowUpAttempt
from treatments.models.followup_worklist import COUNT_CAP, followup_timing, recent_parts, short_date
from treatments.selectors.figure_cache import cached_figure, data_version
from treatments.services.followup_actions import ACTIONS, followup_allowed_actions

# Rows per page of a worklist section; the section's full count is always shown, and a "more" link
# opens the section's next page.
SECTION_LIMIT = 25
BY_DUE_DATE = ("due_on", "id")
# Due today: by due date, then the window that closes first; the order of
# followup_dashboard_cards_idx (status, due_on, window_end, voided_at), read alone until a page of
# open windows is found (by due date and id, the table's rows whose window closed are read too).
BY_DUE_DATE_AND_WINDOW = ("due_on", "window_end", "id")
# Recently completed: by completion time, newest first, then the missed ones by when their window
# closed (the latest first).
RECENT_ORDER = (F("completed_at").desc(nulls_last=True), "-window_end", "-due_on", "-id")
# The same order within each part of the section (recent_parts), as its index is walked backwards
# (followup_status_done_idx, followup_worklist_overdue_idx): completed ones all have a completion
# time, missed ones none (followup_completed_at_when_completed).
RECENT_PART_ORDERS = (("-completed_at", "-window_end", "-due_on", "-id"), ("-window_end", "-due_on", "-id"))
# key, title, help, the FollowUp queryset method that selects the section, the order of its rows.
SECTIONS = (
    ("due_today", "Due today", "Due date reached, window still open.", "due_today", BY_DUE_DATE_AND_WINDOW),
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
        "missed",
        "Missed",
        "Marked missed and not yet seen by a physician.",
        "missed_unseen",
        ("window_end", "due_on", "id"),
    ),
    (
        "recent",
        "Recently completed",
        "Completed, or missed and seen, in the last 14 days.",
        "recently_closed",
        RECENT_ORDER,
    ),
)
CLOSED_SECTIONS = ("missed", "recent")
# The section the page opens on when none is asked for: the first of these with follow-ups. Due
# today first (its window closes soonest, a call now still makes it), then the overdue ones.
URGENCY = ("due_today", "overdue", "missed", "due_this_week", "upcoming", "recent")


@dataclasses.dataclass
class WorklistSection:
    key: str
    title: str
    help: str
    rows: list["WorklistRow"]
    count: int  # the section's follow-ups beyond the rows shown, counted up to COUNT_CAP + 1
    page: int = 1  # the page of the section the rows are on (1 when the section is not shown)
    shown: bool = True  # False for the other sections: their tab shows the count, no rows

    @property
    def capped(self) -> bool:
        """More follow-ups than the count goes to: the tab says "500+" and the pager stops there."""
        return self.count > COUNT_CAP

    @property
    def count_label(self) -> str:
        return f"{COUNT_CAP}+" if self.capped else str(self.count)

    @property
    def first_row(self) -> int:
        return (self.page - 1) * SECTION_LIMIT + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return (self.page - 1) * SECTION_LIMIT + len(self.rows)

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.shown and self.last_row < min(self.count, COUNT_CAP) else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.shown and self.page > 1 else None

    @property
    def next_last_row(self) -> int:
        """The last row the "more" link opens."""
        return min(self.last_row + SECTION_LIMIT, self.count, COUNT_CAP)


class RowPatient(NamedTuple):
    """What a row and the patient select show of a patient (read with the row, no model)."""

    pk: int
    family_name: str
    given_name: str
    mrn: str


@dataclasses.dataclass(slots=True)
class WorklistRow:
    """One follow-up as its row shows it: strings made once here, so that the template only
    prints them."""

    pk: int
    url: str  # the follow-up's page
    patient: RowPatient
    patient_url: str
    phone: str
    email: str
    step_name: str
    kind: str
    optional: bool
    status: str
    attempt_count: int
    attempts_label: str  # "2 attempts", or "" when there were none
    due: str  # "Mon 2026-03-02"
    window: str  # "03-01 – 03-03"
    section: str | None  # the section its dates put it in (followup_timing): the one it is listed in
    timing: str  # "Due 14 days ago · window open until 5 Dec", "3 days past its window (closed …)"
    timing_class: str  # the badge's classes, with ``timing``
    # The actions this user may take (action_refusal), as (label, link), the primary one first;
    # none for the others, who get a "View" link.
    actions: tuple[tuple[str, str], ...]
    # The other actions as links for the row's "More" menu (one format_html per row: the template
    # prints one value, not a loop, which was a third of a row's rendering time).
    more_html: str


@dataclasses.dataclass
class Worklist:
    sections: list[WorklistSection]  # every section with its count, in tab order
    section: WorklistSection  # the one whose rows are shown
    by_default: bool  # the section was chosen for the user: the most urgent one with rows

    @property
    def patients(self) -> list[RowPatient]:
        """The patients on the rows shown when they are open follow-ups (no query of its own)."""
        if self.section.key in CLOSED_SECTIONS:
            return []
        return list({row.patient.pk: row.patient for row in self.section.rows}.values())


def filtered_followups(filters: WorklistFilter | None):
    followups = FollowUp.objects.all()
    return followups if filters is None else filters.filter_queryset(followups)


def followup_counts(*, today: dt.date, filters: WorklistFilter | None = None) -> dict[str, int]:
    """Open follow-ups per worklist section, in one query: the dashboard's cards (no filters) and
    the worklist's badges."""
    return filtered_followups(filters).worklist_counts(today)


def section_keys() -> tuple[str, ...]:
    return tuple(key for key, *_ in SECTIONS)


def default_section(totals: dict[str, int]) -> str:
    """The most urgent section with follow-ups in it (URGENCY), or the first when all are empty."""
    return next((key for key in URGENCY if totals[key]), URGENCY[0])


def followup_worklist(
    *,
    filters: WorklistFilter | None,
    today: dt.date,
    section: str | None = None,
    page: int = 1,
    user=None,
) -> Worklist:
    """Every section's count, and one page of SECTION_LIMIT rows of one section: ``section`` at
    ``page`` (a page past the end shows the last), or, when ``section`` names none, the first page
    of the most urgent section with follow-ups. Two queries whatever the number of rows (and those
    of the filters' own checks): the counts, then the page's rows with their attempts counted.
    Each row offers the actions ``user`` may take (none without a user)."""
    followups = filtered_followups(filters)
    totals = worklist_totals(followups=followups, filters=filters, today=today)
    by_default = section not in section_keys()
    if by_default:
        section, page = default_section(totals), 1
    sections = []
    for key, title, help_text, method, order in SECTIONS:
        count = totals[key]
        if key != section:
            sections.append(WorklistSection(key, title, help_text, [], count, shown=False))
            continue
        last_page = max(1, -(-min(count, COUNT_CAP) // SECTION_LIMIT))
        number = min(max(page, 1), last_page)
        start = (number - 1) * SECTION_LIMIT
        ids = _page_ids(followups, key, method, order, today, start)
        rows = _rows(ids, order, today, user)
        shown = WorklistSection(key, title, help_text, rows, count, page=number)
        sections.append(shown)
    return Worklist(sections, shown, by_default)


def _filter_key(filters: WorklistFilter | None) -> tuple[str, ...] | None:
    """What the worklist is filtered by, as ids and codes (None when the filters were refused: their
    counts are then not kept)."""
    if filters is None:
        return ("all",)
    if not filters.is_valid():
        return None
    data = filters.form.cleaned_data
    return tuple(
        f"{name}={getattr(data.get(name), 'pk', data.get(name)) or ''}" for name in sorted(filters.filters)
    )


def worklist_totals(*, followups, filters: WorklistFilter | None, today: dt.date) -> dict[str, int]:
    """Every section's count (``FollowUpQuerySet.worklist_totals``), kept in the figure cache until a
    follow-up changes (the follow-up table's data version: every change of one writes a history row)
    or the day does: the counts are the same for every view of the same filters in between, and
    building their eight subqueries costs the page more than reading them. Counts only, never an
    identifier."""
    key = _filter_key(filters)
    if key is None:
        return followups.worklist_totals(today)
    return cached_figure(
        "worklist_totals",
        version=data_version(),
        tables=("followup",),
        args=(today.isoformat(), *key),
        compute=lambda: followups.worklist_totals(today),
    )


def _page_ids(followups, key: str, method: str, order, today: dt.date, start: int):
    """The ids of a section's page, as a subquery. "Recently completed" is two index ranges
    (recent_parts): each part's first ``start + SECTION_LIMIT`` ids in the section's order, then the
    page among those (at most 2 x COUNT_CAP rows sorted, however many the section holds). The parts
    are a UNION ALL, not an OR of two IN lists, which PostgreSQL reads by a scan of the table."""
    end = start + SECTION_LIMIT
    if key != "recent":
        return getattr(followups, method)(today).order_by(*order).values("pk")[start:end]
    # (recent_parts are the whole section: its missed part holds the seen ones only)
    active = followups.active()
    first, *others = (
        FollowUp.objects.filter(pk__in=active.filter(condition).order_by(*part_order).values("pk")[:end])
        .order_by()
        .values("pk")
        for (condition, _), part_order in zip(recent_parts(today), RECENT_PART_ORDERS, strict=True)
    )
    return (
        FollowUp.objects.filter(pk__in=first.union(*others, all=True))
        .order_by(*order)
        .values("pk")[start:end]
    )


ROW_FIELDS = (
    "pk",
    "patient_id",
    "patient__family_name",
    "patient__given_name",
    "patient__mrn",
    "patient__phone",
    "patient__email",
    "step_name",
    "kind",
    "step__optional",
    "status",
    "is_assessment",
    "due_on",
    "window_start",
    "window_end",
    "completed_at",
    "missed_seen_at",
    "attempt_count",
)
# (#action-area: on a phone the action's form is below the follow-up's details)
MORE_LINK = '<a href="{}?action={}#action-area">{}</a>'


def _url_maker(name: str):
    """``reverse(name, args=[pk])`` for many pks: reversed once, then the pk put in its place."""
    marker = 987654321
    before, _, after = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{before}{pk}{after}"


def _action_maker(user):
    """The actions a user may take per follow-up state, asked of the services' rule once per state
    on a page (a handful of states, whatever the number of rows)."""
    known: dict[tuple, tuple[str, ...]] = {}

    def actions(status: str, is_assessment: bool, missed_seen: bool) -> tuple[str, ...]:
        if user is None:
            return ()
        state = (status, is_assessment, missed_seen)
        if state not in known:
            known[state] = followup_allowed_actions(
                user=user, status=status, is_assessment=is_assessment, missed_seen=missed_seen
            )
        return known[state]

    return actions


def _more_links_maker():
    """A row's "More" menu (its actions after the first) for many rows: the links of each set of
    actions escaped once per page into a format string with the row's follow-up URL as its one
    argument (``format_html`` escapes it), instead of formatting and escaping every link of every
    row."""
    mark = "\x00url\x00"
    made: dict[tuple[str, ...], str] = {}

    def more_links(keys: tuple[str, ...], url: str) -> str:
        if len(keys) < 2:
            return ""
        if keys not in made:
            links = str(format_html_join("", MORE_LINK, ((mark, key, ACTIONS[key]) for key in keys[1:])))
            made[keys] = links.replace("{", "{{").replace("}", "}}").replace(mark, "{0}")
        return format_html(made[keys], url)

    return more_links


def _rows(ids, order, today: dt.date, user=None) -> list[WorklistRow]:
    values = FollowUp.objects.filter(pk__in=ids).with_attempt_counts().order_by(*order).values(*ROW_FIELDS)
    followup_url, patient_url = _url_maker("followup_detail"), _url_maker("patient_detail")
    allowed = _action_maker(user)
    more_links = _more_links_maker()
    # Django's "D" date format, translated once per page rather than once per row.
    weekdays = [str(WEEKDAYS_ABBR[day]) for day in range(7)]
    rows = []
    for value in values:
        status, due_on, window_end = value["status"], value["due_on"], value["window_end"]
        completed_at = value["completed_at"]
        missed_seen = value["missed_seen_at"] is not None
        timing = followup_timing(
            status=status,
            due_on=due_on,
            window_end=window_end,
            today=today,
            completed_on=timezone.localtime(completed_at).date() if completed_at else None,
            missed_seen=missed_seen,
        )
        url = followup_url(value["pk"])
        keys = allowed(status, value["is_assessment"], missed_seen)
        actions = tuple((ACTIONS[key], f"{url}?action={key}#action-area") for key in keys)
        more_html = more_links(keys, url)
        attempts = value["attempt_count"]
        rows.append(
            WorklistRow(
                pk=value["pk"],
                url=url,
                patient=RowPatient(
                    value["patient_id"],
                    value["patient__family_name"],
                    value["patient__given_name"],
                    value["patient__mrn"],
                ),
                patient_url=patient_url(value["patient_id"]),
                phone=value["patient__phone"],
                email=value["patient__email"],
                step_name=value["step_name"],
                kind=value["kind"],
                optional=value["step__optional"],
                status=status,
                attempt_count=attempts,
                attempts_label=f"{attempts} attempt{pluralize(attempts)}" if attempts else "",
                due=f"{weekdays[due_on.weekday()]} {format_day(due_on)}",
                window=f"{short_date(value['window_start'], today)} – {short_date(window_end, today)}",
                section=timing.section,
                timing=timing.words,
                timing_class=timing.badge,
                actions=actions,
                more_html=more_html,
            )
        )
    return rows


def followup_attempts(*, followup: FollowUp) -> list[FollowUpAttempt]:
    """The contact attempts made for a follow-up, oldest first, with who made them."""
    return list(followup.attempts.select_related("by"))
