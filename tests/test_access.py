"""Logins and roles on the foundation pages."""

import pytest
from django.urls import reverse

from tests.helpers.auth import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.security("role_matrix")]


def test_anonymous_users_are_sent_to_login(client, patient):
    for url in [reverse("home"), reverse("patient_list"), patient.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_login_page_is_public(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_login_with_password_lands_on_the_dashboard(client, staff):
    response = client.post(reverse("login"), {"username": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "Dashboard" in client.get(reverse("home")).content.decode()


@pytest.mark.security("post_only")
def test_logout_is_post_only_and_ends_the_session(staff_client):
    assert staff_client.get(reverse("logout")).status_code == 405
    staff_client.post(reverse("logout"))
    assert staff_client.get(reverse("patient_list")).status_code == 302


@pytest.mark.parametrize(
    ("role", "expected"),
    [("physician", 200), ("staff", 200), ("clinic_admin", 403), ("no_role", 403)],
)
def test_patient_list_by_role(role_clients, role, expected):
    assert role_clients[role].get(reverse("patient_list")).status_code == expected


@pytest.mark.parametrize(
    ("role", "view", "expected"),
    [
        ("physician", "patient_create", 200),
        ("staff", "patient_create", 200),
        ("clinic_admin", "patient_create", 403),
        ("no_role", "patient_create", 403),
    ],
)
def test_create_page_by_role(role_clients, role, view, expected):
    assert role_clients[role].get(reverse(view)).status_code == expected


@pytest.mark.parametrize(
    ("role", "view", "expected"),
    [
        ("physician", "patient_detail", 200),
        ("staff", "patient_detail", 200),
        ("clinic_admin", "patient_detail", 403),
        ("no_role", "patient_detail", 403),
        ("physician", "patient_update", 200),
        ("staff", "patient_update", 200),
        ("clinic_admin", "patient_update", 403),
        ("physician", "patient_void", 200),
        ("staff", "patient_void", 403),
        ("clinic_admin", "patient_void", 403),
    ],
)
def test_patient_pages_by_role(role_clients, patient, role, view, expected):
    assert role_clients[role].get(reverse(view, args=[patient.pk])).status_code == expected


def test_a_user_without_role_sees_a_hint_and_no_clinical_links(no_role_client):
    body = no_role_client.get(reverse("home")).content.decode()
    assert "no clinic role yet" in body
    assert reverse("patient_list") not in body


def test_groups_hold_the_documented_permissions():
    from django.contrib.auth.models import Group

    from clinic.roles import ROLE_PERMISSIONS

    for role, names in ROLE_PERMISSIONS.items():
        held = {
            f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()
        }
        # Every permission the group holds is one the map grants; the map's entries whose models
        # exist are all held.
        assert held <= set(names)
        assert "treatments.view_patient" in held or role == "Clinic admin"
    admin_perms = {p.codename for p in Group.objects.get(name="Clinic admin").permissions.all()}
    assert "view_patient" not in admin_perms


@pytest.mark.security("no_store")
def test_pages_carry_no_store(staff_client):
    response = staff_client.get(reverse("patient_list"))
    assert "no-store" in response["Cache-Control"]
