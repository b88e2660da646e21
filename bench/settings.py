"""Settings for the in-process page bench: production settings (DEBUG off, cached templates, the real
middleware and second-factor gate), with a throwaway key, plain HTTP and the test client's host.

Static files use the plain storage so that no collectstatic is needed; WhiteNoise never sees page
requests, so this does not change what is measured.
"""

import os
import secrets

os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-" + secrets.token_urlsafe(60))
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Production refuses the aftercare sheet without the clinic's phone; the bench times the sheet.
os.environ.setdefault("CLINIC_PHONE", "+49 30 1234567")
os.environ.setdefault("EXOLOG_BASE_URL", "https://exolog.clinic.example")
# Production has no default research key (exolog.E003); the bench times the research export.
os.environ.setdefault("EXOLOG_RESEARCH_KEY", "bench-" + secrets.token_urlsafe(40))
# Never the demo bypass: the bench clients pass the second factor as tests/helpers/auth.py does.
os.environ.pop("EXOLOG_DEMO_SKIP_SECOND_FACTOR", None)

from clinic.settings import *  # noqa: E402,F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Page requests never reach WhiteNoise's files; without a collected folder it would only warn.
STATIC_ROOT = None

# Refusals (403) and 404s are expected results here, reported in the table; errors still print.
LOGGING["loggers"]["django.request"]["level"] = "ERROR"  # noqa: F405
LOGGING["loggers"]["axes"] = {"level": "ERROR"}  # noqa: F405
