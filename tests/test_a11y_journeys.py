"""Accessibility journeys: each role signs in once in a real Chromium (the physician and the clinic
admin with their second factor) and opens every page it may open, axe-core checking each at a
1366 px desktop and a 390 px phone. Every axe violation fails, whatever its impact.

The pages are the rows of the security matrix (tests/security_cases/matrix.py) whose GET answers
200 for the role, filled with one richly populated patient, plus the variants a user reaches by
clicking (worklist sections, a follow-up's actions, a 404). Downloads (PDF, CSV) are skipped: axe
checks HTML. The clinic admin's Django admin pages are walked from the admin's own index.

axe runs as a Playwright init script, so the app's Content-Security-Policy stays as in production.
One browser, one sign-in per role, the role's pages in a loop: one test per role (pytest-xdist
may run two roles side by side).

``A11Y_RECORD=dir`` also writes every page's findings to dir/<role>.json (docs/ACCESSIBILITY.md's
table is made from them by ``python -m tests.a11y_table before/ after/``).
"""

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from faq.models import Entry
from tests.helpers.auth import PASSWORD, code_for
from tests.security_cases.matrix import EXPECTED
from treatments.services.calendar import calendar_feed_create
from treatments.services.followup_actions import followup_record_attempt
from treatments.services.side_effects import side_effect_report
from treatments.services.signing import treatment_amend, treatment_void

# Playwright's session event loop runs in this thread; the ORM calls below are synchronous setup.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1366, 390)
ROLES = ("physician", "staff", "clinic_admin")
# Query strings a user reaches by clicking, besides each page's plain URL.
VARIANTS = {
    "followup_list": [
        f"?section={key}" for key in ("due_this_week", "overdue", "upcoming", "missed", "recent")
    ],
    "followup_detail": [f"?action={key}" for key in ("attempt", "reschedule", "cancel")],
}
# Markup of Django's own admin templates and scripts, not of this project's, that axe flags: each rule
# is switched off for those elements only (the rest of the page is checked in full).
DJANGO_ADMIN_MARKUP = [
    # SelectFilter2.js (the two-box picker of a user's groups and permissions) puts aria-label on a
    # plain <span> icon inside the search field's <label>; the label's own text names the field.
    ("aria-prohibited-attr", ".selector .help-tooltip.search-label-icon"),
    # admin/edit_inline/tabular.html: the first column (the row's title) has no header by design,
    # and the "Delete?" header is empty where deleting is not allowed (steps are never deleted).
    ("empty-table-header", ".tabular thead th:not([class*=column-])"),
    # The tabular inline's table scrolls sideways on a phone inside Django's div.wrapper.
    ("scrollable-region-focusable", "#content .wrapper"),
]
NOT_HTML = {
    "treatment_print_pdf",
    "treatment_aftercare_pdf",
    "lot_recall_csv",
    "access_log_export",
    # The list downloads (CSV; XLSX with ?format=xlsx).
    "patient_list_export",
    "treatment_list_export",
    "lot_list_export",
    "followup_list_export",
    "sideeffect_list_export",
    "sideeffect_review_queue_export",
    "fhir_export_download",  # a zip of NDJSON
    "fhir_patient_everything",  # a FHIR Bundle (JSON)
    "research_export_download",  # a zip of CSV tables
    "patient_summary_pdf",
    "report_treatments_export",  # the reports' tables: CSV (or XLSX)
    "report_followups_export",
    "report_outcomes_export",
    "report_side_effects_export",
}


@pytest.fixture
def journey_data(
    physician, staff, clinic_admin, make_patient, make_lot, make_signed_treatment, make_treatment
):
    """One patient with what the pages show: signed treatments a fortnight and two days ago (so
    follow-ups fall in several worklist sections), an amendment, a voided visit, a draft, side-effect reports
    (one reviewed-needing, graded 3), a missed follow-up; a second lot, a recalled one."""
    today = timezone.localdate()
    patient = make_patient(given_name="Grace", family_name="Hopper", phone="+49 30 1234567")
    old = make_signed_treatment(patient, today - dt.timedelta(days=16))
    recent = make_signed_treatment(patient, today - dt.timedelta(days=2))
    followup = recent.followups.order_by("due_on").first()
    missed = old.followups.order_by("due_on").first()
    followup_record_attempt(
        followup=missed, user=staff, contact="call", outcome="no_answer", mark_missed=True
    )
    followup_record_attempt(followup=followup, user=staff, contact="call", outcome="no_answer")
    treatment_amend(treatment=old, user=physician, reason="Dose corrected")
    # A voided visit: its timeline entry and list row are set apart without losing contrast.
    voided = make_signed_treatment(patient, today - dt.timedelta(days=30))
    treatment_void(treatment=voided, user=physician, reason="Entered for the wrong patient")
    draft = make_treatment(make_patient(given_name="Alan", family_name="Turing"))
    data = {"term": "other", "term_other": "Allergic reaction (anaphylaxis)", "onset": recent.treatment_date}
    data |= {"grade": 4, "serious_life_threatening": True}
    data |= {"outcome": "recovering", "causality": "possible"}
    report = side_effect_report(user=staff, patient=patient, treatment=recent, data=data)
    make_lot(status="quarantine")
    make_lot(status="recalled")
    calendar_feed_create(user=physician)
    devices = {
        user: TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        for user in (physician, clinic_admin)
    }
    objects = {
        "patient": patient,
        "patient with a signed treatment": patient,
        "draft treatment": draft,
        "signed treatment": recent,
        "lot": recent.administrations.first().lot,
        "follow-up": followup,
        "side-effect report": report,
        "FAQ entry": Entry.objects.published().first(),
    }
    # The clinic admin works in the Django admin too (as the demo's admin.clinic does).
    clinic_admin.is_staff = True
    clinic_admin.save(update_fields=["is_staff"])
    users = {"physician": physician, "staff": staff, "clinic_admin": clinic_admin}
    return {"objects": objects, "users": users, "devices": devices}


def urls_for(role: str, objects: dict) -> list[tuple[str, str]]:
    """(page name, path) of every page the role opens with a GET, in the matrix's order."""
    found = []
    for name, view in EXPECTED.items():
        if view.get[role] != 200 or name in NOT_HTML or name == "login":
            continue
        args = []
        if view.obj and view.obj_in_url:
            obj = objects[view.obj]
            args = [getattr(obj, "slug", None) or obj.pk]
        url = reverse(name, args=args)
        found.append((name, url))
        found += [(f"{name}{query}", url + query) for query in VARIANTS.get(name, [])]
    found.append(("404", "/no-such-page/"))
    return found


AXE_RUN = """async (skip) => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  const skipped = (rule, node) => skip.some(([id, css]) => {
    const element = id === rule && document.querySelector(node.target[0]);
    return element && element.matches(css);
  });
  return result.violations
    .map(v => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.filter(n => !skipped(v.id, n)).map(n => n.target.join(" ")),
    }))
    .filter(v => v.nodes.length);
}"""


# Buttons in table rows (and the worklist's actions) that lie beyond the right edge of the viewport:
# on a phone a row's action must not need sideways scrolling.
OFF_SCREEN_ACTIONS = """() => [...document.querySelectorAll("td a.btn, td button, .wl td a")]
  .filter(a => a.offsetParent && a.getBoundingClientRect().right > window.innerWidth)
  .map(a => a.textContent.trim())"""


def axe_run(page) -> list[dict]:
    """Every axe-core violation on the page as it is now: rule, impact, the elements."""
    return page.evaluate(AXE_RUN, DJANGO_ADMIN_MARKUP if page.url.split("/")[3] == "admin" else [])


def check(page, role: str, name: str, findings: list) -> None:
    for width in WIDTHS:
        started = time.perf_counter()
        page.set_viewport_size({"width": width, "height": 900})
        violations = axe_run(page)
        if width < 768 and page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            violations.append({"id": "page-wider-than-phone", "impact": "serious", "nodes": ["html"]})
        # Row actions stay on screen (no sideways scrolling of a table to reach them).
        off_screen = page.evaluate(OFF_SCREEN_ACTIONS) if width < 768 else []
        if off_screen:
            violations.append({"id": "row-action-off-screen", "impact": "serious", "nodes": off_screen})
        seconds = round(time.perf_counter() - started, 2)
        findings.append({"role": role, "page": name, "width": width, "violations": violations, "s": seconds})


def sign_in(page, base: str, user, device, findings: list | None = None) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if device is not None:
        page.wait_for_url("**/account/verify/**")
        if findings is not None:
            check(page, "anonymous", "second_factor_verify", findings)
        page.fill("input[name=token]", code_for(device))
        page.click("form:has(input[name=token]) button[type=submit]")
    page.wait_for_url(f"{base}/")


def admin_pages(page, base: str) -> list[tuple[str, str]]:
    """The admin index, each model's list the clinic admin sees, its first row's page and its
    add form where offered."""
    page.goto(f"{base}/admin/")
    lists = page.eval_on_selector_all(
        "#content-main a[href$='/']:not(.addlink)", "as => as.map(a => a.pathname)"
    )
    adds = page.eval_on_selector_all("#content-main a.addlink", "as => as.map(a => a.pathname)")
    found = [("admin:index", "/admin/")]
    for path in dict.fromkeys(lists):
        if path.count("/") != 4:  # /admin/app/model/ only (not the app's index)
            continue
        found.append((f"admin {path}", path))
        page.goto(base + path)
        first = page.eval_on_selector_all(
            "#result_list tbody th a", "as => as.slice(0, 1).map(a => a.pathname)"
        )
        found += [(f"admin {path}{{id}}/change/", href) for href in first]
    found += [(f"admin {path}", path) for path in dict.fromkeys(adds)]
    return found


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")
@pytest.mark.parametrize("role", ROLES)
def test_every_page_the_role_opens_has_no_axe_violation(live_server, browser, journey_data, role):
    started = time.perf_counter()
    findings: list[dict] = []
    base = live_server.url
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    user = journey_data["users"][role]
    if role == "physician":  # the pages before the journey: login and second factor
        page.goto(f"{base}/login/")
        check(page, "anonymous", "login", findings)
    device = journey_data["devices"].get(user)
    sign_in(page, base, user, device, findings if role == "physician" else None)
    pages = urls_for(role, journey_data["objects"])
    if role == "clinic_admin":
        pages += admin_pages(page, base)
    if only := os.environ.get("A11Y_PAGES"):  # while fixing: A11Y_PAGES=patient_detail,admin
        pages = [(name, path) for name, path in pages if any(part in name for part in only.split(","))]
    for name, path in pages:
        response = page.goto(base + path)
        status = response.status if response else None
        if status not in (200, 404):
            findings.append({"role": role, "page": name, "width": 0, "status": status, "violations": []})
            continue
        check(page, role, name, findings)
    context.close()
    connections.close_all()
    elapsed = time.perf_counter() - started
    if record := os.environ.get("A11Y_RECORD"):  # a directory: one file per role
        Path(record).mkdir(parents=True, exist_ok=True)
        summary = {"seconds": round(elapsed, 1), "pages": findings}
        (Path(record) / f"{role}.json").write_text(json.dumps(summary, indent=1))
    refused = [f"{f['role']} {f['page']}: {f['status']}" for f in findings if f.get("status")]
    assert refused == [], refused
    failed = [
        f"{f['role']} {f['page']} @{f['width']}px: {v['id']} ({v['impact']}) {v['nodes'][:3]}"
        for f in findings
        for v in f["violations"]
    ]
    assert failed == [], "\n".join(failed)
