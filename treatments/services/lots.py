"""Lot writes: receiving and editing a lot without breaking the stock ledger, recalling one, and the
ledger of which patients hold a lot's administrations."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clinic.audit import attribute
from treatments.dosing import format_amount
from treatments.models import Administration, Lot, LotRecipient, LotStatus


def lot_problems(lot: Lot) -> dict[str, str]:
    """Rules for editing a lot that already holds administrations (beyond ``Lot.clean``), by field.

    Used by the lot form and the admin form to show errors, and again by ``lot_save`` under lock.
    """
    if lot._state.adding or lot.pk is None:
        return {}
    stored = (
        Lot._base_manager.filter(pk=lot.pk).values("status", "concentration", "product_id", "used_ml").first()
    )
    if stored is None:
        return {}
    errors = {}
    if stored["status"] == LotStatus.RECALLED and lot.status not in (LotStatus.RECALLED, LotStatus.DESTROYED):
        errors["status"] = "A recalled lot stays recalled (or is destroyed); it cannot be used again."
    if stored["status"] != LotStatus.RECALLED and lot.status == LotStatus.RECALLED and not lot.recall_reason:
        errors["recall_reason"] = "Say why the lot is recalled."
    # The running balance (what counting administrations use); the lot's administrations are
    # counted only when the concentration or the product is about to change.
    used = stored["used_ml"]
    concentration_changes = lot.concentration is not None and lot.concentration != stored["concentration"]
    product_changes = bool(lot.product_id) and lot.product_id != stored["product_id"]
    count = 0
    if concentration_changes or product_changes:
        count = Administration.objects.active().filter(lot_id=lot.pk).count()
    if count:
        if concentration_changes:
            errors["concentration"] = (
                f"The concentration cannot change: {count} administrations were measured "
                f"at {format_amount(stored['concentration'])} billion per ml."
            )
        if product_changes:
            errors["product"] = "The product cannot change once the lot has been administered."
    if lot.quantity_received_ml is not None and lot.quantity_received_ml < used:
        errors["quantity_received_ml"] = (
            f"{format_amount(used)} ml from this lot were already administered; "
            "the quantity received cannot be less."
        )
    return errors


@transaction.atomic
def lot_save(*, lot: Lot, user, expected_version=None, reason: str = "") -> Lot:
    """Create or update a lot. Setting the status to recalled here records who and when, as
    ``lot_recall`` does. The lot's row is locked first, so its running balance cannot move between
    the quantity check and the save (the save never writes the balance)."""
    creating = lot._state.adding
    if creating:
        lot.created_by = user
    else:
        lot.check_version(expected_version)
        lot.used_ml, lot.amending_ml = (
            Lot._base_manager.select_for_update().values_list("used_ml", "amending_ml").get(pk=lot.pk)
        )
    if lot.status == LotStatus.RECALLED and lot.recalled_at is None:
        lot.recalled_at = timezone.now()
        lot.recalled_by = user
        reason = reason or f"Recalled: {lot.recall_reason}"
    lot.full_clean()
    errors = lot_problems(lot)
    if errors:
        raise ValidationError(errors)
    attribute(lot, user=user, reason=reason or ("Received" if creating else "Edited"))
    lot.save()
    return lot


@transaction.atomic
def lot_recall(*, lot: Lot, user, reason: str, expected_version=None) -> Lot:
    """Recall a lot: it can no longer be administered, and its page lists every patient who had it."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the lot is recalled."})
    lot.check_version(expected_version)
    lot = Lot.objects.select_for_update().get(pk=lot.pk)
    if lot.status == LotStatus.RECALLED:
        raise ValidationError(f"Lot {lot.lot_number} is already recalled.")
    lot.status = LotStatus.RECALLED
    lot.recall_reason = reason
    return lot_save(lot=lot, user=user, reason=f"Recalled: {reason}")


def lot_recipients_move(*, patient_id, given: dict[int, int]) -> dict[int, int]:
    """Move ``patient_id``'s count of counting administrations in each lot's ledger by ``given``
    (a change in administrations, by lot pk), and return how each lot's patient count moves: +1
    where the patient's first one arrives, -1 where their last one leaves, 0 otherwise.

    Call with the lots locked (``services.treatments.lock_lots``), in the transaction that changes
    the administrations: the row read here cannot move before it is written. One read, then one
    write per lot; the database refuses a count below zero.
    """
    given = {lot_id: n for lot_id, n in given.items() if n}
    if not given:
        return {}
    rows = dict(
        LotRecipient.objects.filter(patient_id=patient_id, lot_id__in=given).values_list(
            "lot_id", "administration_count"
        )
    )
    moved, new = {}, []
    for lot_id, n in sorted(given.items()):
        before = rows.get(lot_id)
        after = (before or 0) + n
        moved[lot_id] = int(after > 0) - int((before or 0) > 0)
        if before is None:
            new.append(LotRecipient(lot_id=lot_id, patient_id=patient_id, administration_count=after))
        else:
            LotRecipient.objects.filter(lot_id=lot_id, patient_id=patient_id).update(
                administration_count=F("administration_count") + n
            )
    LotRecipient.objects.bulk_create(new)
    return moved
