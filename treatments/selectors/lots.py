"""Lot reads: the stock list, a lot's page, and a recall's answer as table rows and as CSV."""

import re
from collections.abc import Iterator

from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone

from clinic.formats import moment
from clinic.writers import csv_lines
from treatments.dosing import format_amount
from treatments.filters.lots import LotFilter
from treatments.models import Administration, Lot, LotRecipient, Route, Treatment, TreatmentStatus
from treatments.models.treatments import CURRENT_STATUSES
from treatments.selectors.links import detail_url_prefix

# Clinic admins manage lots but are not in the patients' care team: they get the record number
# (enough to hand the list to a physician), the date and the dose, never names or phone numbers.
CARE_TEAM_COLUMNS = [
    "Family name",
    "Given name",
    "Record no.",
    "Phone",
    "Treatment date",
    "Dose (billion)",
    "Volume (ml)",
    "Route",
    "Site",
    "Treatment status",
]
MINIMAL_COLUMNS = ["Record no.", "Treatment date", "Dose (billion)", "Route"]
# The same columns by name, for the page's template (a list index in a template costs a dir() call
# per cell).
CARE_TEAM_KEYS = [
    "family_name",
    "given_name",
    "mrn",
    "phone",
    "day",
    "dose",
    "volume",
    "route",
    "site",
    "status",
]
MINIMAL_KEYS = ["mrn", "day", "dose", "route"]
# Rows per page of a lot page's recall list, as many as a worklist section shows (the CSV streams them
# all).
RECALL_PAGE_ROWS = 25


def lot_list(*, filters: LotFilter) -> QuerySet[Lot]:
    """Active lots with their stock, soonest expiry first, narrowed by the list's status filter (an
    unknown status is ignored)."""
    lots = Lot.objects.active().with_stock().select_related("product").order_by("expires_on", "lot_number")
    if not filters.is_bound:
        return lots
    filters.form.is_valid()  # the valid fields filter; an invalid one is left out
    return filters.filter_queryset(lots)


def lots_for_page() -> QuerySet[Lot]:
    """The lots a lot page is read from, with stock, the counts kept with it (``administration_count``,
    ``patient_count``) and the people named on it (voided ones too)."""
    return Lot.objects.with_stock().select_related("product", "recalled_by", "created_by")


# The columns a recall row is read from: plain values, no model instances (a page of rows, or every
# row of the CSV, costs no more than the strings shown).
RECALL_ROW_FIELDS = (
    "pk",
    "treatment_id",
    "treatment__patient_id",
    "treatment__patient__family_name",
    "treatment__patient__given_name",
    "treatment__patient__mrn",
    "treatment__patient__phone",
    "treatment__performed_at",
    "dose_billion",
    "volume_ml",
    "route",
    "site",
    "treatment__status",
)
ROUTE_LABELS = dict(Route.choices)
TREATMENT_STATUS_LABELS = dict(TreatmentStatus.choices)


def _recall_values(lot: Lot) -> QuerySet:
    # Oldest first; administrations given at the same time grouped by treatment, so that the first
    # N treatments in time order hold the first N rows (what ``_recall_page_values`` relies on).
    return (
        Administration.objects.from_lot(lot)
        .order_by("treatment__performed_at", "treatment_id", "pk")
        .values_list(*RECALL_ROW_FIELDS)
    )


def _walks_treatments(*, rows_needed: int, count: int) -> bool:
    """Whether a page is cheaper read by walking the clinic's treatments in time order than by
    sorting all of the lot's administrations.

    The walk (``treatment_time_idx``, with ``administration_used_lot_idx`` probed per
    treatment) stops after ``rows_needed`` treatments from the lot: about ``rows_needed x
    treatments / count`` steps if the lot's rows are spread over time. Sorting the lot costs about
    ``count`` rows. Treatments are estimated by the highest id (one index lookup, no count)."""
    treatments = Treatment.objects.aggregate(top=Max("pk"))["top"] or 0
    return count > RECALL_PAGE_ROWS and rows_needed * treatments < count * count


def _recall_page_values(lot: Lot, *, start: int, count: int) -> list[tuple]:
    """One page of ``_recall_values``: rows ``start`` to ``start + RECALL_PAGE_ROWS``.

    A busy lot's early pages are read from only the treatments they need: the first ``start +
    RECALL_PAGE_ROWS`` current treatments in time order that used the lot (each has at least one
    row, so they hold the page), not from a sort of every administration of the lot."""
    rows_needed = start + RECALL_PAGE_ROWS
    values = _recall_values(lot)
    if _walks_treatments(rows_needed=rows_needed, count=count):
        from_lot = Administration.objects.active().filter(treatment=OuterRef("pk"), lot=lot)
        first = (
            Treatment.objects.filter(status__in=CURRENT_STATUSES)
            .filter(Exists(from_lot))
            .order_by("performed_at", "pk")
            .values("pk")[:rows_needed]
        )
        values = values.filter(treatment__in=first)
    return list(values[start:rows_needed])


def _recall_row(values: tuple, *, with_names: bool) -> list[str]:
    """One administration's cells, from a row of ``_recall_values``."""
    (_, _, _, family, given, mrn, phone, performed_at, dose, volume, route, site, status) = values
    day = f"{timezone.localtime(performed_at):%Y-%m-%d %H:%M}"  # the CSV's cell: ISO, for machines
    route = ROUTE_LABELS.get(route, route)
    if not with_names:
        return [mrn, day, format_amount(dose), route]
    return [
        family,
        given,
        mrn,
        phone,
        day,
        format_amount(dose),
        format_amount(volume),
        route,
        site,
        TREATMENT_STATUS_LABELS.get(status, status),
    ]


def lot_recall_list(*, lot: Lot, with_names: bool, page: int = 1) -> dict:
    """The recall table of a lot's page: its columns, one page of RECALL_PAGE_ROWS rows (one per
    administration, oldest first; a page past the end shows the last, one before the first the
    first), the rows shown, and how many administrations and patients there are in all: the counts
    kept on the lot row (``Lot.administration_count``, ``Lot.patient_count``), so a busy lot's rows
    are never counted. At most two queries whatever the number of rows; the CSV has every row.

    A row is the administration's ``pk``, its ``cells`` as the CSV has them, the same cells by
    column key (``mrn``, ``day``, ...: CARE_TEAM_KEYS or MINIMAL_KEYS) for the template, and the
    links of its patient and treatment (``patient_url``, ``treatment_url``)."""
    count = lot.administration_count
    last_page = max(1, -(-count // RECALL_PAGE_ROWS))
    number = min(max(page, 1), last_page)
    start = (number - 1) * RECALL_PAGE_ROWS
    rows = _recall_page_values(lot, start=start, count=count)
    last_row = start + len(rows)
    patients = detail_url_prefix("patient_detail")
    treatments = detail_url_prefix("treatment_detail")
    keys = CARE_TEAM_KEYS if with_names else MINIMAL_KEYS
    recall_rows = []
    for values in rows:
        cells = _recall_row(values, with_names=with_names)
        row = dict(zip(keys, cells, strict=True))
        row["day"] = moment(values[7])  # on the page: the clinic's date format, the CSV keeps ISO
        row.update(
            pk=values[0],
            cells=cells,
            patient_url=f"{patients}{values[2]}/",
            treatment_url=f"{treatments}{values[1]}/",
        )
        recall_rows.append(row)
    return {
        "with_names": with_names,
        "columns": CARE_TEAM_COLUMNS if with_names else MINIMAL_COLUMNS,
        "recall_rows": recall_rows,
        "administration_count": count,
        "patient_count": lot.patient_count,
        "recall_page": {
            "number": number,
            "rows": RECALL_PAGE_ROWS,
            "first_row": start + 1 if rows else 0,
            "last_row": last_row,
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if last_row < count else None,
            "next_last_row": min(last_row + RECALL_PAGE_ROWS, count),
        },
    }


def lot_recall_patient_ids(*, lot: Lot) -> list[int]:
    """The ids of the patients who received the lot, ascending (each gets an export access event),
    read from the lot ledger (one row per patient, not one per administration)."""
    return list(
        LotRecipient.objects.filter(lot=lot)
        .holding()
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
    )


def lot_recall_csv(*, lot: Lot, with_names: bool) -> Iterator[str]:
    """The recall list as CSV lines, read in chunks as the lines are consumed (memory stays flat)."""
    rows = _recall_values(lot).iterator(chunk_size=500)
    return csv_lines(
        CARE_TEAM_COLUMNS if with_names else MINIMAL_COLUMNS,
        (_recall_row(values, with_names=with_names) for values in rows),
    )


def lot_recall_csv_filename(*, lot: Lot) -> str:
    return "lot-" + (re.sub(r"[^A-Za-z0-9._-]+", "_", lot.lot_number) or str(lot.pk)) + "-recall.csv"
