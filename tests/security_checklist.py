"""The security checklist of the quality bar: the 23 items docs/SECURITY.md reports on.

A test holds an item by carrying its key, ``@pytest.mark.security("lockout")`` (several keys in one
marker, or ``pytestmark`` for a whole module). tests/test_security_report.py fails when an item has
no marked test or a marker names a key that is not listed here. ``figures`` are the counters (added
to through the ``security_figures`` fixture) shown on the item's row.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    number: int
    key: str
    check: str
    figures: tuple[str, ...] = ()


CHECKLIST = (
    Item(1, "deploy_check", "`check --deploy --fail-level WARNING` passes with production settings"),
    Item(
        2,
        "headers",
        "HSTS, nosniff, Referrer-Policy, X-Frame-Options DENY, CSP (object-src, base-uri, frame-ancestors, "
        "nonce, no unsafe-inline); no inline script or style in templates",
        ("header_pages_checked", "templates_scanned", "matrix_cells"),
    ),
    Item(3, "no_store", "Pages with patient data send `Cache-Control: no-store`"),
    Item(
        4,
        "session_cookie",
        "Session cookie Secure, HttpOnly, SameSite; login rotates the session; logout kills it server-side",
    ),
    Item(
        5, "logoff", "Automatic logoff: 30 min idle, 12 h absolute, back to the page after signing in again"
    ),
    Item(
        6,
        "lockout",
        "Lockout after 5 failures per username and address, nobody else locked out; logged",
        ("failed_logins_tried", "lockouts_asserted"),
    ),
    Item(
        7,
        "second_factor",
        "TOTP second factor for physicians, clinic admins and superusers, with recovery codes; "
        "password asked again for signing (`clinic.reauth`); password policy",
    ),
    Item(
        8,
        "login_required",
        "Every URL but login and static files needs a login",
        ("urls_swept", "anonymous_requests"),
    ),
    Item(9, "role_matrix", "Role x view x method matrix, every cell asserted", ("matrix_cells",)),
    Item(
        10,
        "extra_fields",
        "Extra POST fields ignored; no ModelForm uses `__all__`",
        ("forged_fields_ignored",),
    ),
    Item(11, "post_only", "State changes only by POST; GET changes nothing"),
    Item(
        12,
        "csrf",
        "CSRF enforced (`enforce_csrf_checks=True`); no `csrf_exempt`",
        ("csrf_posts_refused",),
    ),
    Item(
        13,
        "faq_sanitizer",
        "FAQ Markdown sanitized with an allow-list; an XSS corpus pushed through",
        ("faq_xss_payloads",),
    ),
    Item(
        14,
        "escaping",
        "Patient data with markup escaped everywhere; `json_script` for data handed to scripts",
        ("xss_payloads_tried", "xss_page_checks"),
    ),
    Item(
        15,
        "fuzzing",
        "Every form fuzzed with Hypothesis, never an exception",
        ("forms_fuzzed", "fuzz_examples", "fuzz_saves", "fuzz_renders"),
    ),
    Item(16, "open_redirect", "`?next=` to another site stays on site", ("open_redirects_tried",)),
    Item(17, "raw_sql", "No raw SQL built from strings", ("source_files_scanned",)),
    Item(
        18,
        "audit_trail",
        "Audit trail of every create, change and void (user, time, old and new value, reason), the Django "
        "admin included (it saves through the services); bulk paths "
        "closed; opening a patient writes an access event that admins list and export",
        ("export_rows_streamed",),
    ),
    Item(
        19, "log_canary", "Logs carry no patient data (a canary patient)", ("log_lines_scanned_for_canary",)
    ),
    Item(
        20,
        "no_delete",
        "Records voided, never deleted; PROTECT on foreign keys to clinical records",
        ("protect_foreign_keys_checked", "admins_checked"),
    ),
    Item(
        21,
        "stale_forms",
        "Stale form gets a conflict and loses nothing (version column); the last vial is taken once "
        "(`select_for_update`, PostgreSQL only)",
    ),
    Item(22, "atomic_audit", "A write and its audit row commit together or not at all"),
    Item(
        23,
        "backup",
        "Backup and restore: a round trip compares every table's row count and the history",
        ("backup_tables_compared", "backup_rows_round_tripped"),
    ),
)
KEYS = frozenset(item.key for item in CHECKLIST)

# The report's first table; then each item's own figures on its row.
HEADLINE_FIGURES = (
    "urls_swept",
    "anonymous_requests",
    "matrix_cells",
    "fuzz_examples",
    "xss_payloads_tried",
    "faq_xss_payloads",
)
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
    "fuzz_renders": "invalid fuzzed forms rendered again",
}
# Per-case figures: "fuzz_examples:PatientForm(edit)" counts the examples of one form case.
PER_CASE_FIGURE = "fuzz_examples:"

NOTES = (
    "Item 21's second half (two people taking the last vial) needs row locks: its test runs on\n"
    "  PostgreSQL and is skipped on SQLite.",
    "Fuzzing (item 15): every example is validated; the first valid examples of each writing form\n"
    "  are saved through the form's service inside a rolled-back savepoint (read-only forms: all of\n"
    "  them), and invalid forms are rendered again with their errors (each field's first error, and\n"
    "  every fifth example).",
)
