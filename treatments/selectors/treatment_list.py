"""The treatments of a period: the list page's query (one per page whatever the rows, plus one for
their administrations)."""

from django.db.models import Prefetch, QuerySet

from treatments.filters.treatments import TreatmentFilter
from treatments.models import Administration, Treatment

# Newest first, as the patient page lists a patient's treatments (treatment_performed_idx backwards).
TREATMENT_LIST_ORDER = ("-performed_at", "-id")


def treatment_list(*, filters: TreatmentFilter) -> QuerySet[Treatment]:
    """The treatments the filters ask for (the last 30 days' signed ones and drafts by default), with
    the patient, physician and indication joined, and each treatment's active administrations with
    their lots in ``given`` (one query for a page)."""
    given = Prefetch(
        "administrations",
        queryset=Administration.objects.active().select_related("lot").order_by("order", "id"),
        to_attr="given",
    )
    treatments = (
        Treatment.objects.select_related("patient", "physician", "indication")
        .prefetch_related(given)
        .order_by(*TREATMENT_LIST_ORDER)
    )
    return filters.filter_queryset(treatments)


def treatment_summary(treatment: Treatment) -> dict:
    """What a row shows of a treatment's administrations (read with ``treatment_list``): routes and
    lots in order without repeats, and the total dose."""
    given = treatment.given
    return {
        "routes": list(dict.fromkeys(a.get_route_display() for a in given)),
        "lots": list(dict.fromkeys(a.lot.lot_number for a in given)),
        "total_dose": sum((a.dose_billion for a in given), start=0),
    }
