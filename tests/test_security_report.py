"""The security report: every checklist item held by a marked test, markers naming real items, and
docs/SECURITY.md rendered from a run (figures merged across pytest-xdist workers)."""

import os
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.security_checklist import CHECKLIST, FIGURE_LABELS, KEYS
from tests.security_report import MARKER, collected_items, render, security_keys, whole_suite_collected

ROOT = Path(__file__).resolve().parent.parent


def report(outcomes, held=None, figures=None):
    return render(
        outcomes,
        held or {},
        Counter(figures or {}),
        when=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        database="SQLite",
    )


def test_the_checklist_has_its_23_items_in_order_with_unique_keys():
    assert [item.number for item in CHECKLIST] == list(range(1, 24))
    assert len(KEYS) == len(CHECKLIST)
    assert all(item.check and item.key.isidentifier() for item in CHECKLIST)


def test_every_security_marker_names_a_checklist_item(pytestconfig):
    problems = []
    for item in collected_items(pytestconfig):
        for mark in item.iter_markers(MARKER):
            if not mark.args:
                problems.append(f"{item.nodeid}: a security marker without an item key")
            problems += [f"{item.nodeid}: {key!r}" for key in mark.args if key not in KEYS]
    assert problems == [], "not keys of tests/security_checklist.py"


def test_every_checklist_item_has_a_marked_test(pytestconfig):
    """A renamed or moved test keeps its marker; an item whose last test lost it fails here."""
    if not whole_suite_collected(pytestconfig):
        pytest.skip("needs every test module collected (run the whole suite)")
    held = {key for item in collected_items(pytestconfig) for key in security_keys(item)}
    assert [f"{item.number} {item.key}" for item in CHECKLIST if item.key not in held] == []


def test_every_figure_an_item_shows_has_a_label_or_a_plain_name():
    for item in CHECKLIST:
        for key in item.figures:
            assert key in FIGURE_LABELS or key.isidentifier(), key


def test_a_row_counts_its_tests_and_shows_failures_skips_and_figures():
    text = report(
        {
            "tests/test_security_urls.py::test_a": "passed",
            "tests/test_security_urls.py::test_b": "failed",
            "tests/test_other.py::test_c": "skipped",
            "tests/test_unmarked.py::test_d": "passed",
            "tests/test_security_fuzz.py::test_e[PatientForm(edit)]": "passed",
        },
        {
            "tests/test_security_urls.py::test_a": ("login_required",),
            "tests/test_security_urls.py::test_b": ("login_required",),
            "tests/test_other.py::test_c": ("login_required", "lockout"),
            "tests/test_security_fuzz.py::test_e[PatientForm(edit)]": ("fuzzing",),
        },
        {"urls_swept": 81, "fuzz_examples": 1400, "fuzz_examples:PatientForm(edit)": 200},
    )
    assert "5 tests, 3 passed, 1 skipped, **failures found: 1**" in text
    assert (
        "| 8 | `login_required` | Every URL but login and static files needs a login | "
        "1 / 3, **1 failed**, 1 skipped: `test_other.py`, `test_security_urls.py` | URLs swept: 81 |"
    ) in text
    assert "| 6 | `lockout` | " in text and " | 0 / 1, 1 skipped: `test_other.py` | " in text
    assert "| fuzz examples run | 1400 |" in text
    assert "| `PatientForm(edit)` | 200 |" in text
    assert "  - `test_security_urls.py`: `test_a`, `test_b`" in text


def test_an_item_without_a_test_that_ran_says_so_and_unknown_keys_are_listed():
    text = report({"tests/test_x.py::test_a": "passed"}, {"tests/test_x.py::test_a": ("no_such_item",)})
    assert "| 1 | `deploy_check` | " in text and "| **no test ran** | – |" in text
    assert "## Markers naming no checklist item\n\n- `no_such_item`" in text


def test_parametrized_cases_are_counted_under_their_function():
    held = {f"tests/test_faq_sanitize.py::test_x[{n}]": ("faq_sanitizer",) for n in range(3)}
    text = report(dict.fromkeys(held, "passed"), held, {"faq_xss_payloads": 3})
    assert "| 13 | `faq_sanitizer` | " in text and "| 3 / 3: `test_faq_sanitize.py` |" in text
    assert "| XSS payloads through the FAQ sanitizer | 3 |" in text
    assert "  - `test_faq_sanitize.py`: `test_x` (3)" in text


def test_keys_and_figures_survive_pytest_xdist(tmp_path):
    """Two workers: the keys travel with the reports, each worker's figures reach the controller."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.security_report"]\n')
    cases = """
        import pytest

        @pytest.mark.security("lockout")
        @pytest.mark.parametrize("n", range(4))
        def test_counts(n, security_figures):
            security_figures["failed_logins_tried"] += 1

        @pytest.mark.security("backup", "lockout")
        def test_skipped():
            pytest.skip("not here")
    """
    (tmp_path / "test_cases.py").write_text(textwrap.dedent(cases))
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    security(*keys): checklist items\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "pytest", "-n", "2", "-q", "--security-report", "out.md"]
    # Only xdist and the plugin: the others (Django's first) would only slow three processes down.
    for plugin in ("cacheprovider", "django", "playwright", "base_url", "pytest_cov", "hypothesispytest"):
        command += ["-p", f"no:{plugin}"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert done.returncode == 0, done.stdout + done.stderr
    text = (tmp_path / "out.md").read_text()
    assert "on no database; 5 tests, 4 passed, 1 skipped, **failures found: 0**" in text
    assert "| 4 / 5, 1 skipped: `test_cases.py` | failed logins tried: 4 |" in text
    assert "| 0 / 1, 1 skipped: `test_cases.py` | – |" in text
