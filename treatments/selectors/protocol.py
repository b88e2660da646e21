"""Protocol reads: every version of the clinic's protocol with its steps, and the one in force."""

import datetime as dt

from treatments.models import Protocol


def protocol_versions(*, today: dt.date) -> dict:
    """Every active version newest first, with its follow-up steps, and the one in force on ``today``
    (None before the first one takes effect). Two queries."""
    versions = list(Protocol.objects.active().prefetch_related("steps").order_by("-effective_from"))
    in_force = next((v for v in versions if v.effective_from <= today), None)
    return {"versions": versions, "in_force": in_force}
