"""The save every registry service shares: attribution, the stale-form check and the history reason."""

from django.core.exceptions import ValidationError

from clinic.audit import attribute
from clinic.models import ClinicalRecord


def save_attributed(record: ClinicalRecord, *, user, expected_version=None, reason: str) -> None:
    """Validate and save one record, its history row naming ``user`` and ``reason``.

    A new record is credited to ``user``; a changed one must still be at ``expected_version`` (the
    row stays locked until the caller's transaction ends) and must not be voided, since a voided
    record is kept as it was voided. Call inside the service's transaction.
    """
    if record._state.adding:
        record.created_by = user
    else:
        record.check_version(expected_version)
        if record.is_voided:
            raise ValidationError(f"This {record._meta.verbose_name} is voided and can no longer be edited.")
    record.full_clean()
    attribute(record, user=user, reason=reason)
    record.save()
