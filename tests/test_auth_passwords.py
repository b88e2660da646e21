"""Password policy, and asking for the password again before a signature (clinic.reauth)."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from clinic.forms import PasswordConfirmForm
from clinic.reauth import confirm_password
from tests.helpers.auth import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.security("second_factor")]


def refusal(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


def test_eleven_characters_are_too_short():
    assert any("at least 12 characters" in message for message in refusal("kq8#Zp2!vLm"))


def test_twelve_uncommon_characters_are_enough():
    assert refusal("kq8#Zp2!vLmW") == []


def test_a_common_password_is_refused_even_when_long_enough():
    assert any("too common" in message for message in refusal("password1234"))


def test_an_all_digit_password_is_refused():
    assert any("entirely numeric" in message for message in refusal("492817365018"))


def test_a_password_like_the_users_own_details_is_refused(staff):
    staff.email = "mina.kim@clinic.example"
    assert any("too similar" in message for message in refusal("Mina.Kim@clinic.example", staff))


def test_a_long_passphrase_with_spaces_is_accepted(staff):
    passphrase = "the lilac heron sleeps under brass clocks"
    assert len(passphrase) >= 40
    assert refusal(passphrase, staff) == []


def test_confirm_password_accepts_the_users_own_password(physician, rf):
    request = rf.post("/sign/", REMOTE_ADDR="10.0.0.7")
    assert confirm_password(physician, PASSWORD, request=request) is True


def test_confirm_password_refuses_a_wrong_one_and_axes_counts_it(physician, rf):
    request = rf.post("/sign/", REMOTE_ADDR="10.0.0.7")
    assert confirm_password(physician, "not my password", request=request) is False
    assert AccessAttempt.objects.get(username="physician").failures_since_start == 1


def test_confirm_password_refuses_another_users_password(physician, staff, rf):
    staff.set_password("a different passphrase entirely")
    staff.save()
    request = rf.post("/sign/", REMOTE_ADDR="10.0.0.7")
    assert confirm_password(physician, "a different passphrase entirely", request=request) is False


def test_confirm_password_refuses_anonymous_users_and_empty_passwords(physician, rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.post("/sign/", REMOTE_ADDR="10.0.0.7")
    assert confirm_password(AnonymousUser(), PASSWORD, request=request) is False
    assert confirm_password(physician, "", request=request) is False


def test_five_wrong_confirmations_lock_the_login_too(physician, rf):
    request = rf.post("/sign/", REMOTE_ADDR="10.0.0.7")
    for _ in range(5):
        confirm_password(physician, "wrong", request=rf.post("/sign/", REMOTE_ADDR="10.0.0.7"))
    assert confirm_password(physician, PASSWORD, request=request) is False
    locked = Client().post(
        reverse("login"), {"username": "physician", "password": PASSWORD}, REMOTE_ADDR="10.0.0.7"
    )
    assert locked.status_code == 429


def test_the_password_confirm_form_puts_the_error_on_the_field(physician, rf):
    request = rf.post("/sign/", REMOTE_ADDR="10.0.0.7")
    request.user = physician
    form = PasswordConfirmForm({"password": "nope"}, request=request)
    assert not form.is_valid()
    assert form.errors == {"password": ["That is not your password."]}
    assert PasswordConfirmForm({"password": PASSWORD}, request=request).is_valid()
