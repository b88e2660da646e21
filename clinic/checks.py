"""System checks of the clinic's own settings (``manage.py check --deploy`` runs them)."""

from urllib.parse import urlsplit

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


def base_url_problem() -> str:
    """What keeps ``EXOLOG_BASE_URL`` from starting the links in mail, or "" when it is usable."""
    url = settings.EXOLOG_BASE_URL
    if not url:
        return "EXOLOG_BASE_URL is not set"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return f"EXOLOG_BASE_URL “{url}” is not an https:// address"
    if parts.hostname in {"127.0.0.1", "localhost", "::1"} or parts.hostname.endswith(".localhost"):
        return f"EXOLOG_BASE_URL “{url}” is this machine's own address, which nobody else can open"
    if parts.query or parts.fragment:
        return f"EXOLOG_BASE_URL “{url}” carries a query or fragment"
    return ""


@checks.register("exolog", deploy=True)
def check_base_url(app_configs=None, **kwargs):
    """Reminder mail links back with EXOLOG_BASE_URL (mail is sent outside any request, so it cannot
    use the request's host as pages do): production must say where staff reach Exolog."""
    problem = base_url_problem()
    if not problem:
        return []
    return [
        checks.Error(
            f"{problem}: links in reminder mail would lead nowhere.",
            hint="Set EXOLOG_BASE_URL to the https:// address staff use, e.g. "
            "EXOLOG_BASE_URL=https://exolog.clinic.example",
            id="exolog.E002",
        )
    ]


# The fewest characters a research key has (32 random characters hold more than 128 bits).
RESEARCH_KEY_MIN_LENGTH = 32


def research_key_problem() -> str:
    """What keeps ``EXOLOG_RESEARCH_KEY`` from keying the research export's pseudonyms, or "" when
    it is usable. The deployment check and the export ask the same question here."""
    key = settings.EXOLOG_RESEARCH_KEY
    if not key:
        return "EXOLOG_RESEARCH_KEY is not set"
    if key == settings.SECRET_KEY:
        return "EXOLOG_RESEARCH_KEY is the same as SECRET_KEY"
    if key == getattr(settings, "DEV_RESEARCH_KEY", None) and not settings.DEBUG:
        return "EXOLOG_RESEARCH_KEY is the development key"
    if len(key) < RESEARCH_KEY_MIN_LENGTH:
        return f"EXOLOG_RESEARCH_KEY is shorter than {RESEARCH_KEY_MIN_LENGTH} characters"
    return ""


@checks.register("exolog", deploy=True)
def check_research_key(app_configs=None, **kwargs):
    """The research export's pseudonyms are only as safe as their key: production needs one of its
    own, so that nobody holding the export (or SECRET_KEY) can trace a code back to a patient."""
    problem = research_key_problem()
    if not problem:
        return []
    return [
        checks.Error(
            f"{problem}: the de-identified research export is refused without a key of its own.",
            hint="Set EXOLOG_RESEARCH_KEY to a long random value kept apart from DJANGO_SECRET_KEY, e.g. "
            "the output of: python -c 'import secrets; print(secrets.token_urlsafe(48))'",
            id="exolog.E003",
        )
    ]
