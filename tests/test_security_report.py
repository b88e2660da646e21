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


def test_the_faq_sanitizer_corpus_is_counted_from_its_test_cases():
    corpus = {
        f"tests/test_faq_sanitize.py::test_nothing_executable_survives[{n}]": "passed" for n in range(3)
    }
    text = report(corpus | {"tests/test_faq_sanitize.py::test_plain_text_is_escaped": "passed"})
    assert "| 13 | FAQ Markdown sanitized with an allow-list; an XSS corpus pushed through | 4 / 4: " in text
    assert "| XSS payloads through the FAQ sanitizer | 3 |" in text
    # A figure counted by a test wins over the count of cases.
    assert "| XSS payloads through the FAQ sanitizer | 120 |" in report(corpus, {"faq_xss_payloads": 120})
    assert "| XSS payloads through the FAQ sanitizer | see FAQ |" in report({})


def test_every_mapped_test_file_exists():
    """A renamed test file would drop out of its row silently."""
    from pathlib import Path

    tests = Path(__file__).parent
    for item in ITEMS:
        for prefix in item.prefixes:
            name = prefix.removeprefix("tests/").split("::")[0]
            assert list(tests.glob(name + "*")), f"item {item.number}: nothing matches {prefix}"
