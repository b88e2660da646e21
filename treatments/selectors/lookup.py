"""Finding an active patient by a typed record number (the worklist's and side effects' search)."""

from treatments.models import Patient


def patient_with_record_number(*, mrn: str) -> Patient | None:
    """The active patient with this record number, any case, or None; only its id is loaded (the
    caller redirects to a URL with the id, never the number)."""
    return Patient.objects.active().filter(mrn__iexact=mrn).only("pk").first()
