"""manage.py security_report: run the suite, collect the security figures, write docs/SECURITY.md."""

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

DOCS = Path(settings.BASE_DIR) / "docs"
FIGURES_FILE = DOCS / "security-figures.json"
REPORT_FILE = DOCS / "SECURITY.md"


@dataclass(frozen=True)
class Item:
    """One quality.md Security item: the tests holding it (node-id prefixes under tests/, separated
    by spaces), the figures shown, and what to say while no test in the tree holds it."""

    number: int
    check: str
    tests: str
    figures: str = ""
    absent: str = "no test yet"

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(f"tests/{prefix}" for prefix in self.tests.split())


H, S, A, M = (
    "test_security_headers.py",
    "test_auth_sessions.py",
    "test_security_audit.py",
    "test_security_matrix.py",
)
T, G = "test_security_tampering.py", "test_security_integrity.py"
ITEMS = [
    Item(
        1, "`check --deploy --fail-level WARNING` passes with production settings", f"{H}::test_check_deploy"
    ),
    Item(
        2,
        "HSTS, nosniff, Referrer-Policy, X-Frame-Options DENY, CSP (object-src, base-uri, frame-ancestors, "
        "nonce, no unsafe-inline); no inline script or style in templates",
        f"{H}::test_pages_carry {H}::test_the_nonce {H}::test_templates {H}::test_the_scanner "
        f"{M}::test_matrix test_security_browser.py",
        "header_pages_checked templates_scanned matrix_cells",
    ),
    Item(
        3,
        "Pages with patient data send `Cache-Control: no-store`",
        f"{H}::test_patient_pages test_access.py::test_pages_carry",
    ),
    Item(
        4,
        "Session cookie Secure, HttpOnly, SameSite; login rotates the session; logout kills it server-side",
        f"{S}::test_the_session_cookie {S}::test_login_rotates {S}::test_logout_kills",
    ),
    Item(
        5,
        "Automatic logoff: 30 min idle, 12 h absolute, back to the page after signing in again",
        f"{S}::test_the_timeouts {S}::test_activity {S}::test_idle {S}::test_absolute {S}::test_timeouts",
    ),
    Item(
        6,
        "Lockout after 5 failures per username and address, nobody else locked out; logged",
        "test_auth_lockout.py",
        "failed_logins_tried lockouts_asserted",
    ),
    Item(
        7,
        "TOTP second factor for physicians, clinic admins and superusers, with recovery codes; "
        "password asked again for signing (`clinic.reauth`); password policy",
        "test_auth_second_factor.py test_auth_passwords.py test_security_browser.py",
    ),
    Item(
        8,
        "Every URL but login and static files needs a login",
        "test_security_urls.py test_followup_access.py::test_every_page "
        "test_followup_access.py::test_only_the test_calendar_feed.py::test_revoked "
        "test_faq_views.py::test_no_role",
        "urls_swept anonymous_requests",
    ),
    Item(
        9,
        "Role x view x method matrix, every cell asserted",
        f"{M}::test_matrix {M}::test_every_named_view {M}::test_a_user_who test_access.py "
        "test_followup_access.py::test_side_effect test_followup_detail.py::test_actions_are "
        "test_followup_detail.py::test_the_page_by test_lots_pages.py::test_who "
        "test_lots_pages.py::test_only test_side_effect_review.py::test_review_is "
        "test_treatment_form.py::test_who_may",
        "matrix_cells",
    ),
    Item(
        10,
        "Extra POST fields ignored; no ModelForm uses `__all__`",
        f"{T}::test_extra {T}::test_a_forged {T}::test_no_modelform {T}::test_an_out",
        "forged_fields_ignored",
    ),
    Item(
        11,
        "State changes only by POST; GET changes nothing",
        f"{M}::test_get_on test_access.py::test_logout test_followup_detail.py::test_actions_are "
        "test_side_effect_review.py::test_review_is test_calendar_feed.py::test_the_link_page",
    ),
    Item(
        12,
        "CSRF enforced (`enforce_csrf_checks=True`); no `csrf_exempt`",
        f"{M}::test_a_post_without {M}::test_every_view_with {M}::test_revoking "
        "test_security_code.py::test_no_view test_followup_detail.py::test_csrf",
        "csrf_posts_refused",
    ),
    Item(
        13,
        "FAQ Markdown sanitized with an allow-list; an XSS corpus pushed through",
        "test_faq_sanitize.py test_faq_views.py::test_search_terms_are_escaped",
        "faq_xss_payloads",
    ),
    Item(
        14,
        "Patient data with markup escaped everywhere; `json_script` for data handed to scripts",
        "test_security_escaping.py test_patients.py::test_patient_names_with_markup "
        "test_faq_views.py::test_search_terms_are_escaped",
        "xss_payloads_tried xss_page_checks",
    ),
    Item(
        15,
        "Every form fuzzed with Hypothesis, never an exception",
        "test_security_fuzz.py test_followup_access.py::test_the_",
        "forms_fuzzed fuzz_examples fuzz_saves",
    ),
    Item(
        16,
        "`?next=` to another site stays on site",
        f"{T}::test_login_ test_auth_second_factor.py::test_verify_ignores",
        "open_redirects_tried",
    ),
    Item(
        17,
        "No raw SQL built from strings",
        "test_security_code.py::test_no_sql test_security_code.py::test_the_sql",
        "source_files_scanned",
    ),
    Item(
        18,
        "Audit trail of every create, change and void (user, time, old and new value, reason); bulk paths "
        "closed; opening a patient writes an access event that admins list and export",
        f"{A} test_security_access_log.py test_patients.py::test_opening test_faq_admin.py::test_an_edit "
        "test_faq_admin.py::test_entries_refuse test_followup_actions.py::test_a_long_reason "
        "test_aftercare.py::test_the_sheet_shows",
        "export_rows_streamed",
    ),
    Item(
        19,
        "Logs carry no patient data (a canary patient)",
        "test_security_logs.py test_auth_lockout.py::test_failures_and "
        "test_followup_access.py::test_a_canary test_calendar_feed.py::test_the_token_never",
        "log_lines_scanned_for_canary",
    ),
    Item(
        20,
        "Records voided, never deleted; PROTECT on foreign keys to clinical records",
        f"{G}::test_foreign {G}::test_clinical {G}::test_no_ {G}::test_the_admin "
        "test_patients.py::test_patients_are test_treatment_admin.py::test_nothing_can "
        "test_followup_admin.py::test_followups_cannot test_side_effect_rules.py::test_reports_are_voided "
        "test_faq_admin.py::test_entries_cannot",
        "protect_foreign_keys_checked admins_checked",
    ),
    Item(
        21,
        "Stale form gets a conflict and loses nothing (version column); the last vial is taken once "
        "(`select_for_update`, PostgreSQL only)",
        f"{G}::test_a_stale {G}::test_an_administration {G}::test_every_form test_patients.py::test_a_stale "
        "test_security_tampering.py::test_a_forged test_treatment_form.py::test_a_stale "
        "test_followup_actions.py::test_a_stale test_followup_detail.py::test_a_stale "
        "test_side_effect_rules.py::test_an_amendment_from test_treatment_last_vial.py",
    ),
    Item(
        22,
        "A write and its audit row commit together or not at all",
        f"{A}::test_a_failing {A}::test_a_failure_after",
    ),
    Item(
        23,
        "Backup and restore: a round trip compares every table's row count and the history",
        "test_security_backup.py",
        "backup_tables_compared backup_rows_round_tripped",
    ),
]
FIGURE_LABELS = {
    "urls_swept": "URLs swept",
    "anonymous_requests": "anonymous requests",
    "matrix_cells": "matrix cells asserted",
    "fuzz_examples": "fuzz examples run",
    "forms_fuzzed": "form cases fuzzed",
    "xss_payloads_tried": "XSS payloads tried",
    "xss_page_checks": "page renderings checked",
    "faq_xss_payloads": "XSS payloads through the FAQ sanitizer",
    "fuzz_saves": "fuzzed forms saved through their service",
}
# The FAQ sanitizer tests count their corpus as test cases (one per payload), not as a figure.
FAQ_CORPUS_TESTS = "tests/test_faq_sanitize.py::test_nothing_executable_survives["


def faq_payloads(figures: dict, outcomes: dict) -> int | None:
    """XSS payloads pushed through the FAQ sanitizer: the figure if a test counts it, else the
    corpus cases that passed."""
    if "faq_xss_payloads" in figures:
        return figures["faq_xss_payloads"]
    passed = [nodeid for nodeid, outcome in outcomes.items() if nodeid.startswith(FAQ_CORPUS_TESTS)]
    return sum(outcomes[nodeid] == "passed" for nodeid in passed) if passed else None


class Command(BaseCommand):
    help = "Run the test suite with figure collection and regenerate docs/SECURITY.md."

    def add_arguments(self, parser):
        parser.add_argument(
            "--render-only", action="store_true", help="Rebuild the report from the last figures."
        )
        parser.add_argument("pytest_args", nargs="*", help="Extra arguments for pytest.")

    def handle(self, *args, render_only, pytest_args, **options):
        DOCS.mkdir(exist_ok=True)
        status = 0
        if not render_only:
            env = {**os.environ, "EXOLOG_SECURITY_FIGURES": str(FIGURES_FILE)}
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *pytest_args]
            status = subprocess.run(command, cwd=settings.BASE_DIR, env=env, check=False).returncode  # noqa: S603
        if not FIGURES_FILE.exists():
            raise CommandError(f"No figures at {FIGURES_FILE}: run without --render-only first.")
        data = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))
        REPORT_FILE.write_text(render(data), encoding="utf-8")
        failed = data["tests"].get("failed", 0)
        self.stdout.write(f"Wrote {REPORT_FILE.relative_to(settings.BASE_DIR)}: {failed} failures found.")
        if status or failed:
            raise CommandError("The suite has failures; the report shows them.")


def matching(outcomes: dict, prefixes: tuple[str, ...]) -> dict[str, str]:
    return {nodeid: outcome for nodeid, outcome in outcomes.items() if nodeid.startswith(prefixes)}


def label(key: str) -> str:
    return FIGURE_LABELS.get(key, key.replace("_", " "))


def render(data: dict) -> str:
    figures, outcomes, tests = dict(data["figures"]), data["outcomes"], data["tests"]
    faq = faq_payloads(figures, outcomes)
    if faq is not None:
        figures["faq_xss_payloads"] = faq
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").strip() else "SQLite"
    lines = [
        "# Security checks and figures",
        "",
        "Generated by `make security-report` (`manage.py security_report`) from a full test run; do not",
        "edit by hand. Each row is an item of the quality bar (`quality.md`, Security), the tests that hold",
        "it, and what they measured.",
        "",
        f"Run: {timezone.now():%Y-%m-%d %H:%M} UTC on {database}; {tests['run']} tests, "
        f"{tests.get('passed', 0)} passed, **failures found: {tests.get('failed', 0)}**.",
        "",
        "| Measure | Figure |",
        "|---|---|",
    ]
    for key in ("urls_swept", "anonymous_requests", "matrix_cells", "fuzz_examples", "xss_payloads_tried"):
        lines.append(f"| {label(key)} | {figures.get(key, 0)} |")
    lines.append(f"| {label('faq_xss_payloads')} | {faq if faq is not None else 'see FAQ'} |")
    lines.append(f"| failures found | {tests.get('failed', 0)} |")
    lines += ["", "| # | Check | Tests (passed / run) | Figures |", "|---|---|---|---|"]
    for item in ITEMS:
        held = matching(outcomes, item.prefixes)
        counts = Counter(held.values())
        if held:
            files = sorted({nodeid.split("::")[0].removeprefix("tests/") for nodeid in held})
            where = f"{counts['passed']} / {len(held)}" + (
                f", **{counts['failed']} failed**" if counts["failed"] else ""
            )
            if counts["skipped"]:
                where += f", {counts['skipped']} skipped"
            where += ": " + ", ".join(f"`{name}`" for name in files)
        else:
            where = item.absent
        shown = "; ".join(f"{label(key)}: {figures[key]}" for key in item.figures.split() if key in figures)
        lines.append(f"| {item.number} | {item.check} | {where} | {shown or '–'} |")
    per_form = sorted(
        (key.split(":", 1)[1], value) for key, value in figures.items() if key.startswith("fuzz_examples:")
    )
    if per_form:
        lines += ["", "## Fuzz examples per form", "", "| Form case | Examples |", "|---|---|"]
        lines += [f"| `{name}` | {value} |" for name, value in per_form]
    lines += [
        "",
        "## Notes",
        "",
        "- Item 21's second half (two people taking the last vial) needs row locks: its test runs on",
        "  PostgreSQL and is skipped on SQLite.",
        "- Fuzzing (item 15): every example is validated; the first valid examples of each writing form",
        "  are saved through the form's service inside a rolled-back savepoint (read-only forms: all of",
        "  them), and invalid forms are rendered again with their errors (each field's first error, and",
        "  every fifth example).",
        "",
    ]
    return "\n".join(lines)
