"""A form's own error (not a field's) is shown once, in an alert that screen readers announce."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_wrong_password_is_said_once_in_an_alert(staff):
    response = Client().post(reverse("login"), {"username": staff.username, "password": "not-the-password"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Please enter a correct username and password") == 1
    alert = page[page.index('role="alert"') - 60 : page.index("Please enter a correct")]
    assert "alert-danger" in alert
