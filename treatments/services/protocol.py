"""Protocol versions and their follow-up steps, kept in the Django admin.

A version and its steps are saved together, each with the reason given for the change. Steps are
never deleted: follow-ups already scheduled point at their step. A version that governs a treatment
(one was recorded on a day it was in force) is frozen: a change is a new version, copied from it,
that takes effect after today, so no treatment is ever judged again by other rules.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import attribute
from clinic.formats import day as format_day
from treatments.models import FollowUpStep, Protocol
from treatments.services.records import save_attributed

# How many governed treatments a message counts before it says "more than".
COUNT_CAP = 1000


def governed_count(protocol: Protocol) -> str:
    """How many treatments a version governs, in words ("63", "more than 1,000"), counted up to a cap."""
    count = protocol.governed_treatments().values("pk")[: COUNT_CAP + 1].count()
    return f"more than {COUNT_CAP:,}" if count > COUNT_CAP else str(count)


def frozen_reason(protocol: Protocol) -> str:
    """Why a governing version cannot be changed, and what to do instead."""
    count = governed_count(protocol)
    start, end = protocol.governed_period()
    period = f"from {format_day(start)}" + (f" to {format_day(end - dt.timedelta(days=1))}" if end else " on")
    return (
        f"This protocol version governs {count} treatment{'' if count == '1' else 's'} recorded {period}, "
        "which were judged by its rules: it is frozen. To change the rules, copy it as a new version "
        "that takes effect after today."
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the protocol changes (it is kept in the history)."})
    return reason


def _check_new_date(protocol: Protocol, today: dt.date) -> None:
    """A version's date may only be set after today, where it governs no treatment yet."""
    if protocol.effective_from is None:
        return
    if protocol.effective_from <= today:
        raise ValidationError(
            {
                "effective_from": f"A new or moved version takes effect after today: choose "
                f"{format_day(today + dt.timedelta(days=1))} or later. Treatments already recorded keep "
                "the version they were judged by."
            }
        )
    if protocol.governed_treatments().exists():
        raise ValidationError(
            {"effective_from": "Treatments are already recorded on or after that date: choose a later one."}
        )


@transaction.atomic
def protocol_save(
    *,
    protocol: Protocol,
    user,
    steps: Iterable[FollowUpStep] = (),
    expected_version=None,
    reason: str,
    today: dt.date | None = None,
) -> Protocol:
    """Create or update a protocol version and the new or changed ``steps`` of it, in one transaction.

    Refused with a ValidationError when the stored version governs any treatment (it is frozen),
    when a new or moved version would take effect today or earlier, or when no reason is given.
    """
    reason = _require_reason(reason)
    today = today or timezone.localdate()
    if protocol._state.adding:
        _check_new_date(protocol, today)
    else:
        stored = Protocol._base_manager.select_for_update().get(pk=protocol.pk)
        if stored.governs_treatments():
            raise ValidationError(frozen_reason(stored))
        if stored.effective_from != protocol.effective_from:
            _check_new_date(protocol, today)
    save_attributed(protocol, user=user, expected_version=expected_version, reason=reason)
    for step in steps:
        _save_step(step, protocol=protocol, user=user, reason=reason)
    return protocol


@transaction.atomic
def protocol_copy(
    *, source: Protocol, user, effective_from: dt.date, reason: str, today: dt.date | None = None
) -> Protocol:
    """A new version with every value and step of ``source``, taking effect on ``effective_from``
    (after today). Its first history row says what it was copied from, and why."""
    reason = _require_reason(reason)
    copy = Protocol(effective_from=effective_from)
    for field in Protocol._meta.concrete_fields:
        if field.editable and not field.primary_key and field.name != "effective_from":
            setattr(copy, field.attname, getattr(source, field.attname))
    steps = [
        FollowUpStep(
            **{
                f.attname: getattr(step, f.attname)
                for f in FollowUpStep._meta.concrete_fields
                if not f.primary_key and f.name != "protocol"
            }
        )
        for step in source.steps.all()
    ]
    return protocol_save(
        protocol=copy,
        user=user,
        steps=steps,
        reason=f"New version copied from the one in force from {format_day(source.effective_from)}: {reason}",
        today=today,
    )


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
