"""The list pages' downloads: for each list, its header and its rows as plain values, read from the
same selector and filters as the page (so page and download never disagree), every matching row, in
chunks (``.iterator(chunk_size=...)``: memory stays flat, a fixed number of queries per chunk)."""

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable

from django.db.models import QuerySet
from django.utils import timezone

from treatments.filters.followups import WorklistFilter
from treatments.models import FollowUp
from treatments.models.followup_worklist import followup_timing
from treatments.selectors.followups import SECTIONS, default_section, filtered_followups, section_keys
from treatments.selectors.treatment_list import treatment_summary

CHUNK_ROWS = 2000


@dataclasses.dataclass
class ListDownload:
    """A list's download before it is written: the header, the rows (a generator, read as the file
    is written), how many rows, and which patients appear (for their access events)."""

    header: list[str]
    rows: Iterable[tuple]
    row_count: int
    patient_ids: list[int]


def _download(queryset: QuerySet, header: list[str], row: Callable, *, patients: str | None = "patient_id"):
    ids = list(queryset.order_by().values_list(patients, flat=True).distinct()) if patients else []
    return ListDownload(
        header=header,
        rows=(row(item) for item in queryset.iterator(chunk_size=CHUNK_ROWS)),
        row_count=queryset.count(),
        patient_ids=ids,
    )


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


PATIENT_HEADER = [
    "Record no.",
    "Family name",
    "Given name",
    "Date of birth",
    "Indications",
    "Consent on file",
    "Registered",
]


def patient_download(patients: QuerySet) -> ListDownload:
    """The registry's rows (``selectors.patients.patient_list``), indications prefetched per chunk."""
    return _download(
        patients,
        PATIENT_HEADER,
        lambda p: (
            p.mrn,
            p.family_name,
            p.given_name,
            p.date_of_birth,
            "; ".join(indication.name for indication in p.indications.all()),
            p.consent_on_file,
            _local_day(p.created_at),
        ),
        patients="pk",
    )


TREATMENT_HEADER = [
    "Date and time",
    "Record no.",
    "Family name",
    "Given name",
    "Indication",
    "Course position",
    "Round",
    "Routes",
    "Lots",
    "Total dose (billion)",
    "Physician",
    "Status",
]


def _treatment_row(t) -> tuple:
    summary = treatment_summary(t)
    return (
        t.performed_at,
        t.patient.mrn,
        t.patient.family_name,
        t.patient.given_name,
        t.indication.name,
        t.get_course_position_display(),
        t.round_number,
        "; ".join(summary["routes"]),
        "; ".join(summary["lots"]),
        summary["total_dose"],
        _name(t.physician),
        t.get_status_display(),
    )


def treatment_download(treatments: QuerySet) -> ListDownload:
    """The treatments of a period (``selectors.treatment_list``), administrations prefetched per chunk."""
    return _download(treatments, TREATMENT_HEADER, _treatment_row)


LOT_HEADER = [
    "Lot number",
    "Product",
    "Status",
    "Expires",
    "Concentration (billion/ml)",
    "Received (ml)",
    "On hand (ml)",
    "Storage",
]


def lot_download(lots: QuerySet) -> ListDownload:
    """The stock list (``selectors.lots.lot_list``): no patient in it."""
    return _download(
        lots,
        LOT_HEADER,
        lambda lot: (
            lot.lot_number,
            lot.product.name,
            lot.get_status_display(),
            lot.expires_on,
            lot.concentration,
            lot.quantity_received_ml,
            lot.stock_on_hand_ml,
            lot.storage_location,
        ),
        patients=None,
    )


SIDE_EFFECT_HEADER = [
    "Onset",
    "Record no.",
    "Family name",
    "Given name",
    "Side effect",
    "Grade",
    "Resolved on",
    "Outcome",
    "Serious",
    "Review",
    "Voided",
]


def side_effect_download(reports: QuerySet, *, today: dt.date) -> ListDownload:
    """The side-effect list (``selectors.side_effects.side_effect_list``)."""

    def review(report) -> str:
        if report.reviewed_at:
            return f"reviewed {_local_day(report.reviewed_at).isoformat()}"
        return "needs review" if report.needs_review(today) else ""

    return _download(
        reports,
        SIDE_EFFECT_HEADER,
        lambda r: (
            r.onset,
            r.patient.mrn,
            r.patient.family_name,
            r.patient.given_name,
            r.term_label,
            r.grade,
            r.resolved_on,
            r.get_outcome_display(),
            r.is_serious,
            review(r),
            r.is_voided,
        ),
    )


REVIEW_QUEUE_HEADER = [
    "Onset",
    "Record no.",
    "Family name",
    "Given name",
    "Side effect",
    "Grade",
    "Serious",
    "Why it is here",
    "Reported",
    "Reported by",
]


def review_queue_download(reports: QuerySet, *, today: dt.date) -> ListDownload:
    """The review queue (``selectors.side_effects.side_effect_review_queue``), most urgent first."""
    return _download(
        reports,
        REVIEW_QUEUE_HEADER,
        lambda r: (
            r.onset,
            r.patient.mrn,
            r.patient.family_name,
            r.patient.given_name,
            r.term_label,
            r.grade,
            r.is_serious,
            "; ".join(r.review_reasons(today)),
            r.reported_at,
            _name(r.reported_by),
        ),
    )


WORKLIST_HEADER = [
    "Section",
    "Record no.",
    "Family name",
    "Given name",
    "Phone",
    "E-mail",
    "Step",
    "Optional",
    "Due",
    "Window from",
    "Window to",
    "Status",
    "Attempts",
]
WORKLIST_FIELDS = (
    "patient_id",
    "patient__family_name",
    "patient__given_name",
    "patient__mrn",
    "patient__phone",
    "patient__email",
    "step_name",
    "step__optional",
    "status",
    "due_on",
    "window_start",
    "window_end",
    "completed_at",
    "missed_seen_at",
    "attempt_count",
)


def worklist_download(*, filters: WorklistFilter, today: dt.date, section: str | None) -> ListDownload:
    """Every row of one worklist section (the page shows them 25 at a time), in the page's order,
    with the status words the page prints (``followup_timing``): the section asked for, else the one
    the page opens on (``default_section``)."""
    followups = filtered_followups(filters)
    if section not in section_keys():
        section = default_section(followups.worklist_totals(today))
    _, title, _, method, order = next(s for s in SECTIONS if s[0] == section)
    rows = getattr(followups, method)(today)
    # The attempts are counted per row returned: the chunked read counts each row once.
    values = FollowUp.objects.filter(pk__in=rows.values("pk")).order_by(*order).with_attempt_counts()

    def row(v) -> tuple:
        completed = v["completed_at"]
        timing = followup_timing(
            status=v["status"],
            due_on=v["due_on"],
            window_end=v["window_end"],
            today=today,
            completed_on=_local_day(completed),
            missed_seen=v["missed_seen_at"] is not None,
        )
        return (
            title,
            v["patient__mrn"],
            v["patient__family_name"],
            v["patient__given_name"],
            v["patient__phone"],
            v["patient__email"],
            v["step_name"],
            v["step__optional"],
            v["due_on"],
            v["window_start"],
            v["window_end"],
            timing.words,
            v["attempt_count"],
        )

    return _download(values.values(*WORKLIST_FIELDS), WORKLIST_HEADER, row)
