"""Absolute links to the clinic's pages in mail (read away from any request): from EXOLOG_BASE_URL.
A page or a feed builds its links from its own request instead (request.build_absolute_uri)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def absolute_url(path: str) -> str:
    if not settings.EXOLOG_BASE_URL:
        # A mail with a relative link leads nowhere: refuse to send it (check --deploy says so too).
        raise ImproperlyConfigured(
            "EXOLOG_BASE_URL is not set: set it to the https:// address staff use to reach Exolog."
        )
    return f"{settings.EXOLOG_BASE_URL}{path}"
