"""Treatment reads: a treatment's page and histories, the sign page, the aftercare sheet and the
printable record."""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from clinic.formats import moment
from treatments.aftercare import aftercare_dates
from treatments.dosing import format_amount
from treatments.models import Administration, FollowUp, Protocol, Treatment
from treatments.models.treatments import VISIT_FIELDS
from treatments.selectors.history import person_name, record_history


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


# The visit's values an amendment may change, compared field by field on the printed record.
PRINT_COMPARED_FIELDS = VISIT_FIELDS


@dataclass
class PrintedAmendment:
    """One amendment of the visit as the printed record tells it: which version it replaced, who
    started and signed it, when, why, and what it changed (label, old value, new value)."""

    record: Treatment
    original: Treatment
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def treatments_for_print() -> QuerySet[Treatment]:
    """The treatment a printed record is read from, with everyone it names and the amendment that
    superseded it (a reverse one-to-one: joined, not read again)."""
    return Treatment.objects.select_related(
        "patient", "physician", "indication", "signed_by", "voided_by", "created_by", "amended_by"
    )


def treatment_print(*, treatment: Treatment) -> dict:
    """What the printed record of a visit lists: its administrations (and those removed from the
    draft, with why), the total dose, and every amendment of the visit, the versions before and
    after this one, with what each changed. At most two queries whatever the number of
    administrations or amendments: the visit's other versions (only when it has any), then the
    administrations of all versions at once."""
    versions = [treatment]
    if treatment.amends_id or getattr(treatment, "amended_by", None) is not None:
        versions = _visit_versions(treatment)
    by_treatment: dict[int, list[Administration]] = {v.pk: [] for v in versions}
    for administration in Administration.objects.filter(treatment_id__in=list(by_treatment)).select_related(
        "lot__product"
    ):
        by_treatment[administration.treatment_id].append(administration)
    own = by_treatment[treatment.pk]
    given = [a for a in own if not a.is_voided]
    amendments = []
    for previous, record in zip(versions, versions[1:], strict=False):
        changes = _visit_changes(previous, record) + _administration_changes(
            [a for a in by_treatment[previous.pk] if not a.is_voided],
            [a for a in by_treatment[record.pk] if not a.is_voided],
        )
        amendments.append(PrintedAmendment(record=record, original=previous, changes=changes))
    return {
        "administrations": given,
        "removed_administrations": [a for a in own if a.is_voided],
        "total_dose": sum((a.dose_billion for a in given), 0),
        "total_volume": sum((a.volume_ml for a in given), 0),
        "amendments": amendments,
    }


def _visit_versions(treatment: Treatment) -> list[Treatment]:
    """The versions of one visit, original first: the treatment, the originals it amends and the
    amendments that superseded it. One query: the patient's treatments that amend or were amended
    (a handful), chained here by their ``amends`` links. An abandoned (voided) draft amendment let
    go of its original and is not part of the chain."""
    linked = {
        t.pk: t
        for t in Treatment.objects.filter(patient_id=treatment.patient_id)
        .filter(Q(amends__isnull=False) | Q(amended_by__isnull=False))
        .select_related("physician", "indication", "signed_by", "created_by")
    }
    linked[treatment.pk] = treatment
    amended_by = {t.amends_id: t for t in linked.values() if t.amends_id}
    first = treatment
    while first.amends_id in linked:
        first = linked[first.amends_id]
    chain = [first]
    while chain[-1].pk in amended_by and len(chain) <= len(linked):
        chain.append(amended_by[chain[-1].pk])
    return chain


def _shown(treatment: Treatment, name: str) -> str:
    value = getattr(treatment, name)
    if name == "performed_at":
        return moment(value)
    if name == "physician":
        return person_name(value) if value is not None else "–"
    if name == "course_position":
        return treatment.get_course_position_display()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "–"
    return str(value)


def _visit_changes(previous: Treatment, record: Treatment) -> list[tuple[str, str, str]]:
    changes = []
    for name in PRINT_COMPARED_FIELDS:
        old, new = _shown(previous, name), _shown(record, name)
        if old != new:
            label = str(Treatment._meta.get_field(name).verbose_name)
            changes.append((label[:1].upper() + label[1:], old, new))
    return changes


def administration_summary(administration: Administration) -> str:
    """One administration in a line: "Local injection, left knee: 5 billion (5 ml), lot KL-1"."""
    where = administration.get_route_display()
    if administration.site:
        where += f", {administration.site}"
    text = (
        f"{where}: {format_amount(administration.dose_billion)} billion "
        f"({format_amount(administration.volume_ml)} ml), lot {administration.lot.lot_number}"
    )
    if not administration.whole_dose_given:
        text += f", not the whole dose ({administration.not_given_reason})"
    return text


def _administration_changes(before: list, after: list) -> list[tuple[str, str, str]]:
    """Administrations compared in their order: the first with the first, and so on."""
    changes = []
    for number in range(max(len(before), len(after))):
        old = administration_summary(before[number]) if number < len(before) else "–"
        new = administration_summary(after[number]) if number < len(after) else "–"
        if old != new:
            changes.append((f"Administration {number + 1}", old, new))
    return changes
