"""A resolved outcome needs its resolution date (form, service, database, and the migration that
brought the rule), and "Report a side effect" only where a report can be made."""

import datetime as dt
import importlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from treatments.models import RESOLVED_OUTCOMES, SideEffectReport
from treatments.services.side_effects import side_effect_amend, side_effect_report
from treatments.services.signing import treatment_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC), tick=False),
]
NONE_YET = "Side effects are reported against a signed treatment; this patient has none yet."


def data(**overrides) -> dict:
    values = {
        "term": "fever",
        "onset": dt.date(2026, 4, 11),
        "resolved_on": None,
        "grade": 1,
        "outcome": "resolved",
        "causality": "possible",
    }
    return values | overrides


@pytest.fixture
def treatment(patient, make_signed_treatment):
    return make_signed_treatment(patient, dt.date(2026, 4, 10))


@pytest.mark.parametrize("outcome", RESOLVED_OUTCOMES)
def test_the_service_refuses_a_resolved_outcome_without_its_date(patient, treatment, staff, outcome):
    with pytest.raises(ValidationError) as refused:
        side_effect_report(patient=patient, treatment=treatment, user=staff, data=data(outcome=outcome))
    [message] = refused.value.message_dict["resolved_on"]
    assert message.startswith("Enter the resolution date: the outcome “Resolved")
    assert "While it is ongoing, choose Recovering, Not resolved or Unknown." in message
    assert not SideEffectReport.objects.exists()


@pytest.mark.parametrize("outcome", ["recovering", "not_resolved", "unknown"])
def test_an_ongoing_report_takes_an_outcome_that_is_not_resolved(patient, treatment, staff, outcome):
    report = side_effect_report(patient=patient, treatment=treatment, user=staff, data=data(outcome=outcome))
    assert report.resolved_on is None and report.outcome == outcome


def test_a_resolved_report_with_its_date_is_kept(patient, treatment, staff):
    report = side_effect_report(
        patient=patient, treatment=treatment, user=staff, data=data(resolved_on=dt.date(2026, 4, 12))
    )
    assert (report.outcome, report.resolved_on) == ("resolved", dt.date(2026, 4, 12))


def test_an_amendment_cannot_clear_the_date_of_a_resolved_report(patient, treatment, staff, physician):
    report = side_effect_report(
        patient=patient, treatment=treatment, user=staff, data=data(resolved_on=dt.date(2026, 4, 12))
    )
    with pytest.raises(ValidationError, match="Enter the resolution date"):
        side_effect_amend(
            report=report,
            user=physician,
            data={"resolved_on": None},
            reason="Still feverish",
            expected_version=report.version,
        )
    stored = SideEffectReport.objects.get(pk=report.pk)
    assert stored.resolved_on == dt.date(2026, 4, 12) and stored.history.count() == 1


@pytest.mark.parametrize("outcome", RESOLVED_OUTCOMES)
def test_the_database_refuses_a_resolved_outcome_without_its_date(treatment, make_report, outcome):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_report(treatment, outcome=outcome, resolved_on=None)


def test_the_form_says_what_is_missing_on_the_date_field(staff_client, patient, treatment):
    posted = {**data(), "resolved_on": "", "treatment": treatment.pk}
    response = staff_client.post(reverse("sideeffect_create", args=[patient.pk]), posted)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["resolved_on"]
    assert "the outcome “Resolved” means the side effect has ended" in errors["resolved_on"][0]
    assert not SideEffectReport.objects.exists()


def migration_step():
    """The migration's data step, and the models as they stand just before it (what ``migrate``
    hands it: no custom ``save``, no guarded queryset)."""
    folder = Path(__file__).resolve().parent.parent / "treatments" / "migrations"
    [path] = folder.glob("*_sideeffect_resolution.py")
    module = importlib.import_module(f"treatments.migrations.{path.stem}")
    # The chain as written, not the squashed migration that a new database applies instead.
    chain = MigrationLoader(connection, replace_migrations=False)
    before = chain.project_state(module.Migration.dependencies[0]).apps
    return module.unknown_until_dated, before


def store_undated_resolved(report):
    """Write what the rule forbids, as data from before it would be (the constraint set aside in this
    test's transaction only)."""
    table = SideEffectReport._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:
            # The rows made in this test's transaction have their foreign-key checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT sideeffect_resolved_has_date")  # noqa: S608
        cursor.execute(
            f"UPDATE {table} SET resolved_on = NULL, outcome = %s WHERE id = %s",  # noqa: S608
            ["resolved", report.pk],
        )
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_the_migration_marks_undated_resolved_reports_unknown_with_a_history_row(
    treatment, make_report, time_machine
):
    broken = make_report(treatment, resolved_on=dt.date(2026, 4, 12))
    dated = make_report(treatment, resolved_on=dt.date(2026, 4, 13))
    store_undated_resolved(broken)
    version = SideEffectReport.objects.get(pk=broken.pk).version

    step, before = migration_step()
    step(before, connection.schema_editor())

    broken = SideEffectReport.objects.get(pk=broken.pk)
    assert (broken.outcome, broken.resolved_on, broken.version) == ("unknown", None, version + 1)
    latest = broken.history.order_by("-history_id").first()
    assert latest.outcome == "unknown" and latest.history_type == "~"
    assert "Outcome said resolved without a resolution date" in latest.history_change_reason
    dated.refresh_from_db()
    assert dated.outcome == "resolved" and dated.history.count() == 1  # untouched
    # Undated now means ongoing: past its three expected days it goes in front of a physician.
    assert broken.needs_review(dt.date(2026, 4, 20))


def test_the_demo_never_seeds_an_ongoing_report_as_resolved():
    from treatments.demo.side_effects import REPORT_GROUPS

    ongoing = [
        extras.get("outcome")
        for _key, group in REPORT_GROUPS
        for *_, lasting, extras in group
        if lasting is None
    ]
    assert ongoing and all(outcome not in RESOLVED_OUTCOMES for outcome in ongoing)


# "Report a side effect" only where a report can be made.


def test_a_patient_without_a_signed_treatment_gets_the_reason_not_the_button(
    staff_client, patient, make_draft_treatment
):
    make_draft_treatment(patient, dt.date(2026, 4, 10))
    body = staff_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert NONE_YET in body
    assert reverse("sideeffect_create", args=[patient.pk]) not in body


def test_a_patient_with_a_signed_treatment_gets_the_button(staff_client, patient, treatment):
    body = staff_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert reverse("sideeffect_create", args=[patient.pk]) in body
    assert NONE_YET not in body


def test_a_voided_treatment_is_no_treatment_to_report_against(staff_client, physician, patient, treatment):
    treatment_void(treatment=treatment, user=physician, reason="Wrong patient")
    body = staff_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert NONE_YET in body and reverse("sideeffect_create", args=[patient.pk]) not in body


def test_the_report_form_refuses_a_patient_without_a_signed_treatment(
    staff_client, patient, make_draft_treatment
):
    make_draft_treatment(patient, dt.date(2026, 4, 10))
    url = reverse("sideeffect_create", args=[patient.pk])
    response = staff_client.get(url)
    body = response.content.decode()
    assert response.status_code == 200 and NONE_YET in body
    assert 'name="treatment"' not in body and "Save report" not in body  # no empty form
    assert reverse("patient_detail", args=[patient.pk]) in body
    posted = staff_client.post(url, {**data(resolved_on="2026-04-12"), "treatment": ""})
    assert posted.status_code == 409 and NONE_YET in posted.content.decode()
    assert not SideEffectReport.objects.exists()
