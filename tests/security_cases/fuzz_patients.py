"""Fuzz cases: patients, the second factor, the signing password, the access-log filter and its
page links, and the protocol admin's "copy as new version" form."""

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.form_parts import VoidForm
from clinic.forms import EnrolForm, PasswordConfirmForm, SecondFactorForm
from clinic.models import StaleRecord
from tests.security_cases.fuzz import EXAMPLES, FormCase, _request
from treatments.admin.protocol import CopyForm
from treatments.filters.access_log import AccessLogFilter, AccessLogFilterForm, AccessLogPositionForm
from treatments.forms.fhir import FhirPatientImportForm
from treatments.forms.patients import PatientForm
from treatments.models import Patient
from treatments.selectors.access_log import access_log_events, access_log_page
from treatments.services.fhir_import import patient_import_fhir
from treatments.services.patients import patient_save, patient_void


def _fresh(ctx) -> Patient:
    return Patient.objects.get(pk=ctx.patient.pk)


def _patient_baseline(ctx, patient=None):
    data = {"mrn": "FUZZ-1", "given_name": "Fuzz", "family_name": "Case", "date_of_birth": "1970-01-01"}
    data["sex"] = "female"
    if patient is not None:
        data |= {"mrn": patient.mrn, "version": str(patient.version)}
    return data


def _fhir_baseline(ctx):
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": "https://referrer.example.org/id", "value": "R-1"}],
        "name": [{"family": "Fuzz", "given": ["Fhir"]}],
        "birthDate": "1970-01-01",
        "gender": "female",
    }
    return {"resource_text": json.dumps(resource), "mrn": "FUZZ-FHIR-1"}


FORM_CASES = [
    FormCase(
        FhirPatientImportForm,
        "import",
        build=lambda ctx, data: FhirPatientImportForm(data),
        save=lambda ctx, form: patient_import_fhir(
            resource=form.cleaned_data["resource"], user=ctx.physician, mrn=form.cleaned_data["mrn"]
        ),
        # A resource that is not JSON is refused above the form; one the service refuses, too.
        expected_errors=(ValidationError,),
        baseline=_fhir_baseline,
    ),
    FormCase(
        PatientForm,
        "register",
        build=lambda ctx, data: PatientForm(data),
        save=lambda ctx, form: patient_save(
            patient=form.instance, user=ctx.physician, indications=form.cleaned_data["indications"]
        ),
        baseline=_patient_baseline,
    ),
    FormCase(
        PatientForm,
        "edit",
        build=lambda ctx, data: PatientForm(data, instance=_fresh(ctx)),
        save=lambda ctx, form: patient_save(
            patient=form.instance,
            user=ctx.physician,
            indications=form.cleaned_data["indications"],
            expected_version=form.cleaned_data.get("version"),
        ),
        expected_errors=(StaleRecord,),
        baseline=lambda ctx: _patient_baseline(ctx, ctx.patient),
    ),
    FormCase(
        VoidForm,
        "void patient",
        build=lambda ctx, data: VoidForm(data),
        save=lambda ctx, form: patient_void(
            patient=_fresh(ctx), user=ctx.physician, reason=form.cleaned_data["reason"]
        ),
    ),
    FormCase(SecondFactorForm, "verify", build=lambda ctx, data: SecondFactorForm(data, user=ctx.physician)),
    FormCase(
        EnrolForm,
        "enrol",
        build=lambda ctx, data: EnrolForm(data, user=ctx.physician, device=TOTPDevice(user=ctx.physician)),
    ),
    FormCase(
        PasswordConfirmForm, "sign", build=lambda ctx, data: PasswordConfirmForm(data, request=_request(ctx))
    ),
    FormCase(
        AccessLogFilterForm,
        "filter",
        build=lambda ctx, data: AccessLogFilter(data).form,
        save=lambda ctx, form: list(access_log_events(filters=AccessLogFilter(form.data))[:5]),
        saved=EXAMPLES,
    ),
    FormCase(
        AccessLogPositionForm,
        "page link",
        build=lambda ctx, data: AccessLogPositionForm(data),
        save=lambda ctx, form: (
            access_log_page(
                filters=AccessLogFilter(None),
                before=form.cleaned_data["before"],
                after=form.cleaned_data["after"],
            ).events
        ),
        saved=EXAMPLES,
    ),
    # The copy itself needs a governing version (tests/test_protocol_versions.py); fuzzing holds the
    # form: any input is valid or refused with a message, never an exception.
    FormCase(CopyForm, "copy protocol", build=lambda ctx, data: CopyForm(data, today=dt.date(2026, 12, 1))),
]
