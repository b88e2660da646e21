"""The patient's aftercare sheet: its dates, computed from the protocol in force."""

import datetime as dt

from django.utils import timezone


def aftercare_dates(treatment, protocol) -> dict:
    """The aftercare dates of a treatment under ``protocol`` (pure: no database, no clock).

    Activity limits count from the treatment itself: the strenuous-activity pause in hours from the
    time it was given, the others in whole weeks or days from its date in the clinic's time zone.
    """
    performed = timezone.localtime(treatment.performed_at)
    day = performed.date()
    return {
        "performed_at": performed,
        "no_strenuous_until": timezone.localtime(
            treatment.performed_at + dt.timedelta(hours=protocol.no_strenuous_activity_hours)
        ),
        "cardio_from": day + dt.timedelta(weeks=protocol.cardio_after_weeks_min),
        "cardio_to": day + dt.timedelta(weeks=protocol.cardio_after_weeks_max),
        "weights_running_from": day + dt.timedelta(weeks=protocol.weights_running_after_weeks),
        "anti_inflammatory_until": day + dt.timedelta(days=protocol.anti_inflammatory_pause_days_after),
        "side_effects_until": day + dt.timedelta(days=protocol.expected_side_effect_days),
    }
