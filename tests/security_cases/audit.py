"""Audit cases, read by tests/test_security_audit.py.

AUDITED_WRITES lists, per clinical record model, the real write paths (services, or the Django
admin where that is the only editor) that create, change and void one; a model without a void
path says so in NO_VOID_PATH. Each case takes the ``ctx`` fixture of tests/test_security_audit.py.
"""

import datetime as dt
from decimal import Decimal

from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from treatments.models import (
    Administration,
    FollowUp,
    Indication,
    Lot,
    Patient,
    Product,
    Protocol,
    SideEffectReport,
    Treatment,
)
from treatments.services.followup_actions import followup_cancel, followup_reschedule
from treatments.services.lots import lot_recall, lot_save
from treatments.services.patients import patient_save, patient_void
from treatments.services.side_effects import (
    side_effect_amend,
    side_effect_report,
    side_effect_review,
    side_effect_void,
)
from treatments.services.signing import treatment_amend, treatment_sign_reauthenticated, treatment_void
from treatments.services.treatments import treatment_save


def actor(model, ctx):
    """Who makes the writes of a case: clinic admins keep products, lots and the protocol."""
    return ctx.clinic_admin if model in (Product, Lot, Protocol) else ctx.physician


def fresh(record):
    return type(record).objects.get(pk=record.pk)


# Patients -----------------------------------------------------------------------------------------


def _changed_patient(ctx):
    patient = fresh(ctx.patient)
    patient.family_name = "Changed"
    return patient_save(patient=patient, user=ctx.physician, expected_version=patient.version, reason="Typo")


# Products and protocol versions: edited in the Django admin only (no page of their own) --------


def admin_form_data(ctx, model, obj, changes: dict) -> dict:
    """What the admin's add or change form posts for ``obj`` as it stands, with ``changes``."""
    request = RequestFactory().get("/admin/")
    request.user = ctx.clinic_admin
    form = admin.site._registry[model].get_form(request, obj, change=obj.pk is not None)(instance=obj)
    data = {}
    for name in form.fields:
        value = changes.get(name, form[name].value())
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value.isoformat() if hasattr(value, "isoformat") else value
    if model is Protocol:
        management = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}
        data |= {f"steps-{key}": value for key, value in management.items()}
        data["change_reason"] = "Audit case"  # a protocol change says why
    return data


def admin_save(ctx, model, obj, **changes):
    """Post the admin form as a clinic admin would; return the saved record."""
    adding = obj.pk is None
    name = model._meta.model_name
    url = reverse(
        f"admin:treatments_{name}_add" if adding else f"admin:treatments_{name}_change",
        args=[] if adding else [obj.pk],
    )
    response = ctx.admin_client.post(url, admin_form_data(ctx, model, obj, changes))
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    return model.objects.latest("pk") if adding else fresh(obj)


def _new_protocol(ctx):
    return admin_save(ctx, Protocol, Protocol(effective_from=timezone.localdate() + dt.timedelta(days=30)))


def _moved_lot(ctx):
    lot = fresh(ctx.lot)
    lot.storage_location = "Freezer B"
    return lot_save(lot=lot, user=ctx.clinic_admin, expected_version=lot.version, reason="Moved")


# Treatments and administrations: drafted, edited, signed, amended and voided by the services ------


def _new_treatment(ctx):
    treatment = Treatment(
        patient=ctx.patient,
        physician=ctx.physician,
        performed_at=timezone.now() - dt.timedelta(minutes=30),
        indication=Indication.objects.first(),
        consent_confirmed=True,
        anti_inflammatories_paused=True,
        product_thawed_inspected=True,
    )
    administration = Administration(route="iv_drip", lot=ctx.lot, dose_billion=Decimal("2"))
    return treatment_save(treatment=treatment, user=ctx.physician, administrations=[administration])


def _edited_draft(ctx, *, dose=None, drop=False):
    draft = fresh(ctx.draft)
    draft.notes = "Edited"
    administrations = list(draft.administrations.active())
    for administration in administrations:
        administration.dose_billion = dose or administration.dose_billion
    saved = treatment_save(
        treatment=draft,
        user=ctx.physician,
        administrations=[] if drop else administrations,
        expected_version=draft.version,
    )
    return saved, administrations


def _added_administration(ctx):
    draft = fresh(ctx.draft)
    added = Administration(route="intranasal", lot=ctx.lot, dose_billion=Decimal("1"))
    treatment_save(
        treatment=draft,
        user=ctx.physician,
        administrations=[*draft.administrations.active(), added],
        expected_version=draft.version,
    )
    return added


def _signed_followup(ctx):
    draft = treatment_sign_reauthenticated(treatment=fresh(ctx.draft), user=ctx.physician)
    return draft.followups.order_by("due_on").first()


def _open_followup(ctx):
    return ctx.signed.followups.open().order_by("due_on").last()


def _new_report(ctx):
    data = {"term": "headache", "onset": ctx.signed.treatment_date, "grade": 1, "outcome": "recovering"}
    return side_effect_report(patient=ctx.patient, treatment=ctx.signed, user=ctx.physician, data=data)


def _amended_report(ctx):
    report = fresh(ctx.report)
    data = {
        "term": "fever",
        "onset": report.onset,
        "resolved_on": report.onset,
        "grade": 2,
        "outcome": "resolved",
    }
    return side_effect_amend(
        report=report, user=ctx.physician, data=data, reason="Grade checked", expected_version=report.version
    )


AUDITED_WRITES = {
    Patient: {
        "create": lambda ctx: patient_save(
            patient=Patient(
                mrn="ATOM-1", given_name="At", family_name="Om", date_of_birth=dt.date(1980, 1, 1)
            ),
            user=ctx.physician,
        ),
        "change": _changed_patient,
        "void": lambda ctx: patient_void(patient=fresh(ctx.patient), user=ctx.physician, reason="Duplicate"),
    },
    Product: {
        "create": lambda ctx: admin_save(
            ctx, Product, Product(name="Audit exosomes", manufacturer="Lab", kind="standard")
        ),
        "change": lambda ctx: admin_save(ctx, Product, fresh(ctx.product), notes="Supplier changed"),
    },
    Lot: {
        "create": lambda ctx: lot_save(
            lot=Lot(
                product=ctx.product,
                lot_number="AUDIT-2",
                received_on=timezone.localdate(),
                expires_on=timezone.localdate() + dt.timedelta(days=365),
                concentration=Decimal("1"),
                quantity_received_ml=Decimal("50"),
            ),
            user=ctx.clinic_admin,
        ),
        "change": _moved_lot,
        "recall": lambda ctx: lot_recall(
            lot=fresh(ctx.lot),
            user=ctx.clinic_admin,
            reason="Sterility test failed",
            expected_version=ctx.lot.version,
        ),
    },
    Protocol: {
        "create": _new_protocol,
        "change": lambda ctx: admin_save(ctx, Protocol, fresh(ctx.protocol), notes="Reviewed"),
    },
    Treatment: {
        "create": _new_treatment,
        "change": lambda ctx: _edited_draft(ctx)[0],
        "sign": lambda ctx: treatment_sign_reauthenticated(treatment=fresh(ctx.draft), user=ctx.physician),
        "create (amendment)": lambda ctx: treatment_amend(
            treatment=fresh(ctx.signed), user=ctx.physician, reason="Dose corrected"
        ),
        "void": lambda ctx: treatment_void(
            treatment=fresh(ctx.signed), user=ctx.physician, reason="Wrong patient"
        ),
    },
    Administration: {
        "create": _added_administration,
        "change": lambda ctx: _edited_draft(ctx, dose=Decimal("3"))[1][0],
        # A draft holds what its form lists: one left out is voided, "Removed from draft".
        "void": lambda ctx: fresh(_edited_draft(ctx, drop=True)[1][0]),
    },
    FollowUp: {
        # Follow-ups are made by signing, in the signing transaction.
        "create": _signed_followup,
        "change": lambda ctx: followup_reschedule(
            followup=_open_followup(ctx),
            user=ctx.physician,
            new_due=_open_followup(ctx).due_on + dt.timedelta(days=1),
            reason="Patient travels",
        ),
        "cancel": lambda ctx: followup_cancel(
            followup=_open_followup(ctx), user=ctx.physician, reason="Moved away"
        ),
    },
    SideEffectReport: {
        "create": _new_report,
        "change": _amended_report,
        "review": lambda ctx: side_effect_review(
            report=fresh(ctx.report), user=ctx.physician, assessment="Expected, mild", action=""
        ),
        "void": lambda ctx: side_effect_void(
            report=fresh(ctx.report), user=ctx.physician, reason="Wrong patient"
        ),
    },
}
# Records that have no void of their own, and what takes its place. The design (domain.md) wants
# every clinical record voidable with a reason; these are open points for the models' owner.
NO_VOID_PATH = {
    Product: "no void yet: a product entered by mistake stays (the admin shows the void fields read-only)",
    Lot: "no void yet: a lot is recalled or set to destroyed instead",
    Protocol: "no void yet: a later version supersedes it from its date",
    FollowUp: "cancelled with a reason instead (followup_cancel; voiding the treatment cancels them)",
}
CASES = [(model, action) for model, actions in AUDITED_WRITES.items() for action in actions]
