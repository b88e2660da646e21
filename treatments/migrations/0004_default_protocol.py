"""The clinic's starting protocol (from its FAQ) with the default follow-up schedule."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

# (name, kind, due day, window opens days before, closes days after, optional, is assessment)
DEFAULT_STEPS = [
    ("Day 1–3 check-in call", "check_in", 2, 1, 1, False, False),
    ("Week 6–8 check", "early_check", 49, 7, 7, False, False),
    ("3-month (100-day) assessment", "three_month", 100, 10, 14, False, True),
    ("6-month review", "six_month", 182, 14, 14, True, False),
    ("12-month review", "twelve_month", 365, 30, 30, True, False),
]


def create_default_protocol(apps, schema_editor):
    Protocol = apps.get_model("treatments", "Protocol")
    FollowUpStep = apps.get_model("treatments", "FollowUpStep")
    if Protocol.objects.exists():
        return
    protocol = Protocol.objects.create(
        name="Clinic protocol",
        effective_from=dt.date(2000, 1, 1),
        max_dose_billion=Decimal("15"),
        default_concentration=Decimal("1"),
        expected_side_effect_days=3,
        no_strenuous_activity_hours=48,
        cardio_after_weeks_min=3,
        cardio_after_weeks_max=4,
        weights_running_after_weeks=4,
        notes="Defaults from the clinic FAQ. Edit in the admin, or add a version that takes effect on a later date.",
    )
    for order, (name, kind, offset, before, after, optional, assessment) in enumerate(DEFAULT_STEPS, start=1):
        FollowUpStep.objects.create(
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


class Migration(migrations.Migration):
    dependencies = [("treatments", "0003_clinical_records")]
    operations = [migrations.RunPython(create_default_protocol, migrations.RunPython.noop)]
