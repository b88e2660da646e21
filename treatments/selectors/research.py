"""Reads behind the de-identified research export: patients in keyset pages, and each table's rows
for one page of patients, as plain values (``treatments.research`` turns them into pseudonymous rows).

What is read: patients that are not voided with at least one signed treatment dated in the period;
their signed, not voided treatments dated in the period, those treatments' administrations (not
voided), follow-ups and side-effect reports (not voided). Only the columns the export may carry are
read, plus each patient's date of birth and first treatment (for the age and the day offsets, never
written out). A page of patients costs one query, and each table one more query per page, whatever
the page holds.
"""

import datetime as dt
from collections.abc import Iterator

from django.db.models import Exists, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from treatments.models import Administration, FollowUp, Patient, SideEffectReport, Treatment
from treatments.models.treatments import TreatmentStatus

PAGE_SIZE = 200

TREATMENT_FIELDS = (
    "id",
    "patient_id",
    "performed_at",
    "indication__code",
    "course_position",
    "round_number",
    "focused_ultrasound",
    "regional_hyperthermia",
    "baseline_pain",
    "baseline_energy",
    "signed_by_id",
)
ADMINISTRATION_FIELDS = (
    "treatment_id",
    "treatment__patient_id",
    "treatment__performed_at",
    "order",
    "route",
    "lot__lot_number",
    "lot__expires_on",
    "lot__product__name",
    "lot__product__kind",
    "dose_billion",
    "volume_ml",
    "whole_dose_given",
)
FOLLOWUP_FIELDS = (
    "treatment_id",
    "patient_id",
    "kind",
    "is_assessment",
    "due_on",
    "window_start",
    "window_end",
    "status",
    "contact",
    "completed_at",
    "pain",
    "energy",
    "global_impression",
    "flare_up",
    "new_side_effects",
    "decision",
)
SIDE_EFFECT_FIELDS = (
    "treatment_id",
    "patient_id",
    "term",
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
)


def _counted_treatments():
    """The treatments that are the record of a visit: signed (an original superseded by a signed
    amendment is left out: the amendment carries the visit) and not voided."""
    return Treatment.objects.active().signed()


def _in_period(prefix: str, start: dt.date | None, end: dt.date | None) -> Q:
    """A treatment (reached through ``prefix``) dated in the period, in the clinic's time zone."""
    condition = Q()
    if start:
        condition &= Q(**{f"{prefix}performed_at__date__gte": start})
    if end:
        condition &= Q(**{f"{prefix}performed_at__date__lte": end})
    return condition


def patient_pages(
    *, start: dt.date | None = None, end: dt.date | None = None, page_size: int = PAGE_SIZE
) -> Iterator[list[dict]]:
    """The exported patients in pages by primary key (one query each): ``id``, ``sex``,
    ``date_of_birth`` and ``first_treatment_at`` (their first counted treatment, of any date)."""
    treated_in_period = _counted_treatments().filter(_in_period("", start, end), patient_id=OuterRef("pk"))
    counted = Q(
        treatments__status=TreatmentStatus.SIGNED,
        treatments__voided_at__isnull=True,
    )
    patients = (
        Patient.objects.active()
        .filter(Exists(treated_in_period))
        .annotate(first_treatment_at=Min("treatments__performed_at", filter=counted))
    )
    last = 0
    while True:
        page = list(
            patients.filter(pk__gt=last)
            .order_by("pk")
            .values("id", "sex", "date_of_birth", "first_treatment_at")[:page_size]
        )
        if not page:
            return
        yield page
        if len(page) < page_size:
            return
        last = page[-1]["id"]


def treatment_rows(*, patient_ids: list[int], start=None, end=None) -> list[dict]:
    """The page's treatments in the period, each with its total dose (one query)."""
    return list(
        _counted_treatments()
        .filter(_in_period("", start, end), patient_id__in=patient_ids)
        .annotate(
            total_dose=Sum("administrations__dose_billion", filter=Q(administrations__voided_at__isnull=True))
        )
        .order_by("patient_id", "performed_at", "id")
        .values(*TREATMENT_FIELDS, "total_dose")
    )


def administration_rows(*, patient_ids: list[int], start=None, end=None) -> list[dict]:
    return list(
        Administration.objects.active()
        .filter(
            _in_period("treatment__", start, end),
            treatment__status=TreatmentStatus.SIGNED,
            treatment__voided_at__isnull=True,
            treatment__patient_id__in=patient_ids,
        )
        .order_by("treatment__patient_id", "treatment__performed_at", "treatment_id", "order", "id")
        .values(*ADMINISTRATION_FIELDS)
    )


def followup_rows(*, patient_ids: list[int], start=None, end=None) -> list[dict]:
    return list(
        FollowUp.objects.active()
        .filter(
            _in_period("treatment__", start, end),
            treatment__status=TreatmentStatus.SIGNED,
            treatment__voided_at__isnull=True,
            patient_id__in=patient_ids,
        )
        .order_by("patient_id", "due_on", "id")
        .values(*FOLLOWUP_FIELDS)
    )


def side_effect_rows(*, patient_ids: list[int], start=None, end=None) -> list[dict]:
    """Reports (not voided) following a treatment in the period that is not voided. A report stays
    on the treatment it was filed against; when that visit was amended since, ``visit_id`` is the
    signed amendment (the treatment the export lists for the visit)."""
    amendment = _counted_treatments().filter(amends_id=OuterRef("treatment_id")).values("id")[:1]
    return list(
        SideEffectReport.objects.active()
        .filter(
            _in_period("treatment__", start, end),
            treatment__status__in=(TreatmentStatus.SIGNED, TreatmentStatus.AMENDED),
            treatment__voided_at__isnull=True,
            patient_id__in=patient_ids,
        )
        .annotate(visit_id=Coalesce(Subquery(amendment), F("treatment_id")))
        .order_by("patient_id", "onset", "id")
        .values(*SIDE_EFFECT_FIELDS, "visit_id")
    )
