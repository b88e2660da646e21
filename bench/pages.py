"""Page bench: every page of the URL walk on two dataset sizes side by side, in one process per
database vendor; queries, p50 and p95 server time, HTML size, and the targets of issue 10.

    python -m bench.pages --vendor sqlite [--sizes 1000,100000] [--reps 15]
    python -m bench.pages --vendor postgresql
    python -m bench.pages --smoke            # CI: SQLite, 200 patients, exits 1 on a failed target

Settings: bench/settings.py (production settings in-process: DEBUG off, cached templates). The
connection's NAME is switched between the datasets page by page, so both sizes are measured
minutes apart under the same conditions. See bench/README.md.
"""

import argparse
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.datasets import VENDORS, Dataset, parse_sizes

RESULTS = Path(__file__).resolve().parent / "results"
MAX_QUERIES = 12
MAX_HTML_KB = 150
MAX_RATIO = 1.5
SMOKE_SIZE = 200


@dataclass
class Measure:
    status: int | str = 0
    queries: int = 0
    size: int = 0
    content_type: str = ""
    times: list = field(default_factory=list)
    error: str = ""

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
        return not isinstance(self.status, int) or self.status >= 500


def size_label(size: int) -> str:
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return str(size)


class Bench:
    """Holds the Django side: datasets, connection switching, clients, measuring."""

    def __init__(self, datasets: list[Dataset], *, reps: int, max_seconds: float):
        from django.db import connections

        self.datasets = datasets
        self.reps = reps
        self.max_seconds = max_seconds
        self.connection = connections["default"]
        self.current = None
        self.found = {}
        self.pages = {}
        self.clients = {}

    def use(self, dataset: Dataset) -> None:
        from django.contrib.contenttypes.models import ContentType

        if self.current is not dataset:
            self.connection.close()
            self.connection.settings_dict["NAME"] = dataset.name
            ContentType.objects.clear_cache()
            self.current = dataset

    def prepare(self) -> None:
        from bench.walk import pages, representatives
        from tests.helpers.auth import login_verified

        for dataset in self.datasets:
            self.use(dataset)
            found = self.found[dataset.size] = representatives()
            self.pages[dataset.size] = {page.name: page for page in pages(found)}
            users = found.users
            clients = self.clients[dataset.size] = {"anonymous": self._client()}
            for role in ("physician", "clinic_admin", "superuser"):
                clients[role] = login_verified(self._client(), users[role])
            # Signed in with the password only: the second-factor pages.
            clients["unverified"] = self._client()
            clients["unverified"].force_login(users["physician"])
            clients["unenrolled"] = self._client()
            clients["unenrolled"].force_login(users["unenrolled"])

    @staticmethod
    def _client():
        from django.test import Client

        return Client(raise_request_exception=True)

    def request(self, client, url: str, measure: Measure | None = None) -> float:
        started = time.perf_counter()
        try:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            response.close()
        except Exception as error:  # noqa: BLE001 (an error is a result: reported as a 5xx)
            elapsed = time.perf_counter() - started
            if measure is not None:
                measure.status, measure.error = "EXC", f"{type(error).__name__}: {error}"[:200]
            return elapsed
        elapsed = time.perf_counter() - started
        if measure is not None:
            measure.status = response.status_code
            measure.size = len(body)
            measure.content_type = response.get("Content-Type", "")
        return elapsed

    def pick_role(self, name: str) -> str:
        """The first of the page's roles that gets the page (not refused with 403, nor hidden with
        404, as the admin hides what a role may not see), on the first dataset."""
        dataset = self.datasets[0]
        self.use(dataset)
        page = self.pages[dataset.size][name]
        for role in page.roles:
            probe = Measure()
            self.request(self.clients[dataset.size][role], page.url, probe)
            if probe.status not in (403, 404):
                return role
        return page.roles[-1]

    def measure(self, dataset: Dataset, name: str, role: str) -> Measure:
        from django.test.utils import CaptureQueriesContext

        self.use(dataset)
        page = self.pages[dataset.size].get(name)
        result = Measure()
        if page is None or not page.measured:
            result.status, result.error = "-", "not measurable on this dataset"
            return result
        client = self.clients[dataset.size][role]
        self.request(client, page.url)  # warm-up (templates, connection)
        with CaptureQueriesContext(self.connection) as captured:
            self.request(client, page.url, result)
        result.queries = len(captured.captured_queries)
        if result.server_error:
            return result
        deadline = time.perf_counter() + self.max_seconds
        for rep in range(self.reps):
            result.times.append(self.request(client, page.url))
            if rep >= 4 and time.perf_counter() > deadline:
                break
        return result


@dataclass
class Row:
    name: str
    url: str
    role: str
    what: str
    measures: list  # one Measure per dataset, in size order


def run_pages(bench: Bench, *, only: list[str] | None = None) -> tuple[list[Row], list[tuple[str, str]]]:
    first = bench.datasets[0].size
    rows, skipped = [], []
    names = list(bench.pages[first])
    for number, name in enumerate(names, start=1):
        page = bench.pages[first][name]
        if not page.measured:
            skipped.append((name, page.skip))
            continue
        if only and not any(part in name or part in page.url for part in only):
            continue
        role = bench.pick_role(name)
        measures = [bench.measure(dataset, name, role) for dataset in bench.datasets]
        rows.append(Row(name, page.url, role, page.what, measures))
        last = measures[-1]
        print(
            f"  [{number:3d}/{len(names)}] {name:<52} {str(last.status):>4} {last.queries:3d} q "
            f"{'  '.join(f'{m.p50:7.1f}' for m in measures)} ms",
            flush=True,
        )
    return rows, skipped


# -- verdicts and report ---------------------------------------------------------------------------


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
        found.append(f"slow x{ratio(row):.2f}")
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
        f"| page | url | role | status | queries {small}/{large} | p50 {small} | p50 {large} "
        f"| p95 {small} | p95 {large} | ratio | KB {large} | verdict |",
        "|---" * 12 + "|",
    ]
    for row in rows:
        s, lg = row.measures[0], row.measures[-1]
        status = s.status if s.status == lg.status else f"{s.status}/{lg.status}"
        out.append(
            f"| {row.name} | {row.url} | {row.role} | {status} | {s.queries}/{lg.queries} | {_ms(s.p50)} "
            f"| {_ms(lg.p50)} | {_ms(s.p95)} | {_ms(lg.p95)} | {ratio(row):.2f} | {lg.size / 1024:.1f} "
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
    by_queries = sorted(rows, key=lambda r: -max(m.queries for m in r.measures))
    over = [r for r in by_queries if max(m.queries for m in r.measures) > MAX_QUERIES]
    line(
        not over,
        f"at most {MAX_QUERIES} queries per page ({len(over)} over)",
        _worst(by_queries, lambda r: f"{r.name} {max(m.queries for m in r.measures)}"),
    )
    large = size_label(sizes[-1])
    html = sorted((r for r in rows if r.measures[-1].is_html), key=lambda r: -r.measures[-1].size)
    big = [r for r in html if r.measures[-1].size > MAX_HTML_KB * 1024]
    line(
        not big,
        f"HTML of every page under {MAX_HTML_KB} KB at {large} ({len(big)} over)",
        _worst(html, lambda r: f"{r.name} {r.measures[-1].size / 1024:.0f} KB", 3),
    )
    if len(sizes) > 1:
        timed = [r for r in rows if not math.isnan(ratio(r))]
        by_ratio = sorted(timed, key=lambda r: -ratio(r))
        slow = [r for r in by_ratio if ratio(r) > MAX_RATIO]
        line(
            not slow,
            f"p50 at {large} within {MAX_RATIO}x of p50 at {size_label(sizes[0])} on every page "
            f"({len(slow)} over)",
            _worst(by_ratio, lambda r: f"{r.name} {ratio(r):.2f}x ({_ms(r.measures[-1].p50)} ms)"),
        )
        growing = [r for r in rows if len({m.queries for m in r.measures}) > 1]
        lines.append(
            f"[{'info' if not growing else 'WARN'}] same number of queries at both sizes "
            f"({len(growing)} differ)" + (f": {_worst(growing, lambda r: r.name, 10)}" if growing else "")
        )
    return lines, passed


def write_results(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"\nWritten to {path.relative_to(path.parents[2])}")


# -- command line ----------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendor", choices=VENDORS, default=os.environ.get("BENCH_VENDOR", "sqlite"))
    parser.add_argument("--sizes", help="patients per dataset, e.g. 1000,100000 (or BENCH_SIZES)")
    parser.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", 15)))
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=float(os.environ.get("BENCH_MAX_SECONDS", 5)),
        help="time budget per page and size (at least 5 repetitions are taken)",
    )
    parser.add_argument("--only", help="comma-separated parts of page names or URLs to measure")
    parser.add_argument("--rebuild", action="store_true", help="build the datasets again")
    parser.add_argument("--no-signing", action="store_true", help="skip the signing micro-bench")
    parser.add_argument("--no-write", action="store_true", help="print only; no file in bench/results/")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"CI smoke run: SQLite, {SMOKE_SIZE} patients, 3 repetitions; exit 1 on a failed target",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.vendor = "sqlite"
        args.sizes = args.sizes or os.environ.get("BENCH_SMOKE_SIZE", str(SMOKE_SIZE))
        args.reps = min(args.reps, 3)
        args.max_seconds = min(args.max_seconds, 1)
        args.no_signing = True
        args.no_write = True
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    sizes = parse_sizes(args.sizes) if not args.smoke else parse_sizes(args.sizes, default=[SMOKE_SIZE])
    cluster = None
    started = time.monotonic()
    try:
        if args.vendor == "postgresql":
            from bench.pg import Cluster

            cluster = Cluster().start()
        datasets = [Dataset(args.vendor, size, cluster).ensure(rebuild=args.rebuild) for size in sizes]
        seeded = time.monotonic()
        return measure_and_report(args, datasets, cluster, started, seeded)
    finally:
        if cluster is not None:
            cluster.stop()


def measure_and_report(args, datasets, cluster, started, seeded) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.update(datasets[0].env())
    import django

    django.setup()
    from bench.machine import header

    sizes = [d.size for d in datasets]
    bench = Bench(datasets, reps=args.reps, max_seconds=args.max_seconds)
    bench.prepare()
    print(
        f"\nPages on {args.vendor}, {' vs '.join(f'{s:,}' for s in sizes)} patients, "
        f"{args.reps} repetitions (p50 ms per size):"
    )
    rows, skipped = run_pages(bench, only=args.only.split(",") if args.only else None)
    lines_targets, passed = targets(rows, sizes)

    signing_lines = []
    if not args.no_signing:
        from bench.signing import report, signing_bench

        bench.use(datasets[-1])
        users = bench.found[datasets[-1].size].users
        figures = signing_bench(
            physician=users["physician"], clinic_admin=users["clinic_admin"], reps=args.reps
        )
        signing_lines = report(figures, datasets[-1].label)
        passed = passed and figures["passed"]

    found = bench.found[sizes[-1]]
    elapsed = time.monotonic() - started
    text = "\n".join(
        [
            f"# Page bench: {args.vendor}, {' vs '.join(f'{s:,}' for s in sizes)} patients",
            "",
            header(cluster.version() if cluster else None),
            f"- command: `python -m bench.pages {' '.join(sys.argv[1:])}` "
            f"(reps {args.reps}, at most {args.max_seconds:g} s per page and size)",
            f"- took: {elapsed:.0f} s ({seeded - started:.0f} s of it finding or building datasets)",
            "",
            "## Pages",
            "",
            *table(rows, sizes),
            "",
            "Server time is measured in-process (django.test.Client, production middleware, DEBUG off); "
            "queries are counted on a warm request. Ratio = p50 at the largest size / p50 at the smallest.",
            "",
            f"Representatives at {sizes[-1]:,} patients: "
            + "; ".join(f"{key}: {note}" for key, note in found.notes.items()),
            "",
            "## Targets",
            "",
            *lines_targets,
            "",
            *(signing_lines + [""] if signing_lines else []),
            "## Not measured by GET",
            "",
            *[f"- {name}: {why}" for name, why in skipped],
            "",
        ]
    )
    print()
    print(text)
    if not args.no_write:
        day = time.strftime("%Y-%m-%d")
        write_results(RESULTS / f"{day}-{args.vendor}-{'-'.join(size_label(s) for s in sizes)}.md", text)
    return 0 if passed or not args.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
