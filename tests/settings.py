"""Test settings: the real settings with a throwaway key, fast hashing and plain static files."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + "x" * 60)
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from clinic.settings import *  # noqa: E402,F403

# The tests run without DEBUG, as production does, where the aftercare sheet needs the clinic's
# phone; tests of a missing phone override it.
CLINIC_PHONE = CLINIC_PHONE or "+49 30 1234567"  # noqa: F405
# Production has no default base URL (exolog.E002); tests of a missing one override it.
EXOLOG_BASE_URL = EXOLOG_BASE_URL or "https://exolog.clinic.example"  # noqa: F405
# The research export's key: production has no default (exolog.E003); tests of a missing one override it.
EXOLOG_RESEARCH_KEY = EXOLOG_RESEARCH_KEY or "test-only-research-key-" + "r" * 20  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

# WhiteNoise serves straight from the finders in tests (no collectstatic needed).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
