"""The access log: opening a record writes an event; admins list, filter, page and export them."""

import csv
import datetime as dt
import io
import logging
import tracemalloc

import pytest
from django.urls import reverse
from django.utils import timezone

from treatments.filters.access_log import AccessLogFilter
from treatments.models import AccessEvent
from treatments.selectors.access_log import access_log_csv, access_log_events

pytestmark = [pytest.mark.django_db, pytest.mark.security("audit_trail")]


@pytest.fixture
def events(make_patient, physician, staff):
    """Three openings: two by the physician (yesterday, today), one by staff today."""
    first = make_patient(given_name="Orla", family_name="Quigley", mrn="=HYPERLINK(1)")
    second = make_patient(given_name="Bram", family_name="Stoker", mrn="MRN-B")
    now = timezone.now()
    return [
        AccessEvent.objects.create(user=physician, patient=first, at=now - dt.timedelta(days=1)),
        AccessEvent.objects.create(user=physician, patient=second, at=now),
        AccessEvent.objects.create(user=staff, patient=first, at=now),
    ]


def test_opening_a_patient_writes_who_when_and_which(staff_client, staff, patient):
    before = timezone.now()
    staff_client.get(patient.get_absolute_url())
    event = AccessEvent.objects.get()
    assert (event.user, event.patient, event.action) == (staff, patient, AccessEvent.Action.VIEW)
    assert before <= event.at <= timezone.now()


def test_admins_see_the_log_with_ids_and_record_numbers_but_no_names(admin_client_role, events):
    response = admin_client_role.get(reverse("access_log"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "MRN-B" in body and f"<td>{events[0].patient_id}</td>" in body
    for name in ("Orla", "Quigley", "Bram", "Stoker"):
        assert name not in body
    assert reverse("patient_detail", args=[events[0].patient_id]) not in body
    assert list(response.context["events"]) == sorted(events, key=lambda e: (e.at, e.pk), reverse=True)


def test_clinicians_and_users_without_the_permission_cannot_open_it(role_clients, events):
    for role in ("physician", "staff", "no_role"):
        assert role_clients[role].get(reverse("access_log")).status_code == 403
        assert role_clients[role].get(reverse("access_log_export")).status_code == 403


def test_it_filters_by_user_patient_and_date_range(admin_client_role, events, staff):
    def shown(**params):
        return set(admin_client_role.get(reverse("access_log"), params).context["events"])

    today = timezone.localdate().isoformat()
    assert shown(user=staff.pk) == {events[2]}
    assert shown(patient=events[0].patient_id) == {events[0], events[2]}
    assert shown(date_from=today) == {events[1], events[2]}
    assert shown(date_to=(timezone.localdate() - dt.timedelta(days=1)).isoformat()) == {events[0]}


def test_an_impossible_date_range_is_explained_not_applied(admin_client_role, events):
    response = admin_client_role.get(
        reverse("access_log"), {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert "The end date must be on or after the start date." in response.content.decode()
    assert len(response.context["events"]) == 3


def test_a_date_at_the_end_of_the_calendar_is_explained_not_a_server_error(admin_client_role, events):
    # 9999-12-31 is a valid date, but the day after it is not: the bound keeps the arithmetic safe.
    for url in (reverse("access_log"), reverse("access_log_export")):
        response = admin_client_role.get(url, {"date_to": "9999-12-31"})
        assert response.status_code == 200
    page = admin_client_role.get(reverse("access_log"), {"date_to": "9999-12-31"})
    assert "Choose a date from 1 Jan 1900 to 31 Dec 2999." in page.content.decode()
    assert len(page.context["events"]) == 3


# Paging (Older and Newer by position, never counted) is tested in tests/test_access_log_paging.py.


def exported(client, **params) -> list[list[str]]:
    response = client.get(reverse("access_log_export"), params)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="access-log-')
    assert "no-store" in response["Cache-Control"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_is_a_csv_with_the_filter_applied(admin_client_role, events, staff):
    rows = exported(admin_client_role)
    assert rows[0] == ["time (UTC)", "user", "user id", "action", "patient id", "record number"]
    assert len(rows) == 4
    assert exported(admin_client_role, user=staff.pk)[1][1:] == [
        "staff",
        str(staff.pk),
        "view",
        str(events[2].patient_id),
        "'=HYPERLINK(1)",  # a spreadsheet formula arrives as text
    ]


def test_the_export_logs_who_but_no_patient_data(admin_client_role, events, caplog, clinic_admin):
    with caplog.at_level(logging.DEBUG):
        exported(admin_client_role)
    assert f"Access log exported by user id {clinic_admin.pk}." in caplog.text
    for secret in ("HYPERLINK", "MRN-B", "Orla", "Quigley"):
        assert secret not in caplog.text


def peak_memory_of_export(client) -> int:
    response = client.get(reverse("access_log_export"))
    tracemalloc.start()
    for _ in response.streaming_content:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_the_export_streams_with_flat_memory(admin_client_role, physician, patient, security_figures):
    AccessEvent.objects.bulk_create([AccessEvent(user=physician, patient=patient) for _ in range(2000)])
    small = peak_memory_of_export(admin_client_role)
    AccessEvent.objects.bulk_create([AccessEvent(user=physician, patient=patient) for _ in range(8000)])
    large = peak_memory_of_export(admin_client_role)
    # Five times the rows; a buffered export would need about five times the memory.
    assert large < small * 2, (small, large)
    security_figures["export_rows_streamed"] += 10000


# The read layer: AccessLogFilter and the access-log selectors, by the rows they return.


def test_the_filter_narrows_by_each_field_and_together(events, staff, physician):
    def rows(**data):
        return set(access_log_events(filters=AccessLogFilter(data)))

    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert rows() == set(events)
    assert rows(user=str(physician.pk)) == {events[0], events[1]}
    assert rows(patient=str(events[1].patient_id)) == {events[1]}
    assert rows(date_from=yesterday, date_to=yesterday) == {events[0]}
    assert rows(user=str(physician.pk), patient=str(events[0].patient_id)) == {events[0]}
    assert set(access_log_events(filters=AccessLogFilter())) == set(events)  # unbound


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        # The start alone would leave no event: it is not applied either.
        ({"date_from": "2099-02-01", "date_to": "2099-01-01"}, "date_to", "The end date must be on or after"),
        ({"patient": str(2**63)}, "patient", "less than or equal to 9223372036854775807"),
        ({"patient": "1.5"}, "patient", "Enter a whole number."),
        ({"user": "999999"}, "user", "Select a valid choice."),
    ],
)
def test_an_invalid_filter_is_explained_and_filters_nothing(events, data, field, message):
    filters = AccessLogFilter(data)
    assert message in " ".join(filters.errors[field])
    assert set(access_log_events(filters=filters)) == set(events)


def test_the_csv_lines_carry_the_filtered_events_in_utc(events, staff):
    lines = list(
        csv.reader(io.StringIO("".join(access_log_csv(filters=AccessLogFilter({"user": staff.pk})))))
    )
    assert lines[0] == ["time (UTC)", "user", "user id", "action", "patient id", "record number"]
    assert lines[1:] == [
        [
            events[2].at.astimezone(dt.UTC).isoformat(),
            "staff",
            str(staff.pk),
            "view",
            str(events[2].patient_id),
            "'=HYPERLINK(1)",
        ]
    ]
