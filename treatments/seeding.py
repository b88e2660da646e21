"""What a new clinic starts with (from its FAQ): the indications it treats and its first protocol.

Run after every ``migrate`` (and ``flush``) by a ``post_migrate`` handler, with the live models; each
part fills only an empty table, so what the clinic has changed since is never touched.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from clinic.audit import attribute

INDICATIONS = [
    ("joint-musculoskeletal", "Joint / musculoskeletal rejuvenation"),
    ("chronic-inflammation", "Chronic inflammation"),
    ("autoimmune", "Autoimmune disease"),
    ("chronic-infection", "Chronic infection"),
    ("neurodegenerative", "Neurodegenerative disease"),
    ("other", "Other"),
]

# (name, kind, due day, window opens days before, closes days after, optional, is assessment)
DEFAULT_STEPS = [
    ("Day 1–3 check-in call", "check_in", 2, 1, 1, False, False),
    ("Week 6–8 check", "early_check", 49, 7, 7, False, False),
    ("3-month (100-day) assessment", "three_month", 100, 10, 14, False, True),
    ("6-month review", "six_month", 182, 14, 14, True, False),
    ("12-month review", "twelve_month", 365, 30, 30, True, False),
]
SEED_REASON = "Clinic defaults (from the clinic FAQ)"


def seed_indications(*, using: str = "default") -> None:
    from treatments.models import Indication

    if Indication.objects.using(using).exists():
        return
    for order, (code, name) in enumerate(INDICATIONS, start=1):
        Indication.objects.using(using).create(code=code, name=name, order=order)


def seed_default_protocol(*, using: str = "default") -> None:
    from treatments.models import FollowUpStep, Protocol

    if Protocol._base_manager.using(using).exists():
        return
    protocol = Protocol(
        name="Clinic protocol",
        effective_from=dt.date(2000, 1, 1),
        max_dose_billion=Decimal("15"),
        default_concentration=Decimal("1"),
        expected_side_effect_days=3,
        no_strenuous_activity_hours=48,
        cardio_after_weeks_min=3,
        cardio_after_weeks_max=4,
        weights_running_after_weeks=4,
        notes="Defaults from the clinic FAQ. Edit in the admin, or add a version that takes effect on a "
        "later date.",
    )
    attribute(protocol, user=None, reason=SEED_REASON)
    protocol.save(using=using)
    for order, (name, kind, offset, before, after, optional, assessment) in enumerate(DEFAULT_STEPS, start=1):
        step = FollowUpStep(
            protocol=protocol,
            name=name,
            kind=kind,
            offset_days=offset,
            window_before_days=before,
            window_after_days=after,
            optional=optional,
            is_assessment=assessment,
            order=order,
        )
        attribute(step, user=None, reason=SEED_REASON)
        step.save(using=using)


def seed_clinic_defaults(*, using: str = "default", apps=None, **signal_kwargs) -> None:
    """post_migrate handler; skipped while the treatments tables do not exist (``migrate ... zero``)."""
    if apps is not None:
        try:
            apps.get_model("treatments", "Protocol")
        except LookupError:
            return
    with transaction.atomic(using=using):
        seed_indications(using=using)
        seed_default_protocol(using=using)
