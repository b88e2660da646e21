"""A patient's safety context at the point of care: what the treatment form and the sign page show
above everything else (allergies, anti-inflammatory medication, recalled lots received, pending
treatment plans), read with the patient page's own selectors so both pages judge alike."""

from treatments.models import CoursePosition, Patient, Protocol
from treatments.selectors.patients import (
    PatientRecords,
    course_summary,
    patient_followups,
    patient_pending_plans,
    patient_treatments,
)


def patient_safety(*, patient: Patient, protocol: Protocol) -> dict:
    """The safety panel's context (``treatments/includes/safety_panel.html``) for a treatment of
    ``patient`` under ``protocol``: three queries whatever the history (the treatments, their
    administrations and lots, the follow-ups; the patient page's reads, without the side-effect
    reports the panel does not show).

    ``course`` and ``pending_plans`` are what the patient page shows (``course_summary``,
    ``patient_pending_plans``), so its recall alerts and plans include render them unchanged."""
    treatments = patient_treatments(patient=patient)
    records = PatientRecords(
        treatments=treatments,
        followups=patient_followups(patient=patient, treatments=treatments),
        side_effects=[],
    )
    return {
        "protocol": protocol,
        "anti_inflammatories": patient.anti_inflammatories_mentioned(),
        "course": course_summary(treatments=treatments),
        "pending_plans": patient_pending_plans(patient=patient, records=records),
        "has_current_treatment": any(treatment.is_current for treatment in treatments),
    }


def suggested_course_position(*, safety: dict) -> str:
    """The course position a new treatment starts with: what the latest pending plan decided
    (a booster, second round or escalation step), else a booster after an earlier treatment, else
    the initial treatment."""
    if safety["pending_plans"]:
        return CoursePosition(safety["pending_plans"][-1].decision)
    return CoursePosition.BOOSTER if safety["has_current_treatment"] else CoursePosition.INITIAL
