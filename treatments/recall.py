"""A lot recall's answer: who received the lot, when and how much, as table rows and as CSV."""

import csv
import re

from django.utils import timezone

from treatments.dosing import format_amount

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


def recall_row(administration, *, with_names: bool) -> list[str]:
    treatment = administration.treatment
    patient = treatment.patient
    day = f"{timezone.localtime(treatment.performed_at):%Y-%m-%d %H:%M}"
    dose = format_amount(administration.dose_billion)
    if not with_names:
        return [patient.mrn, day, dose, administration.get_route_display()]
    return [
        patient.family_name,
        patient.given_name,
        patient.mrn,
        patient.phone,
        day,
        dose,
        format_amount(administration.volume_ml),
        administration.get_route_display(),
        administration.site,
        treatment.get_status_display(),
    ]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value):
        return value


def recall_csv_lines(administrations, *, with_names: bool):
    """CSV lines, one per administration, produced as the rows are read (memory stays flat)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CARE_TEAM_COLUMNS if with_names else MINIMAL_COLUMNS)
    for administration in administrations:
        yield writer.writerow([_safe_cell(v) for v in recall_row(administration, with_names=with_names)])


def _safe_cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: prefix them so they stay text."""
    value = str(value or "")
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_filename(lot) -> str:
    return "lot-" + (re.sub(r"[^A-Za-z0-9._-]+", "_", lot.lot_number) or str(lot.pk)) + "-recall.csv"
