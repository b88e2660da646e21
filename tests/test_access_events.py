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


# Issue 11: the follow-up and side-effect pages show a patient's name, phone and clinical details.


def _events(patient=None) -> list[tuple[int, str]]:
    events = AccessEvent.objects.order_by("id")
    if patient is not None:
        events = events.filter(patient=patient)
    return list(events.values_list("patient_id", "action"))


def test_a_follow_ups_page_records_a_view_of_its_patient(staff_client, make_treatment, patient):
    followup = make_treatment(patient, sign=True).followups.get(kind="check_in")
    before = AccessEvent.objects.count()
    staff_client.get(reverse("followup_detail", args=[followup.pk]))
    staff_client.get(reverse("followup_detail", args=[followup.pk]), {"action": "reschedule"})
    assert _events()[before:] == [(patient.pk, "view"), (patient.pk, "view")]
    # A refused action shows the page again: that is a view too.
    staff_client.post(reverse("followup_reschedule", args=[followup.pk]), {"reschedule-reason": ""})
    assert _events()[before:] == [(patient.pk, "view")] * 3


def test_the_side_effect_pages_record_a_view_of_their_patient(
    physician_client, make_treatment, make_report, patient
):
    treatment = make_treatment(patient, sign=True)
    report = make_report(treatment, onset=treatment.treatment_date)
    pages = [
        reverse("sideeffect_detail", args=[report.pk]),
        reverse("sideeffect_create", args=[patient.pk]),
        reverse("sideeffect_update", args=[report.pk]),
    ]
    for url in pages:
        before = AccessEvent.objects.count()
        assert physician_client.get(url).status_code == 200
        assert _events()[before:] == [(patient.pk, "view")], url
    # The review's refusal shows the report page again: a view.
    before = AccessEvent.objects.count()
    physician_client.post(reverse("sideeffect_review", args=[report.pk]), {"assessment": ""})
    assert _events()[before:] == [(patient.pk, "view")]


def test_the_worklist_records_each_listed_patient_once_in_one_insert(
    staff_client, make_patient, make_treatment, django_assert_num_queries
):
    """The rows show names, record numbers, phones and e-mails: each patient listed is accounted
    for ("list"), once per page however many of their follow-ups it lists, in one INSERT."""
    patients = [make_patient() for _ in range(3)]
    for patient in patients:
        make_treatment(patient, sign=True)  # each signed today: the call is due this week
    staff_client.get(reverse("followup_list"))  # warm the session
    before = AccessEvent.objects.count()
    queries = _page_queries(staff_client, reverse("followup_list") + "?section=due_this_week")
    assert sorted(_events()[before:]) == sorted((p.pk, "list") for p in patients)
    inserts = [sql for sql in queries if "treatments_accessevent" in sql]
    assert len(inserts) == 1 and inserts[0].startswith('INSERT INTO "treatments_accessevent"')
    # A section with no rows lists nobody.
    before = AccessEvent.objects.count()
    staff_client.get(reverse("followup_list"), {"section": "recent"})
    assert AccessEvent.objects.count() == before


def test_the_side_effect_lists_record_each_listed_patient(
    physician_client, make_treatment, make_report, make_patient
):
    listed = []
    for _ in range(2):
        treatment = make_treatment(make_patient(), sign=True)
        make_report(treatment, onset=treatment.treatment_date, grade=3)
        listed.append(treatment.patient_id)
    for name in ("sideeffect_list", "sideeffect_review_queue"):
        before = AccessEvent.objects.count()
        assert physician_client.get(reverse(name)).status_code == 200
        assert sorted(_events()[before:]) == sorted((pk, "list") for pk in listed), name
