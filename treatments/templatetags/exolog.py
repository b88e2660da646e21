"""Template filters for clinical figures."""

import datetime as dt

from django import template
from django.urls import reverse

from clinic.formats import day as format_day
from treatments.dosing import format_amount
from treatments.models import followup_worklist

register = template.Library()


@register.filter
def amount(value):
    """A dose, volume or concentration without trailing zeros: 15.00 -> 15, 2.50 -> 2.5."""
    if value is None or value == "":
        return ""
    return format_amount(value)


@register.filter(expects_localtime=True)
def day(value):
    """What ``|date`` prints (the DATE_FORMAT, "21 Nov 2026"), without Django's format interpreter:
    about a tenth of its cost, and a patient's page prints a date or three per row."""
    if not isinstance(value, dt.date):
        return ""
    return format_day(value)


@register.filter
def section_count(value):
    """A worklist section's count as counted (up to COUNT_CAP + 1): "500+" past the cap."""
    cap = followup_worklist.COUNT_CAP  # read at each call: a test patches it
    return f"{cap}+" if isinstance(value, int) and value > cap else value


@register.inclusion_tag("includes/download_links.html", takes_context=True)
def download_links(context, url_name: str, label: str, **extra):
    """ "Download: CSV · XLSX" for a list page: its download URL with the page's query string (its
    filters, without the page number, and ``extra`` values), each link named for the list (``label``:
    "the patient list")."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    for name, value in extra.items():  # what the page chose without a parameter (its section)
        query[name] = value
    base = reverse(url_name)
    links = []
    for fmt, name in (("csv", "CSV"), ("xlsx", "XLSX")):
        query["format"] = fmt
        links.append((f"{base}?{query.urlencode()}", name))
    return {"links": links, "label": label}
