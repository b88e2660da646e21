"""Role x view x method matrix: every named view, every role, GET and POST, each cell asserted."""

# A view added to the URLconf without a row in EXPECTED (tests/security_cases/matrix.py) fails
# test_every_named_view_has_a_row: add its row (expected status per role for GET and POST, the
# object its URL needs, and whether it changes state) when you add the view.
import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.helpers.auth import PASSWORD, login_verified
from tests.helpers.forms import treatment_edit_data, treatment_form_data
from tests.helpers.pages import assert_no_inline_code, assert_security_headers
from tests.helpers.urlwalk import named_urls
from tests.security_cases.matrix import EXPECTED, LOGIN, OBJECTS
from treatments.services.calendar import calendar_feed_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def factories(physician, staff, clinic_admin, product, make_patient, make_lot, make_treatment, make_report):
    return SimpleNamespace(
        physician=physician,
        staff=staff,
        clinic_admin=clinic_admin,
        product=product,
        make_patient=make_patient,
        make_lot=make_lot,
        make_treatment=make_treatment,
        make_report=make_report,
    )


# Valid POST data for the CSRF test (the same POST with a token must change the database), given
# the URL's object and the factories. CSRF_ROLE names who may make the change (physician unless
# said), CSRF_FORM_PAGE the page that holds the form of a POST-only view.
def _today(offset=0) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def _report_data(treatment) -> dict:
    return {"treatment": treatment.pk, "term": "fever", "onset": treatment.treatment_date.isoformat()} | {
        "grade": "1",
        "outcome": "recovering",
        "causality": "possible",
    }


def _lot_data(lot=None, product=None) -> dict:
    data = {
        "product": (lot.product_id if lot else product.pk),
        "lot_number": lot.lot_number if lot else "CSRF-1",
    }
    data |= {"received_on": "2025-01-01", "expires_on": "2030-01-01", "concentration": "1"}
    data |= {"quantity_received_ml": "100", "status": "released"}
    return data | ({"storage_location": "Freezer B", "version": lot.version} if lot else {})


VALID_POST = {
    # The confirming POST of the FHIR import registers the patient of the resource.
    "patient_import_fhir": lambda obj, f: {
        "resource_text": json.dumps(
            {
                "resourceType": "Patient",
                "name": [{"family": "Surf", "given": ["Fhir"]}],
                "birthDate": "1980-01-01",
            }
        ),
        "mrn": "MRN-CSRF-FHIR",
        "confirm": "1",
    },
    "patient_create": lambda obj, f: {
        "mrn": "MRN-CSRF",
        "given_name": "Cee",
        "family_name": "Surf",
        "date_of_birth": "1980-01-01",
        "sex": "unknown",
    },
    "patient_update": lambda obj, f: {
        "mrn": obj.mrn,
        "given_name": "Changed",
        "family_name": obj.family_name,
        "date_of_birth": obj.date_of_birth.isoformat(),
        "sex": obj.sex,
        "version": obj.version,
    },
    "patient_void": lambda obj, f: {"reason": "Registered twice"},
    "treatment_create": lambda obj, f: treatment_form_data(f.make_lot()),
    "treatment_update": lambda obj, f: treatment_edit_data(
        obj,
        obj.administrations.get().lot,
        [{"route": "iv_drip", "lot": obj.administrations.get().lot_id, "dose_billion": "3"}],
    ),
    "treatment_sign": lambda obj, f: {"password": PASSWORD, "version": obj.version},
    "treatment_amend": lambda obj, f: {"reason": "Dose corrected", "version": obj.version},
    "treatment_void": lambda obj, f: {"reason": "Recorded for the wrong patient", "version": obj.version},
    "lot_create": lambda obj, f: _lot_data(product=f.product),
    "lot_update": lambda obj, f: _lot_data(obj),
    "lot_recall": lambda obj, f: {"reason": "Sterility test failed", "version": obj.version},
    "followup_complete": lambda obj, f: {
        "complete-contact": "call",
        "complete-completed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "complete-version": obj.version,
    },
    "followup_attempt": lambda obj, f: {
        "attempt-contact": "call",
        "attempt-outcome": "no_answer",
        "attempt-version": obj.version,
    },
    "followup_cancel": lambda obj, f: {"cancel-reason": "Moved abroad", "cancel-version": obj.version},
    "followup_reschedule": lambda obj, f: {
        "reschedule-new_due": _today(10),
        "reschedule-reason": "Travelling",
        "reschedule-version": obj.version,
    },
    "followup_acknowledge": lambda obj, f: {"acknowledge-version": obj.version},
    "sideeffect_create": lambda obj, f: _report_data(obj.treatments.get()),
    "sideeffect_update": lambda obj, f: (
        _report_data(obj.treatment) | {"grade": "2", "reason": "Grade checked", "version": obj.version}
    ),
    "sideeffect_void": lambda obj, f: {"reason": "Reported on the wrong patient"},
    "sideeffect_review": lambda obj, f: {"assessment": "Expected and mild", "version": obj.version},
    "calendar_feed_create": lambda obj, f: {},
    # calendar_feed_revoke only stamps revoked_at, which the snapshot does not see: its own test below.
}
CSRF_ROLE = dict.fromkeys(("lot_create", "lot_update", "lot_recall"), "clinic_admin")
CSRF_FORM_PAGE = {
    **dict.fromkeys(
        (
            "followup_complete",
            "followup_attempt",
            "followup_cancel",
            "followup_reschedule",
            "followup_acknowledge",
        ),
        "followup_detail",
    ),
    "sideeffect_review": "sideeffect_detail",
    "calendar_feed_create": "calendar_feed_manage",
}


@pytest.mark.security("role_matrix")
def test_every_named_view_has_a_row():
    names = named_urls()
    assert sorted(names - EXPECTED.keys()) == [], "add these views to EXPECTED"
    assert sorted(EXPECTED.keys() - names) == [], "these rows name views that no longer exist"


def url_arg(obj):
    if isinstance(obj, str):
        return obj
    return getattr(obj, "slug", None) or obj.pk


def url_for(name, view, factories):
    obj = OBJECTS[view.obj](factories) if view.obj else None
    return reverse(name, args=[url_arg(obj)] if obj is not None and view.obj_in_url else []), obj


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.security("headers", "role_matrix")
def test_matrix(name, role_clients, factories, security_figures):
    view = EXPECTED[name]
    url, _ = url_for(name, view, factories)
    failures = []
    # GET for every role first; POST after (logout ends the session).
    for method, expected_by_role in (("GET", view.get), ("POST", view.post)):
        for role, expected in expected_by_role.items():
            response = role_clients[role].generic(method, url, secure=True)
            security_figures["matrix_cells"] += 1
            if expected == LOGIN:
                ok = response.status_code == 302 and response["Location"].startswith(
                    reverse("login") + "?next="
                )
            else:
                ok = response.status_code == expected
            if not ok:
                failures.append(f"{method} {role}: {response.status_code}, expected {expected}")
            if response.status_code == 200:
                assert_security_headers(response)
                if response["Content-Type"].startswith("text/html"):
                    assert_no_inline_code(response.content.decode(), f"{method} {name} as {role}")
    assert failures == []


STATE_CHANGING = sorted(name for name, view in EXPECTED.items() if view.changes_state)


@pytest.mark.parametrize("name", STATE_CHANGING)
@pytest.mark.security("post_only")
def test_get_on_a_state_changing_view_changes_nothing(name, role_clients, factories, db_snapshot):
    view = EXPECTED[name]
    url, obj = url_for(name, view, factories)
    before = db_snapshot()
    for role, expected in view.get.items():
        response = role_clients[role].get(url)
        assert response.status_code == (302 if expected == LOGIN else expected), role
    assert db_snapshot() == before
    if obj is not None and not isinstance(obj, str):
        obj.refresh_from_db()
        assert not getattr(obj, "voided_at", None)


POSTABLE = sorted(VALID_POST)


@pytest.mark.parametrize("name", POSTABLE)
@pytest.mark.security("csrf")
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(
    name, request, factories, db_snapshot, security_figures
):
    view = EXPECTED[name]
    url, obj = url_for(name, view, factories)
    user = request.getfixturevalue(CSRF_ROLE.get(name, "physician"))
    client = login_verified(Client(enforce_csrf_checks=True), user)
    page = CSRF_FORM_PAGE.get(name)
    if page:
        page = reverse(page, args=[url_arg(obj)] if obj is not None and view.obj_in_url else [])
    client.get(page or url)  # sets the CSRF cookie, as a browser would have it
    data = VALID_POST[name](obj, factories)
    before = db_snapshot()
    response = client.post(url, data)
    assert response.status_code == 403
    assert db_snapshot() == before
    # The same request with the token goes through: the 403 above was the CSRF check.
    token = client.cookies["csrftoken"].value
    accepted = client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302, accepted.content.decode()[:3000]
    assert db_snapshot() != before
    security_figures["csrf_posts_refused"] += 1


@pytest.mark.security("csrf")
def test_every_view_with_a_form_has_a_csrf_case():
    """A view whose POST re-renders a form for some role writes something: it needs a CSRF case."""
    writers = (
        {name for name, view in EXPECTED.items() if 200 in view.post.values()} - {"login"} - PRINT_ONLY_POSTS
    )
    assert sorted(writers - set(VALID_POST)) == []


# Views whose POST only renders a page (to keep what was typed out of the URL) and writes nothing:
# no database change to prove, but the CSRF check still stands in front of them.
PRINT_ONLY_POSTS = {"faq:handout"}


@pytest.mark.parametrize("name", sorted(PRINT_ONLY_POSTS))
@pytest.mark.security("csrf")
def test_a_print_only_post_still_needs_the_csrf_token(name, physician):
    client = login_verified(Client(enforce_csrf_checks=True), physician)
    url = reverse(name)
    client.get(url)
    assert client.post(url, {"patient_name": "Ada Lovelace"}).status_code == 403
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"patient_name": "Ada Lovelace", "csrfmiddlewaretoken": token}).status_code == 200


@pytest.mark.security("csrf")
def test_revoking_a_calendar_link_needs_the_csrf_token(physician):
    feed, _ = calendar_feed_create(user=physician)
    client = login_verified(Client(enforce_csrf_checks=True), physician)
    client.get(reverse("calendar_feed_manage"))
    assert client.post(reverse("calendar_feed_revoke")).status_code == 403
    feed.refresh_from_db()
    assert feed.revoked_at is None
    token = client.cookies["csrftoken"].value
    assert client.post(reverse("calendar_feed_revoke"), {"csrfmiddlewaretoken": token}).status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None


ID_VIEWS = sorted(
    name for name, view in EXPECTED.items() if view.obj and view.obj_in_url and view.get["no_role"] == 403
)


@pytest.mark.parametrize("name", [name for name in ID_VIEWS if name != "faq:entry"])
@pytest.mark.security("role_matrix")
def test_a_user_who_sees_no_records_cannot_probe_which_ids_exist(name, role_clients, factories):
    """Clinic admins and users without a role see no clinical record: the answer for one that does
    not exist is the same 403 as for one that does. (Staff refused an action on a record they can
    see may well learn it does not exist: 404.)"""
    view = EXPECTED[name]
    url_for(name, view, factories)
    missing = reverse(name, args=[999999])
    for role in ("clinic_admin", "no_role"):
        if view.get[role] == 403:
            assert role_clients[role].get(missing).status_code == 403, role
            assert role_clients[role].post(missing).status_code == 403, role
