"""Template filters for clinical figures."""

from django import template

from treatments.dosing import format_amount

register = template.Library()


@register.filter
def amount(value):
    """A dose, volume or concentration without trailing zeros: 15.00 -> 15, 2.50 -> 2.5."""
    if value is None or value == "":
        return ""
    return format_amount(value)
