"""The security report: every quality.md item has a row, with its tests' outcomes and figures."""

import re

from clinic.management.commands.security_report import ITEMS, render


def report(outcomes, figures=None):
    return render(
        {"figures": figures or {}, "outcomes": outcomes, "tests": {"run": len(outcomes), "passed": 1}}
    )


def test_every_security_item_has_a_row():
    assert [item.number for item in ITEMS] == list(range(1, 24))
    rows = re.findall(r"^\| (\d+) \|", report({}), re.MULTILINE)
    assert rows == [str(number) for number in range(1, 24)]


def test_a_row_counts_its_tests_and_shows_failures_and_figures():
    text = report(
        {
            "tests/test_security_urls.py::test_a": "passed",
            "tests/test_security_urls.py::test_b": "failed",
            "tests/test_security_fuzz.py::test_c[PatientForm(edit)]": "passed",
        },
        {"urls_swept": 81, "fuzz_examples": 1400, "fuzz_examples:PatientForm(edit)": 200},
    )
    assert "| 8 | Every URL but login and static files needs a login | 1 / 2, **1 failed**" in text
    assert "URLs swept: 81" in text
    assert "| fuzz examples run | 1400 |" in text
    assert "| `PatientForm(edit)` | 200 |" in text


def test_items_owned_by_other_features_say_so_until_their_tests_arrive():
    text = report({})
    assert "see the FAQ feature" in text
    assert "| XSS payloads through the FAQ sanitizer | see FAQ |" in text
    with_faq = report({"tests/test_faq_sanitize.py::test_corpus": "passed"}, {"faq_xss_payloads": 120})
    assert "1 / 1: `test_faq_sanitize.py`" in with_faq
    assert "| XSS payloads through the FAQ sanitizer | 120 |" in with_faq
