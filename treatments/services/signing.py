"""A treatment's life after drafting: signing, amending a signed one, and voiding."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import attribute
from clinic.formats import day as format_day
from clinic.reauth import confirm_password
from treatments.models import Administration, Treatment, TreatmentStatus
from treatments.models.treatments import VISIT_FIELDS
from treatments.services.followups import (
    followups_cancel_open,
    followups_move_to_amendment,
    followups_schedule,
)
from treatments.services.treatments import (
    adjust_stock,
    check_administrations,
    holdings_by_lot,
    lock_draft,
    lock_lots,
    lock_patient,
    renumber_rounds,
    treatment_save,
    volumes_by_lot,
)


def _negated(volumes: dict) -> dict:
    return {lot_id: -ml for lot_id, ml in volumes.items()}


SIGNATURE_REFUSED = "The password is not correct. The treatment was not signed."


def sign_problems(treatment: Treatment, user) -> list[str]:
    """What stops ``user`` from signing this draft now (empty when nothing does). The sign page shows
    these before asking for the password; the service checks them again under lock."""
    problems = []
    if not user.has_perm("treatments.sign_treatment"):
        problems.append("Only physicians can sign treatments.")
    elif treatment.physician_id != user.pk:
        name = treatment.physician.get_full_name() or treatment.physician
        problems.append(
            f"Only the treating physician ({name}) can sign this treatment. "
            "Edit the draft to change the physician if you treated the patient."
        )
    if treatment.status != TreatmentStatus.DRAFT:
        problems.append(f"This treatment is {treatment.get_status_display().lower()}, not a draft.")
    missing = treatment.missing_checklist_items()
    if missing:
        problems.append("Complete the pre-treatment checklist before signing: " + ", ".join(missing) + ".")
    consent = treatment.patient.consent_on_file
    if consent is None:
        problems.append(
            "No treatment consent is on file for this patient. Record the date of the signed consent "
            "on the patient's details first."
        )
    elif consent > treatment.treatment_date:
        problems.append(
            f"The consent on file is dated {format_day(consent)}, after the treatment date "
            f"({format_day(treatment.treatment_date)}). A treatment needs consent signed on or before "
            "its date."
        )
    if not treatment.administrations.active().exists():
        problems.append("Record at least one administration before signing.")
    return problems


def treatment_sign(*, treatment: Treatment, user, password: str, request, expected_version=None) -> Treatment:
    """Sign a draft as ``user`` after they typed their password again (21 CFR 11.200)."""
    if not user.has_perm("treatments.sign_treatment"):
        raise PermissionDenied("Only physicians can sign treatments.")
    if getattr(request, "user", None) != user:
        raise PermissionDenied("A treatment is signed by the user who is signed in.")
    if not confirm_password(user, password, request=request):
        raise ValidationError({"password": SIGNATURE_REFUSED})
    return treatment_sign_reauthenticated(treatment=treatment, user=user, expected_version=expected_version)


@transaction.atomic
def treatment_sign_reauthenticated(*, treatment: Treatment, user, expected_version=None) -> Treatment:
    """Sign a draft whose signer has just been re-authenticated (by ``treatment_sign``; the demo
    seeding, which acts as its physicians, calls this directly).

    Every rule is checked again under lock; signing an amendment supersedes its original, whose
    stock comes back and whose follow-ups move to the amendment. Follow-ups are scheduled in the
    same transaction.
    """
    if not user.has_perm("treatments.sign_treatment"):
        raise PermissionDenied("Only physicians can sign treatments.")
    patient = lock_patient(treatment.patient_id)
    lock_draft(treatment, expected_version)
    treatment.refresh_from_db()
    treatment.patient = patient  # the row just locked: the consent is read from it, not again
    problems = sign_problems(treatment, user)
    if problems:
        raise ValidationError(problems)
    treatment.full_clean()
    original_holdings = holdings_by_lot(treatment.amends_id)
    original_volumes = original_holdings.ml
    check_administrations(
        treatment=treatment,
        administrations=list(treatment.administrations.active()),
        original=original_volumes,
    )

    treatment.status = TreatmentStatus.SIGNED
    treatment.signed_at = timezone.now()
    treatment.signed_by = user
    attribute(treatment, user=user, reason="Amendment signed" if treatment.amends_id else "Signed")
    treatment.save()
    if treatment.amends_id:
        original = Treatment.objects.select_for_update().get(pk=treatment.amends_id)
        original.status = TreatmentStatus.AMENDED
        attribute(original, user=user, reason=f"Superseded by an amendment: {treatment.amendment_reason}")
        original.save()
        # The superseded original gives its volume back, and is no longer counted twice; its
        # administrations no longer count (the amendment's, for the same patient, do).
        adjust_stock(
            used=_negated(original_volumes),
            amending=_negated(original_volumes),
            given=_negated(original_holdings.given),
            patient_id=original.patient_id,
        )
        followups_move_to_amendment(original=original, amendment=treatment, user=user)
    followups_schedule(treatment=treatment, user=user)
    renumber_rounds(patient_id=treatment.patient_id, user=user)
    treatment.refresh_from_db()
    return treatment


AMENDMENT_COPIED_FIELDS = (
    "patient_id",
    *(f"{name}_id" if name in ("physician", "indication") else name for name in VISIT_FIELDS),
)
ADMINISTRATION_COPIED_FIELDS = (
    "route",
    "site",
    "lot_id",
    "dose_billion",
    "whole_dose_given",
    "not_given_reason",
)


@transaction.atomic
def treatment_amend(*, treatment: Treatment, user, reason: str) -> Treatment:
    """Start an amendment of a signed treatment: a new draft that copies it, to be edited and signed.

    The original stays signed (and in force) until the amendment is signed.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the signed treatment needs an amendment."})
    lock_patient(treatment.patient_id)
    original = Treatment.objects.select_for_update().get(pk=treatment.pk)
    if original.status != TreatmentStatus.SIGNED:
        raise ValidationError(
            f"Only a signed treatment can be amended; this one is {original.get_status_display().lower()}."
        )
    existing = Treatment.objects.filter(amends=original).first()
    if existing is not None:
        raise ValidationError(
            f"An amendment of this treatment is already open (started {format_day(existing.created_at)}). "
            "Finish or void it first."
        )
    # While the amendment is a draft both count against stock; the original's volume is marked as
    # counted twice first, so the copies fit even when the original took a lot's last vial.
    original_volumes = volumes_by_lot(original.pk)
    lock_lots(original_volumes)
    adjust_stock(amending=original_volumes)
    amendment = Treatment(amends=original, amendment_reason=reason)
    for name in AMENDMENT_COPIED_FIELDS:
        setattr(amendment, name, getattr(original, name))
    copies = []
    for administration in original.administrations.active():
        copy = Administration()
        for name in ADMINISTRATION_COPIED_FIELDS:
            setattr(copy, name, getattr(administration, name))
        copies.append(copy)
    return treatment_save(
        treatment=amendment, user=user, administrations=copies, reason=f"Amendment started: {reason}"
    )


def can_void(treatment: Treatment, user) -> bool:
    """Physicians void drafts and signed treatments; staff void only drafts they created themselves
    (a mistaken draft), never a signed record."""
    if not treatment.is_current:
        return False
    if user.has_perm("treatments.void_treatment"):
        return True
    return (
        treatment.status == TreatmentStatus.DRAFT
        and treatment.created_by_id == user.pk
        and user.has_perm("treatments.add_treatment")
    )


@transaction.atomic
def treatment_void(*, treatment: Treatment, user, reason: str, expected_version=None) -> Treatment:
    """Void a draft or signed treatment with a reason: it stays visible, its stock returns (the ledger
    skips voided treatments) and its open follow-ups are cancelled. Voiding a draft amendment leaves
    the original signed and free to be amended again."""
    lock_patient(treatment.patient_id)
    treatment.check_version(expected_version)
    treatment = Treatment.objects.select_for_update().get(pk=treatment.pk)
    if not treatment.is_current:
        raise ValidationError(
            f"This treatment is {treatment.get_status_display().lower()}: only drafts and signed "
            "treatments can be voided."
        )
    if not can_void(treatment, user):
        raise PermissionDenied("You may void only drafts you created; a physician voids signed treatments.")
    # Its administrations stop counting: their volume returns to their lots (and a draft
    # amendment's original is no longer counted twice).
    returned = holdings_by_lot(treatment.pk)
    draft_amendment = treatment.amends_id and treatment.signed_at is None
    original = volumes_by_lot(treatment.amends_id) if draft_amendment else {}
    lock_lots(list(returned.ml) + list(original))
    adjust_stock(
        used=_negated(returned.ml),
        amending=_negated(original),
        given=_negated(returned.given),
        patient_id=treatment.patient_id,
    )
    treatment.mark_voided(user=user, reason=reason)
    treatment.status = TreatmentStatus.VOIDED
    history_reason = f"Voided: {treatment.void_reason}"
    if treatment.amends_id and treatment.signed_at is None:
        # ``amends`` is one-to-one: the abandoned draft lets go so the original can be amended
        # again. The link stays in this record's history and in the reason below.
        history_reason = (
            f"Voided draft amendment of treatment #{treatment.amends_id}: {treatment.void_reason}"
        )
        treatment.amends = None
    attribute(treatment, user=user, reason=history_reason)
    treatment.save()
    followups_cancel_open(treatment=treatment, user=user, reason=f"Treatment voided: {treatment.void_reason}")
    renumber_rounds(patient_id=treatment.patient_id, user=user)
    return treatment
