"""Second factor: who must pass it, enrolment by QR code with recovery codes, verification, demo switch."""

import re
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.second_factor import PENDING_KEY_SESSION_KEY
from tests.helpers.auth import PASSWORD, code_for
from tests.helpers.config import load_settings

pytestmark = [pytest.mark.django_db, pytest.mark.security("second_factor")]


def password_login(user, next_url=None) -> Client:
    client = Client()
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("login"), data)
    assert response.status_code == 302
    return client


@pytest.fixture
def enrolled_physician(physician):
    device = TOTPDevice.objects.create(user=physician, name="phone", confirmed=True)
    recovery = StaticDevice.objects.create(user=physician, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=recovery, token="abcdefgh")
    return physician, device


@pytest.mark.parametrize("role_user", ["physician", "clinic_admin", "superuser"])
def test_roles_that_need_it_are_sent_to_enrol_before_any_page(request, role_user):
    user = request.getfixturevalue(role_user)
    client = password_login(user)
    for url in [reverse("home"), reverse("patient_list"), reverse("access_log"), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('second_factor_enrol')}?next={url}"


def test_staff_and_users_without_role_need_only_the_password(staff, no_role):
    for user in (staff, no_role):
        client = password_login(user)
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("second_factor_enrol"))["Location"] == reverse("home")


def test_enrolment_shows_a_qr_code_and_writes_nothing_until_confirmed(physician):
    client = password_login(physician)
    page = client.get(reverse("second_factor_enrol")).content.decode()
    assert 'src="data:image/svg+xml' in page
    shown = re.search(r'user-select-all">([A-Z2-7 ]+)<', page).group(1)
    assert len(shown.replace(" ", "")) == 32
    assert not TOTPDevice.objects.filter(user=physician).exists()
    # The QR code encodes the same secret as the text, with the issuer.
    qr = unquote(re.search(r'src="(data:image/svg\+xml[^"]+)"', page).group(1))
    assert "<svg" in qr and "<script" not in qr
    # Reloading keeps the same secret (it waits in the session), so a scanned code stays valid.
    assert shown in client.get(reverse("second_factor_enrol")).content.decode()


def test_enrolment_confirms_with_a_code_and_shows_ten_recovery_codes_once(physician):
    client = password_login(physician, next_url=reverse("patient_list"))
    client.get(reverse("second_factor_enrol"))
    pending = TOTPDevice(user=physician, key=client.session[PENDING_KEY_SESSION_KEY])
    wrong = client.post(reverse("second_factor_enrol"), {"token": "000000"})
    assert "does not match" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=physician).exists()

    old_key = client.session.session_key
    response = client.post(
        reverse("second_factor_enrol"), {"token": code_for(pending), "next": reverse("patient_list")}
    )
    body = response.content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", body)
    assert len(codes) == 10 == len(set(codes))
    assert "shown only this once" in body
    device = TOTPDevice.objects.get(user=physician)
    assert device.confirmed and device.key == pending.key
    assert sorted(
        StaticToken.objects.filter(device__user=physician).values_list("token", flat=True)
    ) == sorted(codes)
    assert client.session.session_key != old_key
    assert PENDING_KEY_SESSION_KEY not in client.session
    assert client.get(reverse("patient_list")).status_code == 200
    # Enrolled: the page never offers a new secret again.
    assert client.get(reverse("second_factor_enrol"))["Location"] == reverse("home")


def test_a_user_with_a_phone_cannot_enrol_another_with_the_password_alone(enrolled_physician):
    physician, _ = enrolled_physician
    client = password_login(physician)
    assert client.get(reverse("second_factor_enrol"))["Location"] == reverse("second_factor_verify")
    assert client.get(reverse("home"))["Location"].startswith(reverse("second_factor_verify"))


def test_verify_accepts_the_app_code_once_and_returns_to_the_page(enrolled_physician):
    physician, device = enrolled_physician
    client = password_login(physician)
    target = reverse("patient_list")
    assert client.get(target)["Location"] == f"{reverse('second_factor_verify')}?next=/patients/"
    code = code_for(device)
    response = client.post(reverse("second_factor_verify") + "?next=" + target, {"token": code})
    assert response["Location"] == target
    assert client.get(target).status_code == 200

    # The same code cannot be replayed in another session.
    other = password_login(physician)
    replay = other.post(reverse("second_factor_verify"), {"token": code})
    assert replay.status_code == 200 and "not valid" in replay.content.decode()


def test_verify_accepts_a_recovery_code_once(enrolled_physician):
    physician, _ = enrolled_physician
    client = password_login(physician)
    response = client.post(reverse("second_factor_verify"), {"token": "ABCD-EFGH"})
    assert response["Location"] == reverse("home")
    assert not StaticToken.objects.filter(token="abcdefgh").exists()
    assert "recovery code; 0 left" in client.get(reverse("home")).content.decode()
    again = password_login(physician).post(reverse("second_factor_verify"), {"token": "abcdefgh"})
    assert "not valid" in again.content.decode()


def test_verify_refuses_wrong_and_malformed_codes_and_slows_down(enrolled_physician):
    physician, device = enrolled_physician
    client = password_login(physician)
    assert "6 digits" in client.post(reverse("second_factor_verify"), {"token": "12"}).content.decode()
    assert "not valid" in client.post(reverse("second_factor_verify"), {"token": "999999"}).content.decode()
    # django-otp throttles the device after a failure: even the right code waits.
    throttled = client.post(reverse("second_factor_verify"), {"token": code_for(device)})
    assert "Too many wrong codes" in throttled.content.decode()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.security("open_redirect")
def test_verify_ignores_an_offsite_next(enrolled_physician):
    physician, device = enrolled_physician
    client = password_login(physician)
    response = client.post(
        reverse("second_factor_verify"), {"token": code_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_logout_stays_reachable_before_the_second_factor(physician):
    client = password_login(physician)
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_the_demo_switch_lets_demo_users_in_without_a_phone(settings, physician):
    settings.EXOLOG_DEMO_SKIP_SECOND_FACTOR = True
    assert password_login(physician).get(reverse("patient_list")).status_code == 200


def test_production_refuses_the_demo_switch():
    result = load_settings(
        DJANGO_DEBUG="false", DJANGO_SECRET_KEY="k" * 60, EXOLOG_DEMO_SKIP_SECOND_FACTOR="true"
    )
    assert result.returncode != 0
    assert "EXOLOG_DEMO_SKIP_SECOND_FACTOR is for the demo only" in result.stderr


def test_the_demo_switch_works_with_debug():
    result = load_settings(DJANGO_DEBUG="true", EXOLOG_DEMO_SKIP_SECOND_FACTOR="true")
    assert result.returncode == 0, result.stderr


def test_the_makefile_demo_targets_set_the_switch():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    for target in ("demo:", "run:"):
        recipe = makefile.split(f"\n{target}", 1)[1].split("\n\n", 1)[0]
        assert "EXOLOG_DEMO_SKIP_SECOND_FACTOR=true" in recipe, target
