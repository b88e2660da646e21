"""Production settings for the gunicorn bench, with one change: collectstatic writes to (and
WhiteNoise serves from) bench/data/static, so the bench never touches the checkout's staticfiles/."""

import os

# Production refuses the aftercare sheet without the clinic's phone; the bench times the sheet.
os.environ.setdefault("CLINIC_PHONE", "+49 30 1234567")
os.environ.setdefault("EXOLOG_BASE_URL", "https://exolog.clinic.example")

from clinic.settings import *  # noqa: E402,F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
