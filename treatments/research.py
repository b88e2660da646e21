"""The de-identified research export: a zip of CSV tables (patients, treatments, administrations,
follow-ups, side effects) and a README.txt data dictionary, streamed as it is built.

De-identification (docs/RESEARCH_EXPORT.md): a patient is a keyed pseudonym (HMAC-SHA256 of the
primary key under ``EXOLOG_RESEARCH_KEY``), the same in every export made with that key and
useless without it; treatments and signing physicians likewise. Age in whole years at the first
treatment (90 and over as "90+") instead of the date of birth; every date as the number of days
since the patient's first treatment. No name, contact, record number, address, free text (notes,
sites, reasons, descriptions, narratives, reviews) and no internal id is written. The rows come
from ``selectors.research`` one page of patients at a time, so memory stays flat.
"""

import datetime as dt
import hashlib
import hmac
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from clinic.checks import research_key_problem
from clinic.writers import csv_lines
from treatments.fhir.export import ZipDrain
from treatments.models.followup_choices import Contact, Decision, FollowUpStatus
from treatments.models.patients import Sex
from treatments.models.products import ProductKind
from treatments.models.protocol import StepKind
from treatments.models.side_effects import Causality, Outcome, Term
from treatments.models.treatments import CoursePosition, Route
from treatments.selectors import research as rows

DOSE_PLACES, VOLUME_PLACES = "0.01", "0.001"  # as stored (Administration.dose_billion, volume_ml)
AGE_CAP = 90  # HIPAA Safe Harbor: ages over 89 are one group


def research_key() -> bytes:
    """The key of the pseudonyms; refused when it is missing or unusable (a clear message)."""
    problem = research_key_problem()
    if problem:
        raise ImproperlyConfigured(f"{problem}: the research export needs its own secret key.")
    return settings.EXOLOG_RESEARCH_KEY.encode()


def pseudonym(kind: str, pk: int | None, *, key: bytes) -> str:
    """``P-``, ``T-`` or ``D-`` and 16 hex digits of HMAC-SHA256(key, "<kind>:<pk>"): stable for a
    key, different for another key or kind, and not reversible without the key."""
    if pk is None:
        return ""
    digest = hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[0].upper()}-{digest[:16]}"


def age_in_years(born: dt.date, on: dt.date) -> str:
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return f"{AGE_CAP}+" if years >= AGE_CAP else str(years)


def _day(value) -> dt.date | None:
    if value is None:
        return None
    return timezone.localdate(value) if isinstance(value, dt.datetime) else value


def _amount(value, places: str) -> str:
    """A decimal with the column's places, the same on every database (SQLite sums lose them)."""
    return "" if value is None else str(Decimal(value).quantize(Decimal(places)))


def _one_of(choices) -> str:
    return "one of " + ", ".join(f"{value} ({label})" for value, label in choices.choices)


def _flag(value) -> str:
    return "" if value is None else ("yes" if value else "no")


@dataclass(frozen=True)
class Table:
    filename: str
    title: str
    columns: tuple[tuple[str, str], ...]  # (name, meaning)
    read: Callable  # (patient_ids, start, end) -> list[dict]
    row: Callable  # (record, context) -> tuple


class _Context:
    """What a page of patients lends its rows: the pseudonyms and each patient's first day."""

    def __init__(self, page: list[dict], key: bytes):
        self.key = key
        self.first_day = {p["id"]: _day(p["first_treatment_at"]) for p in page}
        self.counted = defaultdict(int)

    def sequence(self, treatment_id) -> int:
        """1, 2, … per treatment (rows come in order; a voided administration leaves no gap)."""
        self.counted[treatment_id] += 1
        return self.counted[treatment_id]

    def patient(self, pk):
        return pseudonym("patient", pk, key=self.key)

    def treatment(self, pk):
        return pseudonym("treatment", pk, key=self.key)

    def practitioner(self, pk):
        return pseudonym("doctor", pk, key=self.key)

    def days(self, patient_id, value) -> int | None:
        day = _day(value)
        return None if day is None else (day - self.first_day[patient_id]).days


PATIENT_ID = ("patient_id", "pseudonymous patient id (P-…), the same in every export made with the same key")
TREATMENT_ID = ("treatment_id", "pseudonymous treatment id (T-…), joins the tables")

TABLES = (
    Table(
        "patients.csv",
        "one row per patient with a signed treatment in the period",
        (
            PATIENT_ID,
            ("sex", _one_of(Sex)),
            ("age_at_first_treatment", "whole years at the first signed treatment; 90 and over as 90+"),
        ),
        read=None,
        row=lambda p, c: (
            c.patient(p["id"]),
            p["sex"],
            age_in_years(p["date_of_birth"], _day(p["first_treatment_at"])),
        ),
    ),
    Table(
        "treatments.csv",
        "one row per signed treatment (visit) in the period; amendments replace what they amend",
        (
            PATIENT_ID,
            TREATMENT_ID,
            ("day", "days since the patient's first treatment (0 = the first treatment)"),
            ("indication", "the clinic's indication code, e.g. joint-musculoskeletal, autoimmune, other"),
            ("course_position", _one_of(CoursePosition)),
            ("round", "round number of the course"),
            ("focused_ultrasound", "adjunct given: yes or no"),
            ("regional_hyperthermia", "adjunct given: yes or no"),
            ("baseline_pain", "pain before treatment, 0-10 numeric rating; empty if not recorded"),
            ("baseline_energy", "energy before treatment, 0-10; empty if not recorded"),
            ("total_dose_billion", "all administrations together, billion exosomes"),
            ("practitioner", "pseudonymous code of the signing physician (D-…)"),
        ),
        read=rows.treatment_rows,
        row=lambda t, c: (
            c.patient(t["patient_id"]),
            c.treatment(t["id"]),
            c.days(t["patient_id"], t["performed_at"]),
            t["indication__code"],
            t["course_position"],
            t["round_number"],
            _flag(t["focused_ultrasound"]),
            _flag(t["regional_hyperthermia"]),
            t["baseline_pain"],
            t["baseline_energy"],
            _amount(t["total_dose"], DOSE_PLACES),
            c.practitioner(t["signed_by_id"]),
        ),
    ),
    Table(
        "administrations.csv",
        "one row per administration of those treatments",
        (
            PATIENT_ID,
            TREATMENT_ID,
            ("day", "days since the patient's first treatment"),
            ("sequence", "order of the administration within the treatment, from 1"),
            ("route", _one_of(Route)),
            ("product", "the clinic's product name"),
            ("product_kind", _one_of(ProductKind)),
            ("lot_number", "the manufacturer's lot (batch) number: identifies a batch, not a person"),
            ("dose_billion", "dose, billion exosomes"),
            ("volume_ml", "volume, ml (dose / lot concentration)"),
            ("whole_dose_given", "yes or no (the reason is free text and left out)"),
        ),
        read=rows.administration_rows,
        row=lambda a, c: (
            c.patient(a["treatment__patient_id"]),
            c.treatment(a["treatment_id"]),
            c.days(a["treatment__patient_id"], a["treatment__performed_at"]),
            c.sequence(a["treatment_id"]),
            a["route"],
            a["lot__product__name"],
            a["lot__product__kind"],
            a["lot__lot_number"],
            _amount(a["dose_billion"], DOSE_PLACES),
            _amount(a["volume_ml"], VOLUME_PLACES),
            _flag(a["whole_dose_given"]),
        ),
    ),
    Table(
        "followups.csv",
        "one row per planned follow-up of those treatments, whatever its status",
        (
            PATIENT_ID,
            TREATMENT_ID,
            ("step", _one_of(StepKind)),
            ("assessment", "yes for the 3-month assessment that decides further treatment"),
            ("due_day", "days since the patient's first treatment"),
            ("window_start_day", "days since the first treatment"),
            ("window_end_day", "days since the first treatment"),
            ("status", _one_of(FollowUpStatus)),
            ("contact", _one_of(Contact) + "; empty until contacted"),
            ("completed_day", "days since the first treatment; empty unless completed"),
            ("pain", "0-10 numeric rating; empty if not asked"),
            ("energy", "0-10; empty if not asked"),
            (
                "global_impression",
                "patient global impression of change: 1 very much improved, 4 no change, 7 very much worse",
            ),
            ("flare_up", "flare-up of the condition: yes, no or empty"),
            ("new_side_effects", "new side effects since the last contact: yes, no or empty"),
            ("decision", "at the assessment: " + _one_of(Decision) + "; else empty"),
        ),
        read=rows.followup_rows,
        row=lambda f, c: (
            c.patient(f["patient_id"]),
            c.treatment(f["treatment_id"]),
            f["kind"],
            _flag(f["is_assessment"]),
            c.days(f["patient_id"], f["due_on"]),
            c.days(f["patient_id"], f["window_start"]),
            c.days(f["patient_id"], f["window_end"]),
            f["status"],
            f["contact"],
            c.days(f["patient_id"], f["completed_at"]),
            f["pain"],
            f["energy"],
            f["global_impression"],
            _flag(f["flare_up"]),
            _flag(f["new_side_effects"]),
            f["decision"],
        ),
    ),
    Table(
        "side_effects.csv",
        "one row per side-effect report (not voided) following those treatments",
        (
            PATIENT_ID,
            (TREATMENT_ID[0], "the treatment the report follows (T-…)"),
            ("term", _one_of(Term) + " (the description of other is left out)"),
            ("onset_day", "days since the patient's first treatment"),
            ("resolved_day", "days since the first treatment; empty while ongoing"),
            ("grade", "CTCAE v5 grade, 1 (mild) to 5 (death)"),
            ("serious", "any seriousness criterion: yes or no"),
            ("serious_death", "yes or no"),
            ("serious_life_threatening", "yes or no"),
            ("serious_hospitalization", "yes or no"),
            ("serious_disability", "yes or no"),
            ("serious_congenital_anomaly", "yes or no"),
            ("serious_other", "other important medical event: yes or no"),
            ("outcome", _one_of(Outcome)),
            ("causality", _one_of(Causality)),
            ("reviewed_day", "days since the first treatment of the physician's review; empty if none"),
        ),
        read=rows.side_effect_rows,
        row=lambda s, c: (
            c.patient(s["patient_id"]),
            c.treatment(s["visit_id"]),
            s["term"],
            c.days(s["patient_id"], s["onset"]),
            c.days(s["patient_id"], s["resolved_on"]),
            s["grade"],
            _flag(any(s[name] for name in SERIOUS)),
            *(_flag(s[name]) for name in SERIOUS),
            s["outcome"],
            s["causality"],
            c.days(s["patient_id"], s["reviewed_at"]),
        ),
    ),
)
SERIOUS = (
    "serious_death",
    "serious_life_threatening",
    "serious_hospitalization",
    "serious_disability",
    "serious_congenital_anomaly",
    "serious_other",
)


def readme(*, start: dt.date | None, end: dt.date | None) -> str:
    """The data dictionary and the de-identification rules, as README.txt in the zip."""
    period = f"{start.isoformat() if start else 'the first record'} to {end.isoformat() if end else 'today'}"
    lines = [
        f"{settings.CLINIC_NAME}: de-identified research export (Exolog)",
        f"Treatments dated from {period}; made {timezone.localdate().isoformat()}.",
        "",
        "De-identification",
        "- Patients, treatments and physicians are pseudonymous codes: a keyed hash (HMAC-SHA256) of the",
        "  record's internal number under the clinic's research key. The same key gives the same codes in",
        "  every export, so exports can be joined over time; without the key a code cannot be traced back.",
        "- Age in whole years at the patient's first treatment (90 and over as 90+), never the birth date.",
        "- Every date is given as days since the patient's first signed treatment (day 0), whatever the",
        "  period exported; calendar dates are not in the export.",
        "- Not in the export: names, dates of birth, contact details, addresses, record numbers, internal",
        "  ids, and all free text (notes, administration sites, reasons, side-effect descriptions,",
        "  narratives, actions and reviews, home-care protocols). Lot numbers are kept: they identify a",
        "  batch of product, not a person, and let side effects be compared by lot.",
        "- Left out: voided patients and records, draft treatments, and originals replaced by an amendment.",
        "- This is pseudonymised data, not anonymous data: handle it under a data use agreement and do",
        "  not try to re-identify anyone.",
        "",
        "Files (UTF-8 CSV with a header row; empty cell = not recorded)",
    ]
    for table in TABLES:
        lines += ["", f"{table.filename}: {table.title}"]
        lines += [f"  {name}: {meaning}" for name, meaning in table.columns]
    return "\n".join(lines) + "\n"


def _table_rows(table: Table, *, key: bytes, start, end, on_patients, page_size) -> Iterator[tuple]:
    for page in rows.patient_pages(start=start, end=end, page_size=page_size):
        context = _Context(page, key)
        if table.read is None:
            if on_patients is not None:
                on_patients([p["id"] for p in page])
            records: Iterable[dict] = page
        else:
            records = table.read(patient_ids=list(context.first_day), start=start, end=end)
        for record in records:
            yield table.row(record, context)


def research_zip(
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    on_patients: Callable[[list[int]], None] | None = None,
    page_size: int = rows.PAGE_SIZE,
) -> Iterator[bytes]:
    """The export as a zip, produced in pieces. ``on_patients`` is called with each page of patient
    ids as their row is written (the access events). The key is checked before the first byte."""
    key = research_key()
    sink = ZipDrain()

    def pieces():
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("README.txt", readme(start=start, end=end))
            for table in TABLES:
                header = [name for name, _ in table.columns]
                data = _table_rows(
                    table, key=key, start=start, end=end, on_patients=on_patients, page_size=page_size
                )
                with archive.open(table.filename, "w") as member:
                    for line in csv_lines(header, data):
                        member.write(line.encode())
                        if sink.parts:
                            yield sink.take()
        yield sink.take()

    return pieces()
