"""Absolute links to the clinic's pages, for what leaves its machine: mail and calendar feeds."""

from django.conf import settings


def absolute_url(path: str) -> str:
    return f"{settings.EXOLOG_BASE_URL}{path}"
