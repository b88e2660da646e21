"""The clinic's date formats (``en/formats.py``, read by Django through FORMAT_MODULE_PATH) and the
two helpers that format a date or a moment in Python code the way templates do."""

import datetime as dt

from django.utils import formats, timezone


def day(value: dt.date | None) -> str:
    """A date as people read it in the clinic: "21 Nov 2026"."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "DATE_FORMAT")


def moment(value: dt.datetime | None) -> str:
    """A date and time in the clinic's time zone: "21 Nov 2026, 14:05"."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")
