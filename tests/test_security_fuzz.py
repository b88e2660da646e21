"""Every form of the project, fuzzed with Hypothesis: valid data or field errors, never an exception."""

# The form cases (how to build each form, and how to save it when valid, inside a rolled-back
# savepoint, so that database rules are fuzzed too) live in tests/security_cases/fuzz_*.py, the
# strategies in tests/security_cases/fuzz.py. A form class defined anywhere in clinic, treatments or
# faq without a case fails test_every_project_form_has_a_fuzz_case.

import datetime as dt
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings

from tests.helpers.forms import project_forms
from tests.security_cases import fuzz_followups, fuzz_patients, fuzz_treatments
from tests.security_cases.fuzz import EXAMPLES, form_data
from treatments.forms.treatments import lot_options
from treatments.models import Administration, Indication, Lot, Treatment
from treatments.services.treatments import treatment_save

pytestmark = [pytest.mark.django_db, pytest.mark.security("fuzzing")]

RENDER_EVERY = 5
FORM_CASES = [*fuzz_patients.FORM_CASES, *fuzz_treatments.FORM_CASES, *fuzz_followups.FORM_CASES]


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
    assert "No clinic protocol is in force on 1 Jun 1999" in response.content.decode()
    assert not Treatment.objects.exists()
    # The service says the same to any other caller, as a rule (not a missing-protocol crash).
    treatment = Treatment(
        patient=patient, physician=patient.created_by, indication=Indication.objects.first()
    )
    treatment.performed_at = timezone.make_aware(dt.datetime(1999, 6, 1, 10))
    with pytest.raises(ValidationError, match="No protocol is in force on 1 Jun 1999"):
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
    assert response.content.decode().count("Choose a date from 1 Jan 1900 to 31 Dec 2999.") == 2
