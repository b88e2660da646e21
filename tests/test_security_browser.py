"""In a real Chromium: sign-in with the second factor, and no CSP violation or console error on any page."""

import os
import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from clinic.roles import CLINIC_ADMIN, PHYSICIAN
from tests.helpers.auth import PASSWORD, code_for

# No serialized_rollback: the autouse fixture in conftest.py puts the data-migration rows (groups,
# indications, protocol, FAQ) back after a transactional test flushed them.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.security("headers", "second_factor"),
]

# Playwright's session event loop runs in this thread from the first browser test on; the ORM calls
# in the fixtures and tests are still synchronous (as in test_e2e_browser.py, set before any runs).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
# Collects every CSP violation the page reports, before any of the page's own scripts run.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


@pytest.fixture
def browser_page(browser):
    """A fresh context of pytest-playwright's session browser (Debian's Chromium, launched with the
    arguments in conftest.py). Starting a second Playwright here failed once test_e2e_browser.py had
    started the session one: its event loop already runs in this thread."""
    context = browser.new_context()
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    yield page
    context.close()
    # The ORM calls made while Playwright runs may use a connection of their own (its greenlet
    # has its own context); PostgreSQL would not drop the test database with it still open.
    connections.close_all()


def assert_clean(page, where):
    assert page.evaluate("window.__csp") == [], where
    assert page.console_errors == [], where
    assert page.evaluate("typeof window.bootstrap") == "object", where  # our scripts ran under the CSP


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    assert_clean(page, "login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # Both users of these tests need a second factor: the login answers with its page.
    page.wait_for_url(re.compile(r"/account/(verify|two-factor)/"))


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_a_physician_signs_in_with_a_code_and_no_page_breaks_the_policy(
    live_server, browser_page, make_patient
):
    page = browser_page
    physician = User.objects.create_user("browser.doc", password=PASSWORD)
    physician.groups.add(Group.objects.get(name=PHYSICIAN))
    device = TOTPDevice.objects.create(user=physician, name="phone", confirmed=True)
    patient = make_patient(given_name="<script>\"'", family_name="Browser")

    sign_in(page, live_server, "browser.doc")
    assert "/account/verify/" in page.url
    assert_clean(page, "verify")
    page.fill("input[name=token]", code_for(device))
    page.click("form:has(input[name=token]) button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    for path in [
        "/",
        "/patients/",
        f"/patients/{patient.pk}/",
        f"/patients/{patient.pk}/edit/",
        "/patients/new/",
    ]:
        page.goto(live_server.url + path)
        assert_clean(page, path)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    assert page.locator("h1").inner_text().startswith("<script>\"'")
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
def test_the_enrolment_qr_code_renders_under_the_policy(live_server, browser_page):
    page = browser_page
    admin = User.objects.create_user("browser.admin", password=PASSWORD)
    admin.groups.add(Group.objects.get(name=CLINIC_ADMIN))
    sign_in(page, live_server, "browser.admin")
    assert "/account/two-factor/" in page.url
    assert_clean(page, "enrol")
    assert page.evaluate("document.querySelector('img.qr-code').naturalWidth") > 100
    secret = re.sub(r"\s", "", page.locator(".user-select-all").inner_text())
    from base64 import b32decode

    pending = TOTPDevice(user=admin, key=b32decode(secret).hex())
    page.fill("input[name=token]", code_for(pending))
    page.click("form:has(input[name=token]) button[type=submit]")
    # The click returns once the form is sent: wait for the page that answers it (up to 10 s).
    expect(page.locator(".recovery-codes li")).to_have_count(10, timeout=10_000)
    assert_clean(page, "recovery codes")
    page.goto(f"{live_server.url}/audit/access/")
    assert_clean(page, "access log")
