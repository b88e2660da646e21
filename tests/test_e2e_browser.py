"""End-to-end: a real Chromium renders the pages, at tablet and desktop widths, under the CSP."""

import os

import pytest
from django.contrib.auth.models import Group, User

from clinic.roles import STAFF
from treatments.models import Patient

# Playwright runs an event loop in this thread; the ORM calls below are synchronous setup.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff_user(transactional_db):
    user = User.objects.create_user("nurse", password=PASSWORD, first_name="Mina", last_name="Kim")
    user.groups.add(Group.objects.get(name=STAFF))
    return user


def watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def log_in(page, live_server):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "nurse")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.parametrize("width", [768, 1280])
def test_staff_registers_a_patient_in_a_real_browser(page, live_server, staff_user, width):
    page.set_viewport_size({"width": width, "height": 1000})
    problems = watch_console(page)
    log_in(page, live_server)
    assert page.locator("h1").inner_text() == "Dashboard"

    page.click("text=Patients")
    page.click("text=Register patient")
    page.fill("input[name=mrn]", f"E2E-{width}")
    page.fill("input[name=given_name]", "Grace")
    page.fill("input[name=family_name]", "Hopper")
    page.fill("input[name=date_of_birth]", "1960-12-09")
    page.check("text=Chronic inflammation")
    page.fill("textarea[name=current_medication]", "Naproxen 250 mg")
    page.click("button:has-text('Save')")

    page.wait_for_selector("text=Patient registered.")
    assert "Grace Hopper" in page.locator("h1").inner_text()
    assert page.locator(".alert-warning").first.inner_text().startswith("Takes anti-inflammatory medication")
    # Nothing overflows sideways at this width.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The stylesheet from npm really loaded (Bootstrap sets the navbar's display to flex).
    assert page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
    # No script error and no Content-Security-Policy violation anywhere on the way.
    assert problems == []
    assert Patient.objects.filter(mrn=f"E2E-{width}", takes_anti_inflammatories=True).exists()


def test_search_keeps_the_name_out_of_the_address_bar(page, live_server, staff_user):
    Patient.objects.create(mrn="S-1", given_name="Ada", family_name="Lovelace", date_of_birth="1970-01-01")
    log_in(page, live_server)
    page.goto(f"{live_server.url}/patients/")
    page.fill("input[name=q]", "Lovelace")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("text=Showing patients matching")
    assert "Lovelace" not in page.url
    assert page.locator("tbody tr").count() == 1


AXE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "node_modules", "axe-core", "axe.min.js")


def axe_violations(page, *, rules: list[str] | None = None) -> list[dict]:
    """axe-core's serious and critical violations on the current page. axe is loaded as an init
    script (the browser's own channel), so the app's CSP stays exactly as it is in production."""
    options = {"runOnly": {"type": "rule", "values": rules}} if rules else {}
    found = page.evaluate("options => axe.run(document, options).then(r => r.violations)", options)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [390, 1366])
def test_navigation_text_meets_contrast_at_both_widths(page, live_server, staff_user, width):
    """axe-core 4.11 measured the navigation links at 2.36:1 and "Log out" at 4.26:1 on Bootstrap's
    primary blue; every text of the bar now meets WCAG AA (4.5:1)."""
    page.add_init_script(path=AXE)
    page.set_viewport_size({"width": width, "height": 900})
    problems = watch_console(page)
    log_in(page, live_server)
    if width < 768:  # the collapsed menu: open it so its links are measured too
        page.click("button.navbar-toggler")
        page.wait_for_selector("#mainnav.show")
    page.evaluate("document.querySelector('nav.navbar').scrollIntoView()")
    violations = axe_violations(page, rules=["color-contrast"])
    assert violations == [], violations
    assert problems == []
