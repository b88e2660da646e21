"""Fuzz cases: treatment recording (drafts, administrations, signing, amending, voiding) and lots."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from clinic.models import StaleRecord
from tests.helpers.auth import PASSWORD
from tests.security_cases.fuzz import SERVICE_ERRORS, FormCase, _request, fresh
from treatments.admin.records import LotAdminForm
from treatments.forms.lots import LotForm
from treatments.forms.treatments import AdministrationForm, ReasonForm, SignForm, TreatmentForm
from treatments.models import Administration, Indication, Treatment
from treatments.services.lots import lot_recall, lot_save
from treatments.services.signing import treatment_amend, treatment_sign, treatment_void
from treatments.services.treatments import treatment_save


def _treatment_baseline(ctx, *, treatment=None, physician_field=False):
    data = {
        "performed_at": (timezone.localtime() - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "indication": str(Indication.objects.order_by("pk").first().pk),
        "course_position": "booster",
        "consent_confirmed": "on",
        "anti_inflammatories_paused": "on",
        "product_thawed_inspected": "on",
        "baseline_pain": "4",
        "baseline_energy": "6",
        "notes": "Fuzz",
    }
    if physician_field:
        data["physician"] = str(ctx.physician.pk)
    if treatment is not None:
        data["version"] = str(treatment.version)
    return data


def _save_treatment(ctx, form, user):
    treatment = form.instance
    if treatment._state.adding:
        administrations = [Administration(route="iv_drip", lot=ctx.lot, dose_billion=Decimal("1"))]
    else:
        administrations = list(treatment.administrations.active())
    treatment_save(
        treatment=treatment,
        user=user,
        administrations=administrations,
        expected_version=form.cleaned_data.get("version"),
    )


def _administration_baseline(ctx, administration=None):
    data = {"route": "local_injection", "site": "left knee", "lot": str(ctx.lot.pk), "dose_billion": "1.5"}
    data |= {"whole_dose_given": "on", "not_given_reason": ""}
    if administration is not None:
        data["version"] = str(administration.version)
    return data


def _build_administration(ctx, data, instance=None):
    return AdministrationForm(data, instance=instance, lot_choices=ctx.lot_choices, default_lot=ctx.lot.pk)


def _save_administration(ctx, form):
    draft = fresh(ctx.draft)
    administration = form.instance
    versions = {}
    if administration.pk:
        versions[administration.pk] = form.cleaned_data.get("version")
    treatment_save(
        treatment=draft,
        user=ctx.physician,
        administrations=[administration],
        expected_version=draft.version,
        administration_versions=versions,
    )


def _lot_baseline(ctx, lot=None):
    data = {
        "product": str(ctx.lot.product_id),
        "lot_number": "FUZZ-LOT",
        "manufacturer": "Lab",
        "received_on": "2026-01-05",
        "expires_on": "2027-01-05",
        "concentration": "1",
        "quantity_received_ml": "20",
        "storage_location": "Freezer A",
        "storage_temperature_c": "-80",
        "status": "released",
        "certificate_of_analysis": "COA-1",
        "notes": "",
    }
    if lot is not None:
        data |= {"lot_number": lot.lot_number, "quantity_received_ml": "100", "version": str(lot.version)}
    return data


def _save_lot(ctx, form):
    lot_save(lot=form.instance, user=ctx.clinic_admin, expected_version=form.cleaned_data.get("version"))


FORM_CASES = [
    FormCase(
        TreatmentForm,
        "physician drafts",
        build=lambda ctx, data: TreatmentForm(
            data, instance=Treatment(patient=ctx.patient, physician=ctx.physician), physician_field=False
        ),
        save=lambda ctx, form: _save_treatment(ctx, form, ctx.physician),
        baseline=_treatment_baseline,
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        TreatmentForm,
        "staff drafts for a physician",
        build=lambda ctx, data: TreatmentForm(
            data, instance=Treatment(patient=ctx.patient), physician_field=True
        ),
        save=lambda ctx, form: _save_treatment(ctx, form, ctx.staff),
        baseline=lambda ctx: _treatment_baseline(ctx, physician_field=True),
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        TreatmentForm,
        "edit draft",
        build=lambda ctx, data: TreatmentForm(data, instance=fresh(ctx.draft), physician_field=False),
        save=lambda ctx, form: _save_treatment(ctx, form, ctx.physician),
        baseline=lambda ctx: _treatment_baseline(ctx, treatment=ctx.draft),
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        AdministrationForm,
        "add to draft",
        build=lambda ctx, data: _build_administration(ctx, data),
        save=_save_administration,
        baseline=_administration_baseline,
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        AdministrationForm,
        "edit in draft",
        build=lambda ctx, data: _build_administration(ctx, data, fresh(ctx.administration)),
        save=_save_administration,
        baseline=lambda ctx: _administration_baseline(ctx, ctx.administration),
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        SignForm,
        "sign draft",
        build=lambda ctx, data: SignForm(data),
        save=lambda ctx, form: treatment_sign(
            treatment=fresh(ctx.draft),
            user=ctx.physician,
            password=form.cleaned_data["password"],
            request=_request(ctx),
            expected_version=form.cleaned_data.get("version"),
        ),
        baseline=lambda ctx: {"password": PASSWORD, "version": str(ctx.draft.version)},
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        ReasonForm,
        "amend signed",
        build=lambda ctx, data: ReasonForm(data, label="Reason for the amendment"),
        save=lambda ctx, form: treatment_amend(
            treatment=fresh(ctx.signed), user=ctx.physician, reason=form.cleaned_data["reason"]
        ),
        baseline=lambda ctx: {"reason": "Dose corrected", "version": str(ctx.signed.version)},
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        ReasonForm,
        "void treatment",
        build=lambda ctx, data: ReasonForm(data, label="Reason for voiding"),
        save=lambda ctx, form: treatment_void(
            treatment=fresh(ctx.signed),
            user=ctx.physician,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        ),
        baseline=lambda ctx: {"reason": "Wrong patient", "version": str(ctx.signed.version)},
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        ReasonForm,
        "recall lot",
        build=lambda ctx, data: ReasonForm(data, label="Reason for the recall"),
        save=lambda ctx, form: lot_recall(
            lot=fresh(ctx.lot),
            user=ctx.clinic_admin,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
        ),
        baseline=lambda ctx: {"reason": "Sterility test failed", "version": str(ctx.lot.version)},
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        LotForm,
        "receive",
        build=lambda ctx, data: LotForm(data),
        save=_save_lot,
        baseline=_lot_baseline,
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        LotForm,
        "edit",
        build=lambda ctx, data: LotForm(data, instance=fresh(ctx.lot)),
        save=_save_lot,
        baseline=lambda ctx: _lot_baseline(ctx, ctx.lot),
        expected_errors=SERVICE_ERRORS,
    ),
    # The admin cannot show a service error: its form must catch every rule (a stale form included).
    FormCase(
        LotAdminForm,
        "admin receives",
        build=lambda ctx, data: LotAdminForm(data),
        save=_save_lot,
        baseline=_lot_baseline,
    ),
    FormCase(
        LotAdminForm,
        "admin edits",
        build=lambda ctx, data: LotAdminForm(data, instance=fresh(ctx.lot)),
        save=_save_lot,
        baseline=lambda ctx: _lot_baseline(ctx, ctx.lot),
        # A stale version is the form's own error (above the form), before lot_save would refuse it.
        expected_errors=(StaleRecord,),
    ),
]
