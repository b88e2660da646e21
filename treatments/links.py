"""Absolute links to the clinic's pages in mail (read away from any request): from EXOLOG_BASE_URL.
A page or a feed builds its links from its own request instead (request.build_absolute_uri)."""

from django.conf import settings


def absolute_url(path: str) -> str:
    return f"{settings.EXOLOG_BASE_URL}{path}"
