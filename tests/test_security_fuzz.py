"""Every form of the project, fuzzed with Hypothesis: valid data or field errors, never an exception."""

# FORM_CASES says how to build each form (and how to save it when valid, inside a rolled-back
# savepoint, so that database rules are fuzzed too). A form class defined anywhere in clinic,
# treatments or faq without a case fails test_every_project_form_has_a_fuzz_case.

import datetime as dt
import importlib
import pkgutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.form_parts import VoidForm
from clinic.forms import EnrolForm, PasswordConfirmForm, SecondFactorForm
from clinic.models import StaleRecord
from faq.admin import EntryAdminForm
from faq.models import Category
from tests.helpers.auth import PASSWORD
from treatments.admin.records import LotAdminForm
from treatments.figures import side_effect_figures
from treatments.forms.access_log import AccessLogFilterForm
from treatments.forms.followups import (
    FollowUpAttemptForm,
    FollowUpCancelForm,
    FollowUpCompleteForm,
    FollowUpRescheduleForm,
    WorklistFilterForm,
)
from treatments.forms.lookup import RecordNumberForm
from treatments.forms.lots import LotForm
from treatments.forms.patients import PatientForm
from treatments.forms.side_effects import PeriodForm, ReviewForm, SideEffectFilterForm, SideEffectReportForm
from treatments.forms.treatments import AdministrationForm, ReasonForm, SignForm, TreatmentForm, lot_options
from treatments.models import Administration, FollowUp, Indication, Lot, Patient, SideEffectReport, Treatment
from treatments.services.followup_actions import (
    followup_cancel,
    followup_complete,
    followup_record_attempt,
    followup_reschedule,
)
from treatments.services.lots import lot_recall, lot_save
from treatments.services.patients import patient_save, patient_void
from treatments.services.side_effects import (
    side_effect_amend,
    side_effect_report,
    side_effect_review,
    side_effect_void,
)
from treatments.services.signing import treatment_amend, treatment_sign, treatment_void
from treatments.services.treatments import treatment_save
from treatments.views.access_log import filtered_events

pytestmark = pytest.mark.django_db

PACKAGES = ("clinic", "treatments", "faq")
SKIPPED_MODULES = ("migrations", "settings", "wsgi", "asgi")
EXAMPLES = 200
RENDER_EVERY = 5
SAVED = 30

NASTY = [
    "",
    " ",
    "\x00",
    "\u202e",
    "🧪" * 3,
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "' OR 1=1 --",
    "NaN",
    "1e309",
    "-1",
    "0",
    "9" * 40,
    "2026-02-30",
    "0000-00-00",
    "../../etc/passwd",
    "a" * 5000,
]
GARBAGE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(dt.date.isoformat),
    st.binary(max_size=40).map(lambda raw: raw.decode("latin-1")),
)


def project_forms() -> set[type]:
    """Every Form subclass defined in the project's packages (importing each module first)."""
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if not any(part in SKIPPED_MODULES for part in module.name.split(".")):
                importlib.import_module(module.name)
    found, todo = set(), [forms.BaseForm]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass.__module__.split(".")[0] in PACKAGES:
                found.add(subclass)
    return found


def choice_values(field) -> list[str]:
    values = []
    for value, _ in field.choices:
        value = getattr(value, "value", value)
        if value not in ("", None):
            values.append(str(value))
    return values


def field_strategy(field):
    """Plausible values for the field's type, mixed with garbage for any field."""
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        choices = choice_values(field)
        item = st.one_of(st.sampled_from(choices), GARBAGE) if choices else GARBAGE
        return st.lists(item, max_size=4)
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        choices = choice_values(field)
        plausible = st.sampled_from(choices) if choices else GARBAGE
    elif isinstance(field, forms.BooleanField):
        plausible = st.sampled_from(["on", "true", "false", ""])
    elif isinstance(field, forms.DateField):
        dates = st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2100, 1, 1))
        plausible = dates.map(dt.date.isoformat)
    elif isinstance(field, forms.IntegerField):
        plausible = st.integers(min_value=-(2**70), max_value=2**70).map(str)
    elif isinstance(field, forms.EmailField):
        plausible = st.emails().map(str)
    else:
        plausible = st.text(min_size=1, max_size=getattr(field, "max_length", None) or 300)
    return st.one_of(plausible, plausible, GARBAGE).map(lambda value: [value])


def form_data(fields, baseline):
    """Without a baseline every field is fuzzed (or left out). With one, a random set of fields is
    fuzzed or left out and the rest keep their valid values, so the save path is fuzzed too."""
    fuzzed = {name: field_strategy(field) for name, field in fields.items()}
    if not baseline:
        return st.fixed_dictionaries({}, optional=fuzzed).map(MultiValueDict)

    # Built once, not on every draw: Hypothesis validates each new strategy, which was most of the
    # cost of generating an example.
    changed_names = st.sets(st.sampled_from(sorted(fields)))
    fuzzed_or_left_out = {name: st.one_of(st.none(), strategy) for name, strategy in fuzzed.items()}

    @st.composite
    def mixed(draw):
        data = {name: value if isinstance(value, list) else [value] for name, value in baseline.items()}
        for name in sorted(draw(changed_names)):
            value = draw(fuzzed_or_left_out[name])
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return MultiValueDict(data)

    return mixed()


@dataclass
class FormCase:
    form_class: type
    label: str
    build: Callable  # (ctx, data) -> bound form
    save: Callable | None = None  # (ctx, form) -> None, run when valid
    baseline: Callable | None = None  # (ctx) -> valid data; fields are then fuzzed a few at a time
    expected_errors: tuple = ()  # exceptions the view turns into a message (e.g. StaleRecord)
    saved: int = SAVED  # how many valid examples go through ``save`` (read-only ones: all of them)

    @property
    def id(self) -> str:
        return f"{self.form_class.__name__}({self.label})"


def _fresh(ctx) -> Patient:
    return Patient.objects.get(pk=ctx.patient.pk)


def _patient_baseline(ctx, patient=None):
    data = {"mrn": "FUZZ-1", "given_name": "Fuzz", "family_name": "Case", "date_of_birth": "1970-01-01"}
    data["sex"] = "female"
    if patient is not None:
        data |= {"mrn": patient.mrn, "version": str(patient.version)}
    return data


def _request(ctx):
    request = ctx.rf.post("/sign/", REMOTE_ADDR="10.9.9.9")
    request.user = ctx.physician
    return request


FORM_CASES = [
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
        build=lambda ctx, data: AccessLogFilterForm(data),
        save=lambda ctx, form: list(filtered_events(form.data)[1][:5]),
        saved=EXAMPLES,
    ),
]


# Treatment recording, follow-ups and side effects ------------------------------------------------
# Each form is built the way its view builds it and, when valid, saved through the service the view
# calls. SERVICE_ERRORS are what those views turn into form errors (ServiceErrorsFormMixin,
# add_service_error, TreatmentActionView...): a rule refused or a stale form, never a 500.
SERVICE_ERRORS = (StaleRecord, ValidationError)


def fresh(record):
    return type(record).objects.get(pk=record.pk)


def prefixed(prefix: str, data: MultiValueDict) -> MultiValueDict:
    """The follow-up action forms are prefixed on their page (several share it)."""
    return MultiValueDict({f"{prefix}-{name}": data.getlist(name) for name in data})


def now_field() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


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


def _followup(ctx, kind: str) -> FollowUp:
    return ctx.followups[kind]


def _complete_baseline(ctx, kind):
    data = {"contact": "call", "completed_at": now_field(), "pain": "3", "energy": "6"}
    data |= {"global_impression": "2", "flare_up": "false", "new_side_effects": "false", "notes": "Well"}
    if _followup(ctx, kind).is_assessment:
        data |= {"decision": "home_care", "home_care_protocol": "Walk daily"}
    return data | {"version": str(_followup(ctx, kind).version)}


def _complete(ctx, form, kind):
    followup_complete(
        followup=fresh(_followup(ctx, kind)),
        user=ctx.physician,
        data=form.service_data(),
        completed_at=form.cleaned_data["completed_at"],
        expected_version=form.cleaned_data["version"],
    )


def _followup_case(form_class, prefix, label, *, kind="check_in", baseline, save):
    return FormCase(
        form_class,
        label,
        build=lambda ctx, data: form_class(prefixed(prefix, data), followup=_followup(ctx, kind)),
        save=save,
        baseline=baseline,
        expected_errors=SERVICE_ERRORS,
    )


def _report_baseline(ctx, report=None):
    data = {
        "treatment": str(ctx.signed.pk),
        "term": "other",
        "term_other": "Dizziness",
        "onset": ctx.signed.treatment_date.isoformat(),
        "resolved_on": "",
        "grade": "2",
        "outcome": "recovering",
        "causality": "possible",
        "action_taken": "Rest",
        "narrative": "Felt dizzy",
    }
    if report is not None:
        data |= {"reason": "Grade checked", "version": str(report.version)}
    return data


def _filter_followups(ctx, form):
    followups = FollowUp.objects.all()
    if form.cleaned_data["physician"]:
        followups = followups.for_physician(form.cleaned_data["physician"])
    if form.cleaned_data["kind"]:
        followups = followups.filter(kind=form.cleaned_data["kind"])
    if form.cleaned_data["patient"]:
        followups = followups.filter(patient=form.cleaned_data["patient"])
    list(followups.with_worklist_relations().due_today())


def _filter_reports(ctx, form):
    data = form.cleaned_data
    reports = SideEffectReport.objects.voided() if data["voided"] else SideEffectReport.objects.active()
    if data["needs_review"]:
        reports = reports.needing_review()
    if data["grade"]:
        reports = reports.filter(grade=data["grade"])
    if data["term"]:
        reports = reports.filter(term=data["term"])
    list(reports[:5])


def _entry_baseline(ctx):
    data = {"question": "Can I swim after a treatment?", "slug": "fuzz-swim", "order": "3"}
    data |= {"category": str(Category.objects.order_by("pk").first().pk), "published": "on"}
    return data | {"tags": "aftercare,fuzz", "answer": "Yes, **after 48 hours**."}


def _save_entry(ctx, form):
    form.instance.last_edited_by = ctx.clinic_admin
    form.save()


FORM_CASES += [
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
    _followup_case(
        FollowUpCompleteForm,
        "complete",
        "complete check-in",
        baseline=lambda ctx: _complete_baseline(ctx, "check_in"),
        save=lambda ctx, form: _complete(ctx, form, "check_in"),
    ),
    _followup_case(
        FollowUpCompleteForm,
        "complete",
        "complete 3-month assessment",
        kind="three_month",
        baseline=lambda ctx: _complete_baseline(ctx, "three_month"),
        save=lambda ctx, form: _complete(ctx, form, "three_month"),
    ),
    _followup_case(
        FollowUpAttemptForm,
        "attempt",
        "contact attempt",
        baseline=lambda ctx: {
            "contact": "call",
            "outcome": "no_answer",
            "notes": "Voicemail",
            "version": "1",
        },
        save=lambda ctx, form: followup_record_attempt(
            followup=fresh(_followup(ctx, "check_in")),
            user=ctx.staff,
            contact=form.cleaned_data["contact"],
            outcome=form.cleaned_data["outcome"],
            notes=form.cleaned_data["notes"],
            mark_missed=form.cleaned_data["mark_missed"],
            expected_version=form.cleaned_data["version"],
        ),
    ),
    _followup_case(
        FollowUpCancelForm,
        "cancel",
        "cancel",
        baseline=lambda ctx: {"reason": "Moved away", "version": "1"},
        save=lambda ctx, form: followup_cancel(
            followup=fresh(_followup(ctx, "check_in")),
            user=ctx.staff,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ),
    _followup_case(
        FollowUpRescheduleForm,
        "reschedule",
        "reschedule",
        baseline=lambda ctx: {
            "new_due": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
            "reason": "Patient travels",
            "version": "1",
        },
        save=lambda ctx, form: followup_reschedule(
            followup=fresh(_followup(ctx, "check_in")),
            user=ctx.staff,
            new_due=form.cleaned_data["new_due"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
    ),
    FormCase(
        WorklistFilterForm,
        "worklist filter",
        build=lambda ctx, data: WorklistFilterForm(data, patients=Patient.objects.active()),
        save=_filter_followups,
        saved=EXAMPLES,
    ),
    FormCase(
        RecordNumberForm,
        "find by record number",
        build=lambda ctx, data: RecordNumberForm(data),
        save=lambda ctx, form: Patient.objects.active().filter(mrn__iexact=form.cleaned_data["mrn"]).first(),
        saved=EXAMPLES,
    ),
    FormCase(
        SideEffectReportForm,
        "report",
        build=lambda ctx, data: SideEffectReportForm(
            data, instance=SideEffectReport(patient=ctx.patient, reported_by=ctx.staff), patient=ctx.patient
        ),
        save=lambda ctx, form: side_effect_report(
            patient=ctx.patient,
            treatment=form.cleaned_data["treatment"],
            user=ctx.staff,
            data=form.service_data(),
        ),
        baseline=_report_baseline,
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        SideEffectReportForm,
        "amend",
        build=lambda ctx, data: SideEffectReportForm(
            data, instance=fresh(ctx.report), patient=ctx.patient, amending=True
        ),
        save=lambda ctx, form: side_effect_amend(
            report=fresh(ctx.report),
            user=ctx.staff,
            data=form.service_data(),
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data.get("version"),
            treatment=form.cleaned_data["treatment"],
        ),
        baseline=lambda ctx: _report_baseline(ctx, ctx.report),
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        ReviewForm,
        "physician review",
        build=lambda ctx, data: ReviewForm(data),
        save=lambda ctx, form: side_effect_review(
            report=fresh(ctx.report),
            user=ctx.physician,
            assessment=form.cleaned_data["assessment"],
            action=form.cleaned_data["action"],
            expected_version=form.cleaned_data["version"],
        ),
        baseline=lambda ctx: {"assessment": "Expected", "action": "Call in a week", "version": "1"},
        expected_errors=SERVICE_ERRORS,
    ),
    FormCase(
        VoidForm,
        "void side-effect report",
        build=lambda ctx, data: VoidForm(data),
        save=lambda ctx, form: side_effect_void(
            report=fresh(ctx.report), user=ctx.physician, reason=form.cleaned_data["reason"]
        ),
        expected_errors=(ValidationError,),
    ),
    FormCase(
        SideEffectFilterForm,
        "side-effect list filter",
        build=lambda ctx, data: SideEffectFilterForm(data),
        save=_filter_reports,
        saved=EXAMPLES,
    ),
    FormCase(
        PeriodForm,
        "figures period",
        build=lambda ctx, data: PeriodForm(data),
        save=lambda ctx, form: side_effect_figures(form.cleaned_data["start"], form.cleaned_data["end"]),
        saved=EXAMPLES,
        baseline=lambda ctx: {"start": "2026-01-01", "end": "2026-06-30"},
    ),
    FormCase(
        EntryAdminForm,
        "FAQ entry",
        build=lambda ctx, data: EntryAdminForm(data),
        save=_save_entry,
        baseline=_entry_baseline,
    ),
]


@pytest.fixture
def records(physician, staff, clinic_admin, patient, make_lot, make_treatment, make_report):
    """What the treatment, follow-up and side-effect forms work on, made once per case (each example
    saves inside a savepoint that is rolled back, so every example starts from these)."""
    lot = make_lot(lot_number="FUZZ-1", received_on=dt.date(2025, 1, 1))
    signed = make_treatment(patient, sign=True, lot=lot)
    draft = make_treatment(patient, lot=lot)
    followups = {followup.kind: followup for followup in signed.followups.all()}
    choices, _ = lot_options(timezone.localdate())
    return {
        "staff": staff,
        "clinic_admin": clinic_admin,
        "lot": Lot.objects.get(pk=lot.pk),
        "lot_choices": choices,
        "signed": signed,
        "draft": draft,
        "administration": draft.administrations.get(),
        "followups": followups,
        "report": make_report(signed, onset=signed.treatment_date, reported_by=staff, created_by=staff),
    }


def test_every_project_form_has_a_fuzz_case():
    covered = {case.form_class for case in FORM_CASES}
    missing = sorted(form.__qualname__ for form in project_forms() - covered)
    assert missing == [], "add a FormCase for these forms"


@pytest.mark.parametrize("case", FORM_CASES, ids=lambda case: case.id)
def test_form_survives_fuzzing(case, physician, patient, rf, records, security_figures):
    ctx = SimpleNamespace(physician=physician, patient=patient, rf=rf, **records)
    build = lambda data: case.build(ctx, data)  # noqa: E731
    runs = Counter()
    rendered = set()
    fields = build(MultiValueDict()).fields

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=form_data(fields, case.baseline(ctx) if case.baseline else None))
    def fuzz(data):
        form = build(data)
        valid = form.is_valid()
        assert isinstance(valid, bool)
        if valid:
            runs["valid"] += 1
            # Writing is the other slow part: the first SAVED valid examples of a case are saved.
            if case.save and runs["valid"] <= case.saved:
                with transaction.atomic():
                    try:
                        case.save(ctx, form)
                        runs["saved"] += 1
                    except case.expected_errors:
                        runs["refused"] += 1
                    transaction.set_rollback(True)
        else:
            runs["invalid"] += 1
            assert set(form.errors) <= set(form.fields) | {NON_FIELD_ERRORS}
            assert NON_FIELD_ERRORS not in form.errors or case.expected_errors
            assert all(isinstance(message, str) for messages in form.errors.values() for message in messages)
            # The re-rendered form with its errors must not fail either. Rendering is the slow part:
            # a form is rendered when one of its fields is in error for the first time, and every
            # RENDER_EVERY-th invalid example besides.
            if set(form.errors) - rendered or runs["invalid"] % RENDER_EVERY == 0:
                rendered.update(form.errors)
                str(form)
                runs["rendered"] += 1
        security_figures["fuzz_examples"] += 1

    fuzz()
    assert runs["valid"] + runs["invalid"] >= EXAMPLES
    if case.baseline:
        assert runs["valid"] > 0 and runs["invalid"] > 0, runs
        # The baseline really goes through the service: a case whose every save is refused would
        # fuzz only the refusal.
        assert runs["saved"] > 0 or not case.save, runs
    security_figures[f"fuzz_examples:{case.id}"] += runs["valid"] + runs["invalid"]
    security_figures["forms_fuzzed"] += 1
    security_figures["fuzz_saves"] += runs["saved"] + runs["refused"]
    security_figures["fuzz_renders"] += runs["rendered"]


# What the fuzzing found, pinned as plain tests: each was a 500 ------------------------------------


def test_a_treatment_dated_before_the_first_protocol_is_a_field_error(physician_client, patient, lot):
    from tests.helpers.forms import treatment_form_data as treatment_data

    url = reverse("treatment_create", args=[patient.pk])
    response = physician_client.post(url, treatment_data(lot, performed_at="1999-06-01T10:00"))
    assert response.status_code == 200
    assert "No clinic protocol is in force on 1999-06-01" in response.content.decode()
    assert not Treatment.objects.exists()
    # The service says the same to any other caller, as a rule (not a missing-protocol crash).
    treatment = Treatment(
        patient=patient, physician=patient.created_by, indication=Indication.objects.first()
    )
    treatment.performed_at = timezone.make_aware(dt.datetime(1999, 6, 1, 10))
    with pytest.raises(ValidationError, match="No protocol is in force on 1999-06-01"):
        treatment_save(
            treatment=treatment,
            user=patient.created_by,
            administrations=[Administration(route="iv_drip", lot=lot, dose_billion=Decimal("1"))],
        )


def test_a_follow_up_rescheduled_past_the_horizon_is_a_field_error(staff_client, patient, make_treatment):
    followup = make_treatment(patient, sign=True).followups.get(kind="check_in")
    for day in ("9999-12-31", (timezone.localdate() + dt.timedelta(days=731)).isoformat()):
        data = {
            "reschedule-new_due": day,
            "reschedule-reason": "Abroad",
            "reschedule-version": followup.version,
        }
        response = staff_client.post(reverse("followup_reschedule", args=[followup.pk]), data)
        assert response.status_code == 200
        assert "The new due date must be within two years" in response.content.decode()
    followup.refresh_from_db()
    assert followup.version == 1


def test_a_figures_period_at_the_ends_of_the_calendar_is_a_field_error(physician_client):
    response = physician_client.get(
        reverse("sideeffect_figures"), {"start": "0001-01-01", "end": "9999-12-31"}
    )
    assert response.status_code == 200
    assert response.content.decode().count("Choose a date from 1900-01-01 to 2999-12-31.") == 2
