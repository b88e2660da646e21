"""Protocol versions and their follow-up steps, kept in the Django admin.

A version and its steps are saved together, each with a history reason. Steps are never deleted:
follow-ups already scheduled point at their step.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from clinic.audit import attribute
from treatments.models import FollowUpStep, Protocol
from treatments.services.records import save_attributed


@transaction.atomic
def protocol_save(
    *,
    protocol: Protocol,
    user,
    steps: Iterable[FollowUpStep] = (),
    expected_version=None,
    reason: str = "",
) -> Protocol:
    """Create or update a protocol version and the new or changed ``steps`` of it, in one transaction."""
    reason = reason or ("Added" if protocol._state.adding else "Edited")
    save_attributed(protocol, user=user, expected_version=expected_version, reason=reason)
    for step in steps:
        _save_step(step, protocol=protocol, user=user, reason=reason)
    return protocol


def _save_step(step: FollowUpStep, *, protocol: Protocol, user, reason: str) -> None:
    if step.pk is not None:
        stored = FollowUpStep.objects.filter(pk=step.pk).values_list("protocol_id", flat=True).first()
        if stored != protocol.pk:
            # Its scheduled follow-ups were planned by the version it belongs to.
            raise ValidationError(f"The step “{step.name}” belongs to another protocol version.")
    step.protocol = protocol
    step.full_clean()
    attribute(step, user=user, reason=reason)
    step.save()
