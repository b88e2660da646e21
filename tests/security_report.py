"""pytest plugin: the security checklist's marker, its figures and its report (docs/SECURITY.md).

- ``@pytest.mark.security("lockout", ...)`` says which items of the checklist
  (tests/security_checklist.py) a test holds; ``pytestmark`` marks a whole module.
- The ``security_figures`` fixture is a Counter a test adds what it measured to, e.g.
  ``security_figures["urls_swept"] += len(swept)``.
- ``--security-report=PATH`` writes the report after the run: for each item, the outcomes of the
  tests marked with it and its figures (``make security-report``). Write it with "=": the option
  comes from tests/conftest.py, which pytest reads after a first look at the arguments, and in
  ``--security-report PATH`` without test paths that first look takes PATH for the tests to run.

Under pytest-xdist the controller receives every test report but neither the items (the workers
collect them) nor the figures (the tests run in the workers). So an item's keys travel with its
reports, in ``user_properties``, and each worker hands its counter over in ``workeroutput`` when it
finishes; the controller adds them up in ``pytest_testnodedown``, before its session finishes and
the report is written.
"""

from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.security_checklist import CHECKLIST, FIGURE_LABELS, HEADLINE_FIGURES, KEYS, NOTES, PER_CASE_FIGURE

MARKER = "security"
PROPERTY = "security_items"  # the user property carrying a test's keys to the controller
WORKER_OUTPUT = "security_figures"
TESTS_DIR = Path(__file__).resolve().parent


def security_keys(item: pytest.Item) -> tuple[str, ...]:
    """The checklist keys of every security marker on the item, its class and its module."""
    keys: list[str] = []
    for mark in item.iter_markers(MARKER):
        keys += [key for key in mark.args if key not in keys]
    return tuple(keys)


class SecurityRun:
    """What one pytest process records: the figures, each test's outcome and keys, and (in a
    process that collects) every item collected, before ``-k`` or ``-m`` deselect any."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.figures: Counter = Counter()
        self.outcomes: dict[str, str] = {}
        self.held: dict[str, tuple[str, ...]] = {}
        self.collected: list[pytest.Item] = []
        self.written: Path | None = None

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        self.collected.append(item)
        keys = security_keys(item)
        if keys:
            item.user_properties.append((PROPERTY, keys))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        keys = dict(report.user_properties).get(PROPERTY)
        if keys:
            self.held[report.nodeid] = tuple(keys)
        # A failure in setup or teardown counts against the test as much as one in its body.
        if report.failed:
            self.outcomes[report.nodeid] = "failed"
        elif report.skipped:
            self.outcomes.setdefault(report.nodeid, "skipped")
        elif report.when == "call":
            self.outcomes.setdefault(report.nodeid, "passed")

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error) -> None:
        self.figures.update(getattr(node, "workeroutput", {}).get(WORKER_OUTPUT, {}))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:  # an xdist worker: the controller writes the report
            workeroutput[WORKER_OUTPUT] = dict(self.figures)
            return
        target = self.config.getoption("security_report")
        if not target:
            return
        path = Path(self.config.invocation_params.dir, target)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(self.outcomes, self.held, self.figures, when=datetime.now(UTC), database=database())
        path.write_text(text, encoding="utf-8")
        self.written = path

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.written:
            failed = Counter(self.outcomes.values())["failed"]
            terminalreporter.write_line(f"security report written to {self.written} ({failed} failures)")


RUN = pytest.StashKey[SecurityRun]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("security").addoption(
        "--security-report",
        metavar="PATH",
        default=None,
        help="after the run, write the security checklist report (Markdown) to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    run = SecurityRun(config)
    config.stash[RUN] = run
    config.pluginmanager.register(run, "security-run")


@pytest.fixture(scope="session")
def security_figures(pytestconfig: pytest.Config) -> Counter:
    """The counters of docs/SECURITY.md: add what the test measured, by name."""
    return pytestconfig.stash[RUN].figures


def collected_items(config: pytest.Config) -> list[pytest.Item]:
    """Every item this process collected (deselected ones included)."""
    return config.stash[RUN].collected


def whole_suite_collected(config: pytest.Config) -> bool:
    """True when every test module under tests/ was collected (not a run of a few files)."""
    seen = {Path(item.path).resolve() for item in collected_items(config)}
    return set(TESTS_DIR.rglob("test_*.py")) <= seen


def database() -> str:
    from django.conf import settings

    if not settings.configured:  # a run without pytest-django (the plugin's own test)
        return "no database"
    engine = settings.DATABASES["default"]["ENGINE"]
    return "PostgreSQL" if "postgresql" in engine else "SQLite" if "sqlite" in engine else engine


# The report ------------------------------------------------------------------------------------


def label(key: str) -> str:
    return FIGURE_LABELS.get(key, key.replace("_", " "))


def file_of(nodeid: str) -> str:
    return nodeid.split("::")[0].removeprefix("tests/")


def render(
    outcomes: dict[str, str],
    held: dict[str, tuple[str, ...]],
    figures: Counter,
    *,
    when: datetime,
    database: str,
) -> str:
    """docs/SECURITY.md from a run: the outcome of every test, the keys of the marked ones, the
    figures."""
    totals = Counter(outcomes.values())
    by_key: dict[str, list[str]] = defaultdict(list)
    for nodeid, keys in held.items():
        if nodeid in outcomes:
            for key in keys:
                by_key[key].append(nodeid)
    lines = [
        "# Security checks and figures",
        "",
        "Generated by `make security-report` (pytest with `--security-report=docs/SECURITY.md`, the",
        "plugin `tests/security_report.py`) from a full test run; do not edit by hand. Each row is an item",
        "of the security checklist (`tests/security_checklist.py`), the tests that hold it (marked",
        '`@pytest.mark.security("<key>")`) and what they measured.',
        "",
        f"Run: {when:%Y-%m-%d %H:%M} UTC on {database}; {len(outcomes)} tests, {totals['passed']} passed, "
        f"{totals['skipped']} skipped, **failures found: {totals['failed']}**.",
        "",
        "| Measure | Figure |",
        "|---|---|",
    ]
    lines += [f"| {label(key)} | {figures.get(key, 0)} |" for key in HEADLINE_FIGURES]
    lines.append(f"| failures found | {totals['failed']} |")
    lines += ["", "| # | Key | Check | Tests (passed / run) | Figures |", "|---|---|---|---|---|"]
    for item in CHECKLIST:
        nodeids = by_key.get(item.key, [])
        counts = Counter(outcomes[nodeid] for nodeid in nodeids)
        if nodeids:
            where = f"{counts['passed']} / {len(nodeids)}"
            if counts["failed"]:
                where += f", **{counts['failed']} failed**"
            if counts["skipped"]:
                where += f", {counts['skipped']} skipped"
            where += ": " + ", ".join(f"`{name}`" for name in sorted({file_of(n) for n in nodeids}))
        else:
            where = "**no test ran**"
        shown = "; ".join(f"{label(key)}: {figures[key]}" for key in item.figures if key in figures)
        lines.append(f"| {item.number} | `{item.key}` | {item.check} | {where} | {shown or '–'} |")
    per_case = sorted(
        (key.removeprefix(PER_CASE_FIGURE), value)
        for key, value in figures.items()
        if key.startswith(PER_CASE_FIGURE)
    )
    if per_case:
        lines += ["", "## Fuzz examples per form", "", "| Form case | Examples |", "|---|---|"]
        lines += [f"| `{name}` | {value} |" for name, value in per_case]
    lines += ["", "## Tests per item", ""]
    for item in CHECKLIST:
        functions = Counter(nodeid.split("[")[0] for nodeid in by_key.get(item.key, []))
        by_file: dict[str, list[str]] = defaultdict(list)
        for function, cases in sorted(functions.items()):
            name = function.split("::", 1)[1]
            by_file[file_of(function)].append(f"`{name}`" + (f" ({cases})" if cases > 1 else ""))
        lines.append(f"- {item.number} `{item.key}`:")
        lines += [f"  - `{file}`: " + ", ".join(names) for file, names in by_file.items()] or ["  - none"]
    unknown = sorted({key for keys in held.values() for key in keys} - KEYS)
    if unknown:
        lines += ["", "## Markers naming no checklist item", ""]
        lines += [f"- `{key}`" for key in unknown]
    lines += ["", "## Notes", ""]
    lines += [f"- {note}" for note in NOTES]
    lines.append("")
    return "\n".join(lines)
