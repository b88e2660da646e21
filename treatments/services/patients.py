"""Patient registry writes."""

from django.db import transaction

from clinic.audit import attribute
from treatments.models import Patient
from treatments.services.records import save_attributed


@transaction.atomic
def patient_save(
    *, patient: Patient, user, indications=None, expected_version=None, reason: str = ""
) -> Patient:
    """Create or update a patient (already validated by its form) with attribution; the registry
    pages and the Django admin both save here."""
    default = "Registered" if patient._state.adding else "Edited"
    save_attributed(patient, user=user, expected_version=expected_version, reason=reason or default)
    if indications is not None:
        patient.indications.set(indications)
    return patient


@transaction.atomic
def patient_void(*, patient: Patient, user, reason: str) -> Patient:
    patient.mark_voided(user=user, reason=reason)
    attribute(patient, user=user, reason=f"Voided: {patient.void_reason}")
    patient.save()
    return patient
