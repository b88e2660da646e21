"""Reads behind the FHIR export: plain rows (``.values()``) for one patient, or the whole clinic in
keyset pages, so that the writer (``treatments.fhir``) never touches a model or the database.

What is exported: records that are not voided, of patients that are not voided; treatments that are
signed (a draft is not yet a record; an original superseded by a signed amendment is left out, the
amendment carries the visit), and what hangs off them. The queries are the same for one patient and
for the clinic: a page of rows costs one query per kind, plus one for its administrations' ids
where a resource points at them, whatever the page size.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.contrib.auth import get_user_model

from treatments.models import Administration, FollowUp, Lot, Patient, SideEffectReport, Treatment
from treatments.models.treatments import TreatmentStatus

PAGE_SIZE = 500

PATIENT_FIELDS = (
    "id",
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "consent_on_file",
)
USER_FIELDS = ("id", "username", "first_name", "last_name", "is_active")
LOT_FIELDS = (
    "id",
    "lot_number",
    "expires_on",
    "concentration",
    "manufacturer",
    "product_id",
    "product__name",
    "product__manufacturer",
    "product__source",
    "product__kind",
)
TREATMENT_FIELDS = (
    "id",
    "patient_id",
    "performed_at",
    "physician_id",
    "indication__code",
    "indication__name",
    "course_position",
    "round_number",
    "baseline_pain",
    "baseline_energy",
    "signed_at",
    "signed_by_id",
)
ADMINISTRATION_FIELDS = (
    "id",
    "treatment_id",
    "treatment__patient_id",
    "treatment__performed_at",
    "treatment__physician_id",
    "treatment__indication__name",
    "route",
    "site",
    "lot_id",
    "dose_billion",
    "volume_ml",
    "whole_dose_given",
    "not_given_reason",
)
FOLLOWUP_FIELDS = (
    "id",
    "treatment_id",
    "patient_id",
    "step_name",
    "kind",
    "is_assessment",
    "due_on",
    "window_start",
    "window_end",
    "status",
    "contact",
    "completed_at",
    "completed_by_id",
    "pain",
    "energy",
    "global_impression",
    "decision",
    "created_at",
    "treatment__physician_id",
)
SIDE_EFFECT_FIELDS = (
    "id",
    "patient_id",
    "treatment_id",
    "treatment__status",
    "treatment__voided_at",
    "reported_by_id",
    "reported_at",
    "term",
    "term_other",
    "onset",
    "resolved_on",
    "grade",
    "serious_death",
    "serious_life_threatening",
    "serious_hospitalization",
    "serious_disability",
    "serious_congenital_anomaly",
    "serious_other",
    "outcome",
    "causality",
    "reviewed_at",
    "reviewed_by_id",
)


def _patients():
    return Patient.objects.active()


def _treatments():
    return Treatment.objects.active().filter(status=TreatmentStatus.SIGNED, patient__voided_at__isnull=True)


def _administrations():
    return Administration.objects.active().filter(
        treatment__status=TreatmentStatus.SIGNED,
        treatment__voided_at__isnull=True,
        treatment__patient__voided_at__isnull=True,
    )


def _followups():
    return FollowUp.objects.active().filter(
        treatment__status=TreatmentStatus.SIGNED,
        treatment__voided_at__isnull=True,
        patient__voided_at__isnull=True,
    )


def _side_effects():
    return SideEffectReport.objects.active().filter(patient__voided_at__isnull=True)


def administration_ids_by_treatment(*, treatment_ids: Iterable[int]) -> dict[int, list[int]]:
    """The exported administrations of these treatments, by treatment (one query)."""
    found = defaultdict(list)
    rows = (
        _administrations()
        .filter(treatment_id__in=set(treatment_ids))
        .order_by("treatment_id", "order", "id")
        .values_list("treatment_id", "id")
    )
    for treatment_id, pk in rows:
        found[treatment_id].append(pk)
    return dict(found)


def users_by_id(*, ids: Iterable[int]) -> list[dict]:
    """The people the records name, by name only (one query)."""
    return list(get_user_model().objects.filter(pk__in=set(ids)).order_by("pk").values(*USER_FIELDS))


def fhir_patient_records(*, patient_id: int) -> dict | None:
    """Everything exported of one patient, as rows (six queries whatever the history); None when
    there is no such patient or the patient is voided."""
    patient = _patients().filter(pk=patient_id).values(*PATIENT_FIELDS).first()
    if patient is None:
        return None
    treatments = list(
        _treatments().filter(patient_id=patient_id).order_by("performed_at", "id").values(*TREATMENT_FIELDS)
    )
    administrations = list(
        _administrations()
        .filter(treatment__patient_id=patient_id)
        .order_by("treatment__performed_at", "order", "id")
        .values(*ADMINISTRATION_FIELDS, *(f"lot__{name}" for name in LOT_FIELDS))
    )
    followups = list(
        _followups().filter(patient_id=patient_id).order_by("due_on", "id").values(*FOLLOWUP_FIELDS)
    )
    side_effects = list(
        _side_effects().filter(patient_id=patient_id).order_by("onset", "id").values(*SIDE_EFFECT_FIELDS)
    )
    lots = {}
    for row in administrations:
        lot = {name: row.pop(f"lot__{name}") for name in LOT_FIELDS}
        lots.setdefault(row["lot_id"], lot)
    by_treatment = defaultdict(list)
    for row in administrations:
        by_treatment[row["treatment_id"]].append(row["id"])
    user_ids = {row[key] for row in treatments for key in ("physician_id", "signed_by_id")}
    user_ids |= {row["completed_by_id"] for row in followups} | {
        row["treatment__physician_id"] for row in followups
    }
    user_ids |= {row["reported_by_id"] for row in side_effects} | {
        row["reviewed_by_id"] for row in side_effects
    }
    user_ids.discard(None)
    return {
        "patient": patient,
        "users": users_by_id(ids=user_ids),
        "lots": list(lots.values()),
        "treatments": treatments,
        "administrations": administrations,
        "administrations_by_treatment": dict(by_treatment),
        "followups": followups,
        "side_effects": side_effects,
    }


def _pages(queryset, fields, page_size: int) -> Iterator[list[dict]]:
    """The rows in pages of ``page_size``, by primary key (keyset: each page one query along the
    primary key's index, memory bounded by a page, however many rows)."""
    last = 0
    while True:
        page = list(queryset.filter(pk__gt=last).order_by("pk").values(*fields)[:page_size])
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        last = page[-1]["id"]


def clinic_pages(kind: str, *, page_size: int = PAGE_SIZE) -> Iterator[list[dict]]:
    """The whole clinic's rows of one kind ("patients", "users", "lots", "treatments",
    "administrations", "followups", "side_effects") in pages."""
    sources = {
        "patients": (_patients(), PATIENT_FIELDS),
        "users": (get_user_model().objects.all(), USER_FIELDS),
        "lots": (Lot.objects.active(), LOT_FIELDS),
        "treatments": (_treatments(), TREATMENT_FIELDS),
        "administrations": (_administrations(), ADMINISTRATION_FIELDS),
        "followups": (_followups(), FOLLOWUP_FIELDS),
        "side_effects": (_side_effects(), SIDE_EFFECT_FIELDS),
    }
    queryset, fields = sources[kind]
    return _pages(queryset, fields, page_size)
