"""Every form of the project, fuzzed with Hypothesis: valid data or field errors, never an exception."""

# FORM_CASES says how to build each form (and how to save it when valid, inside a rolled-back
# savepoint, so that database rules are fuzzed too). A form class defined anywhere in clinic,
# treatments or faq without a case fails test_every_project_form_has_a_fuzz_case.

import contextlib
import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.datastructures import MultiValueDict
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.access_log import filtered_events
from clinic.forms import AccessLogFilterForm, EnrolForm, PasswordConfirmForm, SecondFactorForm
from treatments.forms.common import VoidForm
from treatments.forms.patients import PatientForm
from treatments.models import Patient, StaleRecord
from treatments.services.patients import patient_save, patient_void

pytestmark = pytest.mark.django_db

PACKAGES = ("clinic", "treatments", "faq")
SKIPPED_MODULES = ("migrations", "settings", "wsgi", "asgi")
EXAMPLES = 200

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

    @st.composite
    def mixed(draw):
        data = {name: value if isinstance(value, list) else [value] for name, value in baseline.items()}
        for name in draw(st.sets(st.sampled_from(sorted(fields)))):
            value = draw(st.one_of(st.none(), fuzzed[name]))
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
    ),
]


def test_every_project_form_has_a_fuzz_case():
    covered = {case.form_class for case in FORM_CASES}
    missing = sorted(form.__qualname__ for form in project_forms() - covered)
    assert missing == [], "add a FormCase for these forms"


@pytest.mark.parametrize("case", FORM_CASES, ids=lambda case: case.id)
def test_form_survives_fuzzing(case, physician, patient, rf, security_figures):
    ctx = SimpleNamespace(physician=physician, patient=patient, rf=rf)
    build = lambda data: case.build(ctx, data)  # noqa: E731
    runs = {"valid": 0, "invalid": 0}
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
            if case.save:
                with transaction.atomic():
                    with contextlib.suppress(*case.expected_errors):
                        case.save(ctx, form)
                    transaction.set_rollback(True)
        else:
            runs["invalid"] += 1
            assert set(form.errors) <= set(form.fields) | {NON_FIELD_ERRORS}
            assert NON_FIELD_ERRORS not in form.errors or case.expected_errors
            assert all(isinstance(message, str) for messages in form.errors.values() for message in messages)
            str(form)  # the re-rendered form with its errors must not fail either
        security_figures["fuzz_examples"] += 1

    fuzz()
    assert runs["valid"] + runs["invalid"] >= EXAMPLES
    if case.baseline:
        assert runs["valid"] > 0 and runs["invalid"] > 0, runs
    security_figures[f"fuzz_examples:{case.id}"] += runs["valid"] + runs["invalid"]
    security_figures["forms_fuzzed"] += 1
