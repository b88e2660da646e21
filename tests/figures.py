"""Security figures: counters the tests fill, written as JSON when EXOLOG_SECURITY_FIGURES names a file."""

# A test takes the security_figures fixture and adds what it measured, e.g.
# security_figures["urls_swept"] += 1. manage.py security_report runs the suite with the variable
# set and turns the file into docs/SECURITY.md. Without the variable nothing is written.

import json
import os
from collections import Counter
from pathlib import Path

import pytest

FIGURES: Counter = Counter()
OUTCOMES: dict[str, str] = {}


@pytest.fixture(scope="session")
def security_figures() -> Counter:
    return FIGURES


def pytest_runtest_logreport(report):
    # A failure in setup or teardown counts against the test as much as one in its body.
    if report.failed:
        OUTCOMES[report.nodeid] = "failed"
    elif report.skipped:
        OUTCOMES.setdefault(report.nodeid, "skipped")
    elif report.when == "call":
        OUTCOMES.setdefault(report.nodeid, "passed")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """Under pytest-xdist the controller gets every report (so the outcomes) but the figures are
    counted in the workers: each hands its own over when it finishes."""
    FIGURES.update(getattr(node, "workeroutput", {}).get("security_figures", {}))


def pytest_sessionfinish(session, exitstatus):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller writes the file
        workeroutput["security_figures"] = dict(FIGURES)
        return
    target = os.environ.get("EXOLOG_SECURITY_FIGURES", "").strip()
    if not target:
        return
    summary = Counter(OUTCOMES.values())
    payload = {
        "figures": dict(sorted(FIGURES.items())),
        "tests": {"run": len(OUTCOMES), **summary},
        "outcomes": dict(sorted(OUTCOMES.items())),
    }
    Path(target).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
