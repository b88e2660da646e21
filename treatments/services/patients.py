"""Patient registry writes."""

from django.db import transaction

from clinic.audit import attribute
from treatments.models import Patient


@transaction.atomic
def patient_save(
    *, patient: Patient, user, indications=None, expected_version=None, reason: str = ""
) -> Patient:
    """Create or update a patient (already validated by its form) with attribution."""
    creating = patient._state.adding
    if creating:
        patient.created_by = user
    else:
        patient.check_version(expected_version)
    patient.full_clean()
    attribute(patient, user=user, reason=reason or ("Registered" if creating else "Edited"))
    patient.save()
    if indications is not None:
        patient.indications.set(indications)
    return patient


@transaction.atomic
def patient_void(*, patient: Patient, user, reason: str) -> Patient:
    patient.mark_voided(user=user, reason=reason)
    attribute(patient, user=user, reason=f"Voided: {patient.void_reason}")
    patient.save()
    return patient
