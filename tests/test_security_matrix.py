"""Role x view x method matrix: every named view, every role, GET and POST, each cell asserted."""

# A view added to the URLconf without a row here fails test_every_named_view_has_a_row: add its
# row (expected status per role for GET and POST, the object its URL needs, and whether it changes
# state) when you add the view.

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import login_verified
from tests.test_security_headers import assert_no_inline_code, assert_security_headers
from tests.urlwalk import named_urls

pytestmark = pytest.mark.django_db

ROLES = ("physician", "staff", "clinic_admin", "no_role", "anonymous")
LOGIN = "login"  # anonymous: a redirect to the login page with ?next=


def row(physician, staff, clinic_admin, no_role, anonymous=LOGIN) -> dict:
    return dict(zip(ROLES, (physician, staff, clinic_admin, no_role, anonymous), strict=True))


@dataclass(frozen=True)
class View:
    get: dict
    post: dict
    obj: str | None = None  # the OBJECTS factory whose pk fills the URL
    changes_state: bool = False  # sign, void, delete...: GET must change nothing


# Objects a URL's <int:pk> points at. A feature adds its own factory here.
OBJECTS = {
    "patient": lambda make_patient: make_patient(),
}

EVERYONE_REDIRECTED = row(302, 302, 302, 302)
EXPECTED = {
    "home": View(get=row(200, 200, 200, 200), post=row(405, 405, 405, 405)),
    # Signed-in users are sent on from the login page whatever the method.
    "login": View(get=row(302, 302, 302, 302, anonymous=200), post=row(302, 302, 302, 302, anonymous=200)),
    "logout": View(get=row(405, 405, 405, 405), post=EVERYONE_REDIRECTED),
    # Already past the second factor, or a role without one: both pages send the user on.
    "second_factor_verify": View(get=EVERYONE_REDIRECTED, post=EVERYONE_REDIRECTED),
    "second_factor_enrol": View(get=EVERYONE_REDIRECTED, post=EVERYONE_REDIRECTED),
    "access_log": View(get=row(403, 403, 200, 403), post=row(403, 403, 405, 403)),
    "access_log_export": View(get=row(403, 403, 200, 403), post=row(403, 403, 405, 403)),
    # The admin's login URL only forwards to the site's login page, for everyone.
    "admin_login": View(get=row(302, 302, 302, 302, 302), post=row(302, 302, 302, 302, 302)),
    "patient_list": View(get=row(200, 200, 403, 403), post=row(302, 302, 403, 403)),
    "patient_create": View(get=row(200, 200, 403, 403), post=row(200, 200, 403, 403)),
    "patient_detail": View(get=row(200, 200, 403, 403), post=row(405, 405, 403, 403), obj="patient"),
    "patient_update": View(get=row(200, 200, 403, 403), post=row(200, 200, 403, 403), obj="patient"),
    "patient_void": View(
        get=row(200, 403, 403, 403), post=row(200, 403, 403, 403), obj="patient", changes_state=True
    ),
}

# Valid POST data for the CSRF test (the same POST with a token must change the database).
VALID_POST = {
    "patient_create": lambda obj: {
        "mrn": "MRN-CSRF",
        "given_name": "Cee",
        "family_name": "Surf",
        "date_of_birth": "1980-01-01",
        "sex": "unknown",
    },
    "patient_update": lambda obj: {
        "mrn": obj.mrn,
        "given_name": "Changed",
        "family_name": obj.family_name,
        "date_of_birth": obj.date_of_birth.isoformat(),
        "sex": obj.sex,
        "version": obj.version,
    },
    "patient_void": lambda obj: {"reason": "Registered twice"},
}


def test_every_named_view_has_a_row():
    names = named_urls()
    assert sorted(names - EXPECTED.keys()) == [], "add these views to EXPECTED"
    assert sorted(EXPECTED.keys() - names) == [], "these rows name views that no longer exist"


def url_for(name, view, make_patient):
    obj = OBJECTS[view.obj](make_patient) if view.obj else None
    return reverse(name, args=[obj.pk] if obj else []), obj


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_matrix(name, role_clients, make_patient, security_figures):
    view = EXPECTED[name]
    url, _ = url_for(name, view, make_patient)
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
def test_get_on_a_state_changing_view_changes_nothing(name, role_clients, make_patient, db_snapshot):
    view = EXPECTED[name]
    url, obj = url_for(name, view, make_patient)
    before = db_snapshot()
    for role, expected in view.get.items():
        response = role_clients[role].get(url)
        assert response.status_code == (302 if expected == LOGIN else expected), role
    assert db_snapshot() == before
    if obj is not None:
        obj.refresh_from_db()
        assert not getattr(obj, "voided_at", None)


POSTABLE = sorted(VALID_POST)


@pytest.mark.parametrize("name", POSTABLE)
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(
    name, physician, make_patient, db_snapshot, security_figures
):
    view = EXPECTED[name]
    url, obj = url_for(name, view, make_patient)
    client = login_verified(Client(enforce_csrf_checks=True), physician)
    client.get(url)  # sets the CSRF cookie, as a browser would have it
    data = VALID_POST[name](obj)
    before = db_snapshot()
    response = client.post(url, data)
    assert response.status_code == 403
    assert db_snapshot() == before
    # The same request with the token goes through: the 403 above was the CSRF check.
    token = client.cookies["csrftoken"].value
    accepted = client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert db_snapshot() != before
    security_figures["csrf_posts_refused"] += 1


def test_every_view_with_a_form_has_a_csrf_case():
    """A view whose POST re-renders a form for some role writes something: it needs a CSRF case."""
    writers = {name for name, view in EXPECTED.items() if 200 in view.post.values()} - {"login"}
    assert sorted(writers - set(VALID_POST)) == []
