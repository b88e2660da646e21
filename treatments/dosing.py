"""Dose arithmetic shared by the services, the forms and the aftercare sheet (pure functions)."""

from decimal import ROUND_HALF_UP, Decimal

VOLUME_STEP = Decimal("0.001")


def format_amount(value: Decimal) -> str:
    """A Decimal as a person writes it: no trailing zeros, no exponent (15.00 -> 15, 15.01 -> 15.01)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{value.quantize(Decimal(1)):f}"
    return f"{value.normalize():f}"


def volume_for(dose_billion: Decimal, concentration: Decimal) -> Decimal:
    """The volume (ml) that holds a dose at a lot's concentration, to the nearest 0.001 ml."""
    return (Decimal(dose_billion) / Decimal(concentration)).quantize(VOLUME_STEP, rounding=ROUND_HALF_UP)


def over_maximum_message(total: Decimal, maximum: Decimal) -> str:
    return (
        f"{format_amount(total)} billion is above the maximum of {format_amount(maximum)} billion "
        "per treatment."
    )
