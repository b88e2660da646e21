"""System checks of the clinic's own settings (``manage.py check --deploy`` runs them)."""

from django.conf import settings
from django.core import checks

# The fewest digits a number a patient can dial has (an emergency number such as 112 has three).
PHONE_MIN_DIGITS = 3


def clinic_phone_problem() -> str:
    """What keeps ``CLINIC_PHONE`` from being printed on a patient's sheet, or "" when it is usable.
    The deployment check and the aftercare sheet ask the same question here."""
    phone = settings.CLINIC_PHONE
    if not phone:
        return "CLINIC_PHONE is not set"
    if sum(character.isdigit() for character in phone) < PHONE_MIN_DIGITS:
        return f"CLINIC_PHONE “{phone}” is not a phone number (fewer than {PHONE_MIN_DIGITS} digits)"
    return ""


@checks.register("exolog", deploy=True)
def check_clinic_phone(app_configs=None, **kwargs):
    """Patients are told to call the clinic on its number: production refuses to print the aftercare
    sheet without one, so a deployment without it fails here, before a patient leaves without it."""
    problem = clinic_phone_problem()
    if not problem:
        return []
    return [
        checks.Error(
            f"{problem}: the aftercare sheet cannot be printed without the clinic's phone.",
            hint="Set CLINIC_PHONE to the number patients call, e.g. CLINIC_PHONE=+49 30 1234567.",
            id="exolog.E001",
        )
    ]
