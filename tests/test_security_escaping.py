"""Patient data with markup is escaped everywhere it is shown, JSON handed to scripts included."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape

from treatments.models import Patient

pytestmark = [pytest.mark.django_db, pytest.mark.security("escaping")]

ROOT = Path(__file__).resolve().parent.parent

XSS_PAYLOADS = [
    "<script>\"'",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<iframe src=javascript:alert(1)>",
    "<style>body{display:none}</style>",
    "&lt;b&gt;pre-escaped",
    "<a href='//evil.example'>x</a>",
]
JSON_SCRIPT = re.compile(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', re.DOTALL)


def pages_showing(client, patient) -> dict[str, str]:
    """Every page that shows a patient's name, after a search for it (the term is echoed too)."""
    client.post(reverse("patient_list"), {"q": patient.given_name[:50]})
    return {
        name: client.get(url).content.decode()
        for name, url in {
            "list": reverse("patient_list"),
            "detail": patient.get_absolute_url(),
            "edit": reverse("patient_update", args=[patient.pk]),
            "void": reverse("patient_void", args=[patient.pk]),
        }.items()
    }


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_markup_in_a_patient_is_escaped_on_every_page(physician_client, payload, security_figures):
    response = physician_client.post(
        reverse("patient_create"),
        {
            "mrn": "XSS-1",
            "given_name": payload,
            "family_name": payload,
            "date_of_birth": "1970-01-01",
            "sex": "unknown",
            "notes": payload,
            "allergies": payload,
        },
    )
    assert response.status_code == 302
    patient = Patient.objects.get(mrn="XSS-1")
    # A change, so that the history tab shows the payload as an old value too.
    edited = physician_client.post(
        reverse("patient_update", args=[patient.pk]),
        {
            "mrn": "XSS-1",
            "given_name": payload,
            "family_name": "Plain",
            "date_of_birth": "1970-01-01",
            "sex": "unknown",
            "version": "1",
        },
    )
    assert edited.status_code == 302
    patient.refresh_from_db()
    for page, body in pages_showing(physician_client, patient).items():
        assert payload not in body, page
        assert escape(payload) in body, page
        for data in JSON_SCRIPT.findall(body):
            assert "<" not in data and ">" not in data, page
        security_figures["xss_page_checks"] += 1
    security_figures["xss_payloads_tried"] += 1


def test_json_script_escapes_markup():
    from django.utils.html import json_script

    rendered = json_script({"name": XSS_PAYLOADS[1]}, "patient-data")
    assert "<script>alert" not in rendered
    assert "\\u003Cscript\\u003E" in rendered


def project_files(pattern):
    folders = [ROOT / "clinic", ROOT / "treatments", ROOT / "faq", ROOT / "templates"]
    return [path for folder in folders for path in folder.rglob(pattern) if "migrations" not in path.parts]


def test_no_template_switches_escaping_off_or_interpolates_into_scripts():
    problems = []
    for path in project_files("*.html"):
        source = path.read_text(encoding="utf-8")
        for marker in ("|safe", "autoescape off", "|escapejs"):
            if marker in source:
                problems.append(f"{path.relative_to(ROOT)}: {marker}")
    assert problems == [], "hand data to scripts with json_script, never by marking it safe"


MARKS_SAFE = re.compile(r"\bmark_safe\(|SafeString\(|\.safe\b")
# Files allowed to mark strings safe, with how many times and why. Anything else must escape
# (format_html, a template).
MARKED_SAFE_ON_PURPOSE = {
    # render_answer() returns the output of the nh3 allow-list sanitizer (FAQ Markdown written by
    # clinic admins): only p, lists, em, strong, a with http(s)/mailto href, br, h3/h4, blockquote,
    # code survive. tests/test_faq_sanitize.py pushes an XSS corpus through it (quality.md item 13).
    "faq/rendering.py": 1,
}


def test_no_python_marks_strings_safe():
    problems = []
    for path in project_files("*.py"):
        name = path.relative_to(ROOT).as_posix()
        found = len(MARKS_SAFE.findall(path.read_text(encoding="utf-8")))
        if found > MARKED_SAFE_ON_PURPOSE.get(name, 0):
            problems.append(f"{name}: {found}")
    assert problems == [], "use format_html or a template; mark_safe skips escaping"


def test_the_allowed_exceptions_still_exist():
    """An allow-list entry whose code is gone would let a new mark_safe in that file pass unseen."""
    for name, count in MARKED_SAFE_ON_PURPOSE.items():
        assert len(MARKS_SAFE.findall((ROOT / name).read_text(encoding="utf-8"))) == count, name


# Pages that do not name the patient at all (they name the record: a treatment by its date, a report
# by its term); the payload must still not appear raw.
NAMELESS_PAGES = {"treatment amend", "treatment void", "side effect void"}


def feature_pages(patient, make_treatment, make_report) -> dict[str, str]:
    """The treatment, lot, follow-up and side-effect pages that name the patient."""
    signed = make_treatment(patient, sign=True)
    draft = make_treatment(patient)
    report = make_report(signed, onset=signed.treatment_date, grade=3)
    followup = signed.followups.get(kind="check_in")
    return {
        "treatment": reverse("treatment_detail", args=[signed.pk]),
        "treatment edit": reverse("treatment_update", args=[draft.pk]),
        "treatment sign": reverse("treatment_sign", args=[draft.pk]),
        "treatment amend": reverse("treatment_amend", args=[signed.pk]),
        "treatment void": reverse("treatment_void", args=[signed.pk]),
        "aftercare": reverse("treatment_aftercare", args=[signed.pk]),
        "lot recall list": reverse("lot_detail", args=[draft.administrations.get().lot_id]),
        "worklist": reverse("followup_list"),
        "follow-up": reverse("followup_detail", args=[followup.pk]),
        "side effects": reverse("sideeffect_list"),
        "side effect": reverse("sideeffect_detail", args=[report.pk]),
        "side effect report form": reverse("sideeffect_create", args=[patient.pk]),
        "side effect amendment": reverse("sideeffect_update", args=[report.pk]),
        "side effect void": reverse("sideeffect_void", args=[report.pk]),
        "review queue": reverse("sideeffect_review_queue"),
    }


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_markup_in_a_patient_is_escaped_on_the_treatment_and_follow_up_pages(
    physician_client, make_patient, make_treatment, make_report, payload, security_figures
):
    patient = make_patient(given_name=payload, family_name=payload, mrn="XSS-2")
    for page, url in feature_pages(patient, make_treatment, make_report).items():
        response = physician_client.get(url)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert payload not in body, page
        assert escape(payload) in body or page in NAMELESS_PAGES, page
        for data in JSON_SCRIPT.findall(body):
            assert "<" not in data and ">" not in data, page
        security_figures["xss_page_checks"] += 1
