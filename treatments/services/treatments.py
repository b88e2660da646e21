"""Treatment drafts and their administrations: dose, lot and stock rules, and round numbers."""

from collections import Counter, defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum

from clinic.audit import attribute
from treatments.dosing import format_amount, over_maximum_message, volume_for
from treatments.models import (
    ROUND_OPENERS,
    Administration,
    Lot,
    Patient,
    Protocol,
    Treatment,
    TreatmentStatus,
)
from treatments.services.lots import lot_recipients_move

REMOVED_FROM_DRAFT = "Removed from draft"


def lock_patient(patient_id) -> Patient:
    """Lock the patient row: writes to one patient's treatments run one at a time, so round numbers
    stay consistent. Lock order everywhere: patient, then treatment, then lots (by pk)."""
    patient = Patient._base_manager.select_for_update().get(pk=patient_id)
    if patient.is_voided:
        raise ValidationError("This patient record is voided: no treatment can be recorded or changed.")
    return patient


def lock_draft(treatment: Treatment, expected_version=None) -> None:
    """Lock the treatment row and refuse unless it is still a draft at the version the form loaded."""
    treatment.check_version(expected_version)
    status = Treatment._base_manager.select_for_update().values_list("status", flat=True).get(pk=treatment.pk)
    if status != TreatmentStatus.DRAFT:
        raise ValidationError(
            f"This treatment is {TreatmentStatus(status).label.lower()} and read-only. "
            "To change a signed treatment, start an amendment."
        )


class Holdings(NamedTuple):
    """What one treatment's active administrations take from each lot, by lot pk: ``ml`` and how
    many administrations (``given``)."""

    ml: dict[int, Decimal]
    given: dict[int, int]


def holdings_by_lot(treatment_id) -> Holdings:
    """``Holdings`` of one treatment, in one query that reads only that treatment's rows, however
    many administrations its lots hold."""
    if treatment_id is None:
        return Holdings({}, {})
    rows = (
        Administration.objects.active()
        .filter(treatment_id=treatment_id)
        .order_by()
        .values("lot_id")
        .annotate(ml=Sum("volume_ml"), n=Count("pk"))
        .values_list("lot_id", "ml", "n")
    )
    ml, given = {}, {}
    for lot_id, volume, n in rows:
        ml[lot_id], given[lot_id] = volume, n
    return Holdings(ml, given)


def volumes_by_lot(treatment_id) -> dict[int, Decimal]:
    """What one treatment's active administrations take from each lot (ml by lot pk)."""
    return holdings_by_lot(treatment_id).ml


def lock_lots(lot_ids) -> dict[int, Lot]:
    """Lock lot rows by pk order (after the patient and the treatment: the documented lock order)."""
    ids = sorted({pk for pk in lot_ids if pk})
    return {lot.pk: lot for lot in Lot.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def adjust_stock(
    *,
    used: dict | None = None,
    amending: dict | None = None,
    given: dict | None = None,
    patient_id=None,
) -> None:
    """Move the running balance of the locked lots by ``used`` (and ``amending``) ml, and their counts
    by ``given`` administrations of ``patient_id`` (the lot ledger says whether the lot's patient
    count moves too), by lot pk: one UPDATE per lot that changes, in the transaction that changes
    the administrations."""
    used, amending = used or {}, amending or {}
    given = {lot_id: n for lot_id, n in (given or {}).items() if n}
    patients = lot_recipients_move(patient_id=patient_id, given=given) if given else {}
    for lot_id in sorted(set(used) | set(amending) | set(given)):
        Lot.objects.filter(pk=lot_id).adjust_balance(
            used_ml=used.get(lot_id, Decimal("0")),
            amending_ml=amending.get(lot_id, Decimal("0")),
            administrations=given.get(lot_id, 0),
            patients=patients.get(lot_id, 0),
        )


def _difference(new: dict, old: dict) -> dict:
    return {pk: new.get(pk, Decimal("0")) - old.get(pk, Decimal("0")) for pk in set(new) | set(old)}


def _messages(error: ValidationError, prefix: str = "") -> list[str]:
    return [f"{prefix}{message}" for message in error.messages]


def _flat_errors(errors: list[str]):
    if errors:
        raise ValidationError(errors)


def check_administrations(
    *,
    treatment: Treatment,
    administrations: list[Administration],
    held: dict | None = None,
    original: dict | None = None,
) -> dict:
    """Apply every dose, lot and stock rule to the administrations a treatment will hold.

    Locks the lots involved (ordered by pk, so two writers never deadlock) until the transaction
    ends, computes each volume from its lot's concentration, and raises a ValidationError listing
    every problem. Returns the locked lots by pk. Call inside ``transaction.atomic``.

    ``held`` is what this treatment's stored administrations already take from each lot, and
    ``original`` what the original an amendment supersedes takes (``volumes_by_lot``; read here when
    not given). Their lots are locked too: the caller moves their balance after saving.
    """
    errors = []
    day = treatment.treatment_date
    held = volumes_by_lot(treatment.pk) if held is None else held
    if original is None:
        original = volumes_by_lot(treatment.amends_id) if treatment.amends_id else {}
    lots = lock_lots([a.lot_id for a in administrations] + list(held) + list(original))
    # An amendment restates what the original recorded: lots the original already used are not
    # refused for having been recalled since (the administration happened); new lots are.
    exempt = set(original)

    total = Decimal("0")
    needed = defaultdict(Decimal)
    for number, administration in enumerate(administrations, start=1):
        prefix = f"Administration {number}: " if len(administrations) > 1 else ""
        dose = administration.dose_billion
        if dose is None or dose <= 0:
            errors.append(f"{prefix}The dose must be more than 0 billion.")
            continue
        lot = lots.get(administration.lot_id)
        if lot is None:
            errors.append(f"{prefix}Choose a lot.")
            continue
        administration.lot = lot
        administration.volume_ml = volume_for(dose, lot.concentration)
        try:
            administration.full_clean(exclude=["treatment"])
        except ValidationError as error:
            errors.extend(_messages(error, prefix))
            continue
        if administration.volume_ml <= 0:
            errors.append(
                f"{prefix}{format_amount(dose)} billion is too small a dose to measure from lot "
                f"{lot.lot_number} ({format_amount(lot.concentration)} billion per ml)."
            )
            continue
        total += dose
        needed[lot.pk] += administration.volume_ml
        if lot.pk not in exempt and (reason := lot.unusable_reason(day)):
            errors.append(f"{prefix}{reason} It cannot be administered.")

    try:
        protocol = Protocol.objects.in_force_on(day)
    except Protocol.DoesNotExist as missing:
        raise ValidationError({"performed_at": str(missing)}) from None
    if total > protocol.max_dose_billion:
        errors.append(over_maximum_message(total, protocol.max_dose_billion))

    if needed and not errors:
        errors.extend(_stock_errors(lots, needed, held, original))
    _flat_errors(errors)
    return lots


def _stock_errors(lots: dict, needed: dict, held: dict, original: dict) -> list[str]:
    """Compare what the draft needs with what is left once every other current treatment is counted.

    Reads the running balance of the locked lots (never their administrations): a second writer
    waits for the first to commit and then reads its balance, so the last vial goes to exactly one
    of them. What this draft already holds is not counted twice, nor is the original an amendment
    supersedes (its volume comes back when the amendment is signed).
    """
    errors = []
    for lot_id, ml in needed.items():
        lot = lots[lot_id]
        others = lot.used_ml - held.get(lot_id, Decimal("0")) - original.get(lot_id, Decimal("0"))
        left = max(lot.quantity_received_ml - others, Decimal("0"))
        if ml > left:
            errors.append(
                f"Only {format_amount(left)} ml ({format_amount(left * lot.concentration)} billion) left "
                f"in lot {lot.lot_number}; this dose needs {format_amount(ml)} ml."
            )
    return errors


def _check_physician(treatment: Treatment) -> None:
    physician = treatment.physician
    if physician and not (physician.is_active and physician.has_perm("treatments.sign_treatment")):
        name = physician.get_full_name() or physician.get_username()
        raise ValidationError({"physician": f"{name} is not a physician who can sign treatments."})


@transaction.atomic
def treatment_save(
    *,
    treatment: Treatment,
    user,
    administrations: list[Administration],
    expected_version=None,
    administration_versions: dict | None = None,
    reason="",
) -> Treatment:
    """Create or update a draft treatment with the administrations it should hold.

    ``administrations`` are new (unsaved) or existing ones with their new values; any active
    administration of the draft that is not listed is voided ("Removed from draft") and its volume
    returns to stock. Volumes are computed here from each lot's concentration, never taken from a form.
    ``administration_versions`` maps an existing administration's pk to the version its form loaded.
    Each lot's running balance moves by the difference, under its lock, in this transaction.
    """
    creating = treatment._state.adding
    lock_patient(treatment.patient_id)
    if creating:
        treatment.created_by = user
        treatment.status = TreatmentStatus.DRAFT
    else:
        lock_draft(treatment, expected_version)
        # Each administration row is checked too, not only the treatment that holds it.
        for pk, version in sorted((administration_versions or {}).items()):
            Administration(pk=pk).check_version(version)
    treatment.full_clean()
    _check_physician(treatment)
    held = holdings_by_lot(treatment.pk if not creating else None)
    check_administrations(treatment=treatment, administrations=administrations, held=held.ml)

    attribute(treatment, user=user, reason=reason or ("Drafted" if creating else "Draft edited"))
    treatment.save()
    kept = set()
    for order, administration in enumerate(administrations, start=1):
        administration.treatment = treatment
        administration.order = order
        adding = administration._state.adding
        if adding:
            administration.created_by = user
        attribute(administration, user=user, reason="Added" if adding else "Edited in draft")
        administration.save()
        kept.add(administration.pk)
    for removed in treatment.administrations.active().exclude(pk__in=kept):
        removed.mark_voided(user=user, reason=REMOVED_FROM_DRAFT)
        attribute(removed, user=user, reason=REMOVED_FROM_DRAFT)
        removed.save()
    holds = defaultdict(Decimal)
    for administration in administrations:
        holds[administration.lot_id] += administration.volume_ml
    given = Counter(administration.lot_id for administration in administrations)
    adjust_stock(
        used=_difference(holds, held.ml),
        given={pk: given[pk] - held.given.get(pk, 0) for pk in set(given) | set(held.given)},
        patient_id=treatment.patient_id,
    )
    renumber_rounds(patient_id=treatment.patient_id, user=user)
    treatment.refresh_from_db(fields=["round_number", "version"])
    return treatment


def _count_rounds(treatments: list[Treatment]) -> dict[int, int]:
    result, current = {}, 0
    for treatment in treatments:
        if treatment.course_position in ROUND_OPENERS:
            current += 1
        result[treatment.pk] = max(current, 1)
    return result


def round_numbers(treatments: list[Treatment]) -> dict[int, int]:
    """Round number per treatment pk, for one patient's current treatments ordered by date.

    Initial treatments and second rounds open a new round; boosters and escalation steps belong to
    the current one. While an amendment is a draft its signed original stays the record in force;
    the draft gets the number it would have in the original's place.
    """
    open_amendments = [t for t in treatments if t.amends_id and t.status == TreatmentStatus.DRAFT]
    in_force = [t for t in treatments if t not in open_amendments]
    result = _count_rounds(in_force)
    for amendment in open_amendments:
        scenario = [t for t in in_force if t.pk != amendment.amends_id] + [amendment]
        scenario.sort(key=lambda t: (t.performed_at, t.pk))
        result[amendment.pk] = _count_rounds(scenario)[amendment.pk]
    return result


def renumber_rounds(*, patient_id, user) -> None:
    """Recompute the round numbers of a patient's current treatments after one was added, moved,
    amended or voided; only those that change are saved (each with its history row)."""
    treatments = list(
        Treatment.objects.current().filter(patient_id=patient_id).order_by("performed_at", "id")
    )
    numbers = round_numbers(treatments)
    for treatment in treatments:
        number = numbers[treatment.pk]
        if treatment.round_number != number:
            treatment.round_number = number
            attribute(treatment, user=user, reason="Round number recomputed from the patient's history")
            treatment.save(update_fields=["round_number", "version", "updated_at"])
