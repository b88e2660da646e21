"""Reads behind a patient's treatment summary (the referral letter's attachment, on screen and as a
PDF): the patient, every signed treatment with its administrations and lots, the follow-ups with
their outcome scores, and the side-effect reports with their reviews. Five queries whatever the
history.

What counts: the patient not voided; treatments signed and not voided (an original superseded by a
signed amendment is left out: the amendment carries the visit); administrations, follow-ups and
reports not voided, of those treatments (a report filed against an amended original stays with it,
and is shown under the visit's amendment).
"""

from decimal import Decimal

from django.db.models import Prefetch

from treatments.models import Administration, FollowUp, Patient, SideEffectReport, Treatment
from treatments.models.treatments import TreatmentStatus

PATIENT_FIELDS = (
    "id",
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "allergies",
    "consent_on_file",
    "voided_at",
)


def summary_patient(*, pk: int) -> Patient | None:
    """The patient, or None when there is none or the record is voided (one query)."""
    return Patient.objects.active().only(*PATIENT_FIELDS).filter(pk=pk).first()


def patient_summary(*, patient: Patient) -> dict:
    """The summary's records (four queries)."""
    administrations = Prefetch(
        "administrations",
        queryset=Administration.objects.active()
        .select_related("lot__product")
        .only(
            "treatment_id",
            "order",
            "route",
            "site",
            "dose_billion",
            "volume_ml",
            "whole_dose_given",
            "not_given_reason",
            "lot__lot_number",
            "lot__expires_on",
            "lot__status",
            "lot__product__name",
        )
        .order_by("order", "id"),
        to_attr="summary_administrations",
    )
    treatments = list(
        Treatment.objects.active()
        .signed()
        .filter(patient_id=patient.pk)
        .select_related("indication", "physician", "signed_by")
        .prefetch_related(administrations)
        .order_by("performed_at", "id")
    )
    by_original = {t.amends_id: t for t in treatments if t.amends_id}
    followups = list(
        FollowUp.objects.active()
        .filter(
            patient_id=patient.pk,
            treatment__status=TreatmentStatus.SIGNED,
            treatment__voided_at__isnull=True,
        )
        .select_related("treatment")
        .only(
            "treatment__performed_at",
            "step_name",
            "kind",
            "is_assessment",
            "due_on",
            "status",
            "completed_at",
            "contact",
            "pain",
            "energy",
            "global_impression",
            "flare_up",
            "decision",
        )
        .order_by("due_on", "id")
    )
    reports = list(
        SideEffectReport.objects.active()
        .filter(
            patient_id=patient.pk,
            treatment__voided_at__isnull=True,
            treatment__status__in=(TreatmentStatus.SIGNED, TreatmentStatus.AMENDED),
        )
        .select_related("treatment", "reviewed_by")
        .order_by("onset", "id")
    )
    for report in reports:
        # The visit as the summary lists it: the signed amendment of an amended original.
        report.visit = by_original.get(report.treatment_id, report.treatment)
    total = sum(
        (a.dose_billion for t in treatments for a in t.summary_administrations),
        Decimal(0),
    )
    return {
        "treatments": treatments,
        "followups": followups,
        "reports": reports,
        "total_dose": total,
    }
