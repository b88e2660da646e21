"""Template filters for clinical figures."""

from django import template

from treatments.dosing import format_amount
from treatments.models import followups

register = template.Library()


@register.filter
def amount(value):
    """A dose, volume or concentration without trailing zeros: 15.00 -> 15, 2.50 -> 2.5."""
    if value is None or value == "":
        return ""
    return format_amount(value)


@register.filter
def section_count(value):
    """A worklist section's count as counted (up to COUNT_CAP + 1): "500+" past the cap."""
    return f"{followups.COUNT_CAP}+" if isinstance(value, int) and value > followups.COUNT_CAP else value
