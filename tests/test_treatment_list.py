"""The treatments of a period (/treatments/): the last 30 days' signed treatments and drafts by
default, filters by period, route, lot, physician, indication and status, paged, each row linking
to its treatment, in the same number of queries for 5 and 50 rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.helpers.records import administration
from treatments.models import AccessEvent
from treatments.services.signing import treatment_void

pytestmark = pytest.mark.django_db
URL = reverse("treatment_list")


def listed(response):
    return [t.pk for t in response.context["treatments"]]


@pytest.fixture
def treat(make_patient, make_treatment):
    def make(**fields):
        fields.setdefault("doses", ("1",))
        return make_treatment(make_patient(), **fields)

    return make


def test_the_list_opens_on_the_last_30_days_signed_and_drafts(staff_client, staff, treat, physician):
    signed = treat(sign=True)
    draft = treat()
    old = treat(sign=True, when=timezone.now() - dt.timedelta(days=31))
    voided = treat(sign=True)
    treatment_void(treatment=voided, user=physician, reason="Entered for the wrong patient")
    response = staff_client.get(URL)
    assert response.status_code == 200
    assert set(listed(response)) == {signed.pk, draft.pk}
    html = response.content.decode()
    assert reverse("treatment_detail", args=[signed.pk]) in html
    assert f'href="{URL}"' in html  # the navigation link
    # Each patient listed: a "list" access event.
    assert AccessEvent.objects.filter(user=staff, action=AccessEvent.Action.LIST).count() == 2
    assert old.pk in listed(staff_client.get(URL, {"start": (timezone.localdate() - dt.timedelta(days=40))}))
    assert listed(staff_client.get(URL, {"status": "voided"})) == [voided.pk]


def test_filters_by_route_lot_physician_and_indication(
    staff_client, treat, make_lot, other_physician, make_draft_treatment, make_patient
):
    other_lot = make_lot("KL-9")
    by_lot = treat(lot=other_lot)
    by_other = treat(physician=other_physician)
    intranasal = make_draft_treatment(
        make_patient(),
        timezone.localdate(),
        at=dt.time(0, 5),
        administrations=[
            administration(other_lot, "intranasal", "1"),
            administration(other_lot, "intranasal", "1"),
        ],
    )
    assert set(listed(staff_client.get(URL, {"lot": other_lot.pk}))) == {by_lot.pk, intranasal.pk}
    assert listed(staff_client.get(URL, {"route": "intranasal"})) == [intranasal.pk]  # once, not twice
    assert listed(staff_client.get(URL, {"physician": other_physician.pk})) == [by_other.pk]
    indication = by_lot.indication
    assert by_lot.pk in listed(staff_client.get(URL, {"indication": indication.pk}))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "31/02/2026"}, "Enter a date like"),
        ({"start": "2026-05-02", "end": "2026-05-01"}, "on or after its start"),
        ({"route": "by-mail"}, "Select a valid choice"),
        ({"lot": "999999"}, "Select a valid choice"),
        ({"start": "0001-01-01"}, "Choose a date from"),
    ],
)
def test_bad_filters_say_what_is_allowed(staff_client, params, message):
    response = staff_client.get(URL, params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_clinic_admins_and_users_without_a_role_get_no_list(admin_client_role, no_role_client):
    assert admin_client_role.get(URL).status_code == 403
    assert no_role_client.get(URL).status_code == 403


def test_the_list_is_paged_and_the_download_links_keep_the_filters(staff_client, treat):
    for _ in range(27):
        treat(sign=True)
    first = staff_client.get(URL, {"status": "signed"})
    assert len(listed(first)) == 25
    assert len(listed(staff_client.get(URL, {"status": "signed", "page": 2}))) == 2
    html = staff_client.get(URL, {"status": "signed", "page": 2}).content.decode()
    assert f"{reverse('treatment_list_export')}?status=signed&amp;format=xlsx" in html
    assert 'aria-label="Download the treatment list as CSV"' in html


def test_the_page_runs_the_same_queries_for_5_and_50_rows(staff_client, treat):
    def count():
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(URL).status_code == 200
        # (the session's "last seen" time is saved at most once a minute: not the page's cost)
        return len([query for query in captured.captured_queries if "django_session" not in query["sql"]])

    for _ in range(5):
        treat(sign=True)
    small = count()
    for _ in range(45):
        treat(sign=True)
    assert count() == small <= 12
