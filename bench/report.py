"""The page bench's results: one Measure per page and size, the table, the verdicts and the
targets summary (issue 10's thresholds)."""

import math
import statistics
from dataclasses import dataclass, field

# Whole-clinic exports stream every row in pages of rows: their queries grow with the clinic (a
# constant number per page of rows, held by their tests), so the page budget does not apply; the
# report prints their counts.
PAGED_EXPORTS = {
    "fhir_export_download": "the whole clinic as FHIR NDJSON, 500 rows per query and resource type",
    "research_export_download": "the de-identified research zip, 200 patients per page of queries",
}
MAX_QUERIES = 12
MAX_HTML_KB = 150
MAX_RATIO = 1.5


@dataclass
class Measure:
    status: int | str = 0
    queries: int = 0
    size: int = 0
    content_type: str = ""
    times: list = field(default_factory=list)
    error: str = ""
    # One request with Django's cache emptied first (seconds): what a page that keeps figures in
    # the figure cache costs when it computes them, i.e. on the first view after a change.
    computed: float = math.nan

    @property
    def p50(self) -> float:
        return statistics.median(self.times) * 1000 if self.times else math.nan

    @property
    def p95(self) -> float:
        if not self.times:
            return math.nan
        ordered = sorted(self.times)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] * 1000

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")

    @property
    def server_error(self) -> bool:
        return self.status == "EXC" or (isinstance(self.status, int) and self.status >= 500)


def size_label(size: int) -> str:
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


@dataclass
class Row:
    name: str
    url: str
    role: str
    what: str
    measures: list  # one Measure per dataset, in size order


def problems(row: Row) -> list[str]:
    found = []
    statuses = {m.status for m in row.measures}
    if any(m.server_error for m in row.measures):
        found.append("5xx")
    elif statuses - {200}:
        found.append("status " + "/".join(str(s) for s in sorted(statuses, key=str)))
    top = max(m.queries for m in row.measures)
    if top > MAX_QUERIES:
        found.append(f"{top} queries")
    if len({m.queries for m in row.measures}) > 1:
        found.append("queries grow")
    large = row.measures[-1]
    if large.is_html and large.size > MAX_HTML_KB * 1024:
        found.append(f"HTML {large.size / 1024:.0f} KB")
    if len(row.measures) > 1 and ratio(row) > MAX_RATIO:
        # A download (CSV, PDF, calendar) holds data that grows with the clinic: its time is
        # reported, the page target applies to pages.
        found.append(f"slow x{ratio(row):.2f}" if large.is_html else f"export x{ratio(row):.2f}")
    return found


def ratio(row: Row) -> float:
    small, large = row.measures[0].p50, row.measures[-1].p50
    return large / small if small and not math.isnan(small) and not math.isnan(large) else math.nan


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def table(rows: list[Row], sizes: list[int]) -> list[str]:
    labels = [size_label(s) for s in sizes]
    if len(sizes) == 1:
        out = ["| page | url | role | status | queries | p50 ms | p95 ms | KB | verdict |", "|---" * 9 + "|"]
        for row in rows:
            m = row.measures[0]
            out.append(
                f"| {row.name} | {row.url} | {row.role} | {m.status} | {m.queries} | {_ms(m.p50)} "
                f"| {_ms(m.p95)} | {m.size / 1024:.1f} | {', '.join(problems(row)) or 'ok'} |"
            )
        return out
    small, large = labels[0], labels[-1]
    out = [
        f"| page | url (at {small}) | role | status | queries {small}/{large} | p50 {small} | p50 {large} "
        f"| p95 {small} | p95 {large} | ratio | computed {small} | computed {large} | KB {large} | verdict |",
        "|---" * 14 + "|",
    ]
    for row in rows:
        s, lg = row.measures[0], row.measures[-1]
        status = s.status if s.status == lg.status else f"{s.status}/{lg.status}"
        out.append(
            f"| {row.name} | {row.url} | {row.role} | {status} | {s.queries}/{lg.queries} | {_ms(s.p50)} "
            f"| {_ms(lg.p50)} | {_ms(s.p95)} | {_ms(lg.p95)} | {ratio(row):.2f} | {_ms(s.computed * 1000)} "
            f"| {_ms(lg.computed * 1000)} | {lg.size / 1024:.1f} "
            f"| {', '.join(problems(row)) or 'ok'} |"
        )
    return out


def _first_error(row: Row) -> str:
    bad = next(m for m in row.measures if m.server_error)
    return f"{row.name} {bad.error or bad.status}"


def _worst(items, fmt, count=5) -> str:
    return "; ".join(fmt(item) for item in items[:count]) or "none"


def targets(rows: list[Row], sizes: list[int]) -> tuple[list[str], bool]:
    """The targets' PASS/FAIL lines and whether all passed."""
    lines, passed = [], True

    def line(ok: bool, text: str, worst: str = ""):
        nonlocal passed
        passed = passed and ok
        lines.append(f"[{'PASS' if ok else 'FAIL'}] {text}" + (f"; worst: {worst}" if worst else ""))

    errors = [r for r in rows if any(m.server_error for m in r.measures)]
    line(
        not errors,
        f"no server error (5xx) on {len(rows)} pages",
        _worst(errors, _first_error),
    )
    paged = [r for r in rows if r.name in PAGED_EXPORTS]
    by_queries = sorted(
        (r for r in rows if r.name not in PAGED_EXPORTS), key=lambda r: -max(m.queries for m in r.measures)
    )
    over = [r for r in by_queries if max(m.queries for m in r.measures) > MAX_QUERIES]
    line(
        not over,
        f"at most {MAX_QUERIES} queries per page ({len(over)} over)",
        _worst(by_queries, lambda r: f"{r.name} {max(m.queries for m in r.measures)}"),
    )
    for r in paged:
        counts = " → ".join(f"{m.queries}" for m in r.measures)
        lines.append(f"[info] {r.name}: {counts} queries ({PAGED_EXPORTS[r.name]})")
    large = size_label(sizes[-1])
    html = sorted((r for r in rows if r.measures[-1].is_html), key=lambda r: -r.measures[-1].size)
    big = [r for r in html if r.measures[-1].size > MAX_HTML_KB * 1024]
    line(
        not big,
        f"HTML of every page under {MAX_HTML_KB} KB at {large} ({len(big)} over)",
        _worst(html, lambda r: f"{r.name} {r.measures[-1].size / 1024:.0f} KB", 3),
    )
    if len(sizes) > 1:
        timed = [r for r in rows if not math.isnan(ratio(r)) and r.measures[-1].is_html]
        downloads = sorted(
            (r for r in rows if not math.isnan(ratio(r)) and not r.measures[-1].is_html),
            key=lambda r: -ratio(r),
        )
        by_ratio = sorted(timed, key=lambda r: -ratio(r))
        slow = [r for r in by_ratio if ratio(r) > MAX_RATIO]
        line(
            not slow,
            f"p50 at {large} within {MAX_RATIO}x of p50 at {size_label(sizes[0])} on every HTML page "
            f"({len(slow)} over)",
            _worst(by_ratio, lambda r: f"{r.name} {ratio(r):.2f}x ({_ms(r.measures[-1].p50)} ms)"),
        )
        if downloads:
            lines.append(
                "[info] downloads (CSV, PDF, calendar) grow with their data, not judged by the page ratio: "
                + _worst(
                    downloads,
                    lambda r: (
                        f"{r.name} {ratio(r):.2f}x time for "
                        f"{r.measures[-1].size / max(r.measures[0].size, 1):.1f}x bytes"
                    ),
                    5,
                )
            )
        growing = [r for r in rows if len({m.queries for m in r.measures}) > 1]
        lines.append(
            f"[{'info' if not growing else 'WARN'}] same number of queries at both sizes "
            f"({len(growing)} differ)" + (f": {_worst(growing, lambda r: r.name, 10)}" if growing else "")
        )
    return lines, passed


def not_measured(skipped: list[tuple[str, str]]) -> list[str]:
    """One line per reason: the patterns sharing it (e.g. the admin's 20 unnamed redirects) together."""
    by_reason = {}
    for name, why in skipped:
        by_reason.setdefault(why, []).append(name)
    return [f"- {why}: {', '.join(names)}" for why, names in by_reason.items()]
