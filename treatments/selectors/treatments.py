"""Treatment reads: a treatment's page and histories, the sign page and the aftercare sheet."""

from django.db.models import QuerySet

from treatments.aftercare import aftercare_dates
from treatments.models import FollowUp, Protocol, Treatment
from treatments.selectors.history import record_history


def treatments_for_page() -> QuerySet[Treatment]:
    """The treatments a treatment page (and its edit and action pages) is read from, with everyone
    and every record it names."""
    return Treatment.objects.select_related(
        "patient", "physician", "indication", "signed_by", "voided_by", "created_by", "amends", "amended_by"
    )


def treatment_page(*, treatment: Treatment) -> dict:
    """What a treatment's page lists: the administrations given and those removed from the draft
    (with their lots), the total dose, the amendment that superseded it and its follow-ups. Two
    queries whatever the counts."""
    administrations = list(treatment.administrations.select_related("lot__product"))
    given = [a for a in administrations if not a.is_voided]
    return {
        "administrations": given,
        "removed_administrations": [a for a in administrations if a.is_voided],
        "total_dose": sum((a.dose_billion for a in given), 0),
        "amendment": getattr(treatment, "amended_by", None),
        "followups": list(treatment.followups.active()),
    }


def treatment_histories(*, treatment: Treatment) -> list[tuple[Treatment, list[dict]]]:
    """The audit history of the treatment, then of the original it amends and of the amendment that
    superseded it, where there are such."""
    related = [r for r in (treatment.amends, getattr(treatment, "amended_by", None)) if r is not None]
    return [
        (record, record_history(record=record, parts="administrations", part_label="Administration"))
        for record in [treatment, *related]
    ]


def treatment_administrations_to_sign(*, treatment: Treatment) -> list:
    """The administrations a physician signs for, with their lots and products."""
    return list(treatment.administrations.active().select_related("lot__product"))


def treatments_for_aftercare() -> QuerySet[Treatment]:
    return Treatment.objects.select_related("patient", "physician", "amended_by")


def treatment_aftercare(*, treatment: Treatment) -> dict:
    """The aftercare sheet of a signed treatment: the protocol in force on its day, the dates it
    gives, and the follow-ups still open."""
    protocol = Protocol.objects.in_force_on(treatment.treatment_date)
    followups: list[FollowUp] = list(treatment.followups.open().order_by("due_on"))
    return {"protocol": protocol, "dates": aftercare_dates(treatment, protocol), "followups": followups}
