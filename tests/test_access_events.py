"""Access events on the hot read path: one row per view (never merged), written by one INSERT from
ids alone through ``treatments.services.access``."""

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from treatments.models import AccessEvent
from treatments.services.access import access_record, access_record_many

pytestmark = pytest.mark.django_db


def test_recording_an_event_is_one_insert_and_nothing_else(staff, patient):
    with CaptureQueriesContext(connection) as captured:
        access_record(user=staff, patient_id=patient.pk, action=AccessEvent.Action.VIEW)
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) == 1
    assert statements[0].startswith('INSERT INTO "treatments_accessevent"')
    event = AccessEvent.objects.get()
    assert (event.user_id, event.patient_id, event.action) == (staff.pk, patient.pk, "view")


def test_many_events_are_one_insert(staff, make_patient, django_assert_num_queries):
    patients = [make_patient() for _ in range(3)]
    with django_assert_num_queries(1):
        written = access_record_many(
            user=staff, patient_ids=[p.pk for p in patients], action=AccessEvent.Action.EXPORT
        )
    assert written == 3
    assert sorted(AccessEvent.objects.values_list("patient_id", "action")) == [
        (p.pk, "export") for p in patients
    ]


def test_each_view_is_its_own_row_with_user_patient_and_action(
    staff_client, physician_client, staff, physician, patient
):
    for client in (staff_client, staff_client, physician_client):
        assert client.get(patient.get_absolute_url()).context["patient"] == patient
    events = list(AccessEvent.objects.order_by("id").values_list("user_id", "patient_id", "action"))
    assert events == [
        (staff.pk, patient.pk, "view"),
        (staff.pk, patient.pk, "view"),
        (physician.pk, patient.pk, "view"),
    ]


def _page_queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("page", ["patient", "treatment", "aftercare"])
def test_the_event_adds_exactly_one_query_to_the_page(
    page, physician_client, make_treatment, patient, monkeypatch
):
    treatment = make_treatment(patient, sign=True)
    url = {
        "patient": patient.get_absolute_url(),
        "treatment": treatment.get_absolute_url(),
        "aftercare": reverse("treatment_aftercare", args=[treatment.pk]),
    }[page]
    physician_client.get(url)  # warm the session
    with_event = _page_queries(physician_client, url)
    assert AccessEvent.objects.filter(patient=patient).count() == 2

    views = {"patient": "patients", "treatment": "treatments", "aftercare": "aftercare"}
    monkeypatch.setattr(
        importlib.import_module(f"treatments.views.{views[page]}"), "access_record", lambda **kwargs: None
    )
    without_event = _page_queries(physician_client, url)

    assert len(with_event) - len(without_event) == 1
    added = [sql for sql in with_event if "treatments_accessevent" in sql]
    assert len(added) == 1 and added[0].startswith('INSERT INTO "treatments_accessevent"')


def test_the_views_record_through_the_service(monkeypatch, staff_client, patient):
    calls = []
    monkeypatch.setattr("treatments.views.patients.access_record", lambda **kwargs: calls.append(kwargs))
    staff_client.get(patient.get_absolute_url())
    assert [(c["user"].username, c["patient_id"], c["action"]) for c in calls] == [
        ("staff", patient.pk, "view")
    ]
