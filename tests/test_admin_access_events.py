"""The Django admin writes access events like the clinical pages: a change page, a history page and
an old version of a patient's record (or of a record naming a patient) each write a "view" event;
a list page writes one "list" event per patient it shows, in one INSERT whatever the page size."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers.auth import login_verified
from treatments.models import AccessEvent, FollowUp

pytestmark = [pytest.mark.django_db, pytest.mark.security("audit_trail")]


@pytest.fixture
def root_client(superuser):
    client = Client()
    login_verified(client, superuser)
    return client


def _records(make_treatment, make_report, patient):
    """A patient, a signed treatment, its first follow-up and a side-effect report, keyed by model."""
    treatment = make_treatment(patient, sign=True)
    return {
        "patient": patient,
        "treatment": treatment,
        "followup": FollowUp.objects.filter(patient=patient).first(),
        "sideeffectreport": make_report(treatment),
    }


def _events():
    return list(AccessEvent.objects.order_by("id").values_list("user_id", "patient_id", "action"))


@pytest.mark.parametrize("model", ["patient", "treatment", "followup", "sideeffectreport"])
@pytest.mark.parametrize("page", ["change", "history"])
def test_an_admin_page_showing_a_record_writes_a_view_event(
    root_client, superuser, make_treatment, make_report, patient, model, page
):
    record = _records(make_treatment, make_report, patient)[model]
    before = AccessEvent.objects.count()
    response = root_client.get(reverse(f"admin:treatments_{model}_{page}", args=[record.pk]))
    assert response.status_code == 200
    assert _events()[before:] == [(superuser.pk, patient.pk, "view")]


@pytest.mark.parametrize("model", ["patient", "treatment"])
def test_an_old_version_in_the_admin_writes_a_view_event(
    root_client, superuser, make_treatment, make_report, patient, model
):
    record = _records(make_treatment, make_report, patient)[model]
    version = record.history.order_by("history_id").first()
    before = AccessEvent.objects.count()
    url = reverse(f"admin:treatments_{model}_simple_history", args=[record.pk, version.history_id])
    assert root_client.get(url).status_code == 200
    assert _events()[before:] == [(superuser.pk, patient.pk, "view")]


@pytest.mark.parametrize("model", ["patient", "treatment", "followup", "sideeffectreport"])
def test_an_admin_list_writes_one_list_event_per_patient_shown(
    root_client, superuser, make_treatment, make_report, make_patient, patient, model
):
    shown = [patient, make_patient()]
    for each in shown:
        _records(make_treatment, make_report, each)
    before = AccessEvent.objects.count()
    assert root_client.get(reverse(f"admin:treatments_{model}_changelist")).status_code == 200
    events = _events()[before:]
    assert sorted(events) == sorted((superuser.pk, p.pk, "list") for p in shown)


def test_a_filtered_admin_list_names_only_the_patients_it_shows(
    root_client, superuser, make_patient, patient
):
    other = make_patient()
    before = AccessEvent.objects.count()
    response = root_client.get(reverse("admin:treatments_patient_changelist"), {"q": other.mrn})
    assert response.status_code == 200
    assert _events()[before:] == [(superuser.pk, other.pk, "list")]
    assert patient.pk not in {p for _, p, _ in _events()[before:]}


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("admin:treatments_patient_changelist")).status_code == 200
    inserts = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('INSERT INTO "treatments_accessevent"')
    ]
    assert len(inserts) == 1
    return len(captured.captured_queries)


def test_the_admin_list_runs_the_same_number_of_queries_for_one_or_many_patients(
    root_client, make_patient, patient
):
    one = _list_queries(root_client)
    for _ in range(4):
        make_patient()
    assert _list_queries(root_client) == one


def test_an_admin_list_of_records_without_patients_writes_no_event(root_client, make_treatment, patient):
    make_treatment(patient, sign=True)
    before = AccessEvent.objects.count()
    for model in ("product", "lot", "protocol"):
        assert root_client.get(reverse(f"admin:treatments_{model}_changelist")).status_code == 200
    assert AccessEvent.objects.count() == before
