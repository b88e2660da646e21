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
import sys
import time
from pathlib import Path

from bench.datasets import VENDORS, Dataset, parse_sizes
from bench.report import PAGED_EXPORTS, Measure, Row, not_measured, size_label, table, targets

RESULTS = Path(__file__).resolve().parent / "results"
SMOKE_SIZE = 200
# Timed requests per dataset before switching to the next one.
ROUND = 3
# A whole-clinic export (PAGED_EXPORTS) is a download of every record: at a chain's size one takes
# minutes, and the page bench would request it at least five times per size. Above this many patients
# it is left to its own bench (bench/fhir_export.py: time, memory and queries per page of rows).
PAGED_EXPORT_MAX_PATIENTS = 10_000


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

    def first_look(self, dataset: Dataset, name: str, role: str) -> Measure:
        """A warm-up request, then one request whose queries, status and size are recorded."""
        from django.core.cache import cache
        from django.test.utils import CaptureQueriesContext

        self.use(dataset)
        page = self.pages[dataset.size].get(name)
        result = Measure()
        if page is None or not page.measured:
            result.status, result.error = "-", "not measurable on this dataset"
            return result
        client = self.clients[dataset.size][role]
        self.request(client, page.url)  # warm-up (templates, connection)
        # Counted with the cache emptied before each request, so that a page keeping figures in the
        # figure cache is counted (and timed, as "computed") when it computes them, its most
        # queries. Counted twice, the fewer kept: the session's "last seen" time is written at most
        # once a SEEN_RESOLUTION_SECONDS (clinic.middleware), on whichever request comes due; it
        # cannot fall on two requests in a row, and a page's own queries are the same on both.
        counts, times = [], []
        for _ in range(2):
            cache.clear()
            with CaptureQueriesContext(self.connection) as captured:
                times.append(self.request(client, page.url, result))
            counts.append(len(captured.captured_queries))
        result.queries = min(counts)
        result.computed = min(times)
        return result

    def time_round(self, dataset: Dataset, name: str, role: str, result: Measure, count: int) -> None:
        """``count`` timed requests on one dataset, after an untimed one (switching datasets
        reconnects, and the first request after it pays for the connection and a cold cache)."""
        self.use(dataset)
        page = self.pages[dataset.size][name]
        client = self.clients[dataset.size][role]
        self.request(client, page.url)
        for _ in range(count):
            result.times.append(self.request(client, page.url))

    def measure(self, name: str, role: str) -> list[Measure]:
        """Every dataset's figures for one page, timed in alternating rounds of ROUND requests (1k,
        100k, 1k, 100k...), so that a change in the machine's load over the page's measuring time
        falls on both sizes alike instead of on whichever size was measured second."""
        measures = [self.first_look(dataset, name, role) for dataset in self.datasets]
        if not self.reps:  # the smoke run: the counted request (cache emptied) is the only one timed
            for measure in measures:
                measure.times = [] if math.isnan(measure.computed) else [measure.computed]
            return measures
        timed = [
            (dataset, measure)
            for dataset, measure in zip(self.datasets, measures, strict=True)
            if not measure.error and not measure.server_error
        ]
        deadline = time.perf_counter() + self.max_seconds * max(len(timed), 1)
        done = 0
        while timed and done < self.reps:
            count = min(ROUND, self.reps - done)
            for dataset, measure in timed:
                self.time_round(dataset, name, role, measure, count)
            done += count
            # At least 5 requests per size, or one round when a single request takes longer than
            # the page's whole budget (a download of every row at 100k: tens of seconds each).
            slow = max(max(measure.times) for _, measure in timed) > self.max_seconds
            if (done >= 5 or slow) and time.perf_counter() > deadline:
                break
        return measures


def run_pages(
    bench: Bench, *, only: list[str] | None = None, skip: list[str] | None = None
) -> tuple[list[Row], list[tuple[str, str]]]:
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
        if skip and any(part in name or part in page.url for part in skip):
            skipped.append((name, "left out by --skip"))
            continue
        if name in PAGED_EXPORTS and bench.datasets[-1].size > PAGED_EXPORT_MAX_PATIENTS:
            skipped.append((name, "a whole-clinic export: not timed at this size (see bench/fhir_export.py)"))
            continue
        role = bench.pick_role(name)
        measures = bench.measure(name, role)
        rows.append(Row(name, page.shown, role, page.what, measures))
        last = measures[-1]
        print(
            f"  [{number:3d}/{len(names)}] {name:<52} {str(last.status):>4} {last.queries:3d} q "
            f"{'  '.join(f'{m.p50:7.1f}' for m in measures)} ms",
            flush=True,
        )
    return rows, skipped


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
    parser.add_argument(
        "--skip",
        default=os.environ.get("BENCH_SKIP", ""),
        help="comma-separated parts of page names or URLs to leave out (or BENCH_SKIP), e.g. "
        "export,csv,xlsx,pdf for the HTML pages alone: a whole-clinic download takes tens of "
        "seconds a request at 100k",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the datasets again")
    parser.add_argument("--no-signing", action="store_true", help="skip the signing micro-bench")
    parser.add_argument("--no-write", action="store_true", help="print only; no file in bench/results/")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"CI smoke run: SQLite, {SMOKE_SIZE} patients, no timed repetitions; exit 1 on a failed target",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.vendor = "sqlite"
        args.sizes = args.sizes or os.environ.get("BENCH_SMOKE_SIZE", str(SMOKE_SIZE))
        # The smoke targets are errors, queries and size, not time: no timed repetitions; the time
        # printed is the counted request's (with the cache emptied).
        args.reps = 0
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
    timing = f"{args.reps} repetitions (p50 ms per size)" if args.reps else "the counted request (ms)"
    print(f"\nPages on {args.vendor}, {' vs '.join(f'{s:,}' for s in sizes)} patients, {timing}:")
    rows, skipped = run_pages(
        bench,
        only=args.only.split(",") if args.only else None,
        skip=[part for part in args.skip.split(",") if part] or None,
    )
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
            "queries are counted on a warm request with Django's cache emptied first (a page keeping "
            "figures in the figure cache computes them), and that request's time is the 'computed' "
            "column; p50 and p95 are of repeated views. "
            "Ratio = p50 at the largest size / p50 at the smallest.",
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
            *not_measured(skipped),
            "",
        ]
    )
    print()
    print(text)
    if not args.no_write:
        day = time.strftime("%Y-%m-%d")
        write_results(RESULTS / f"{day}-{args.vendor}-{'-'.join(size_label(s) for s in sizes)}.md", text)
    if args.smoke:
        print(f"\nbench-smoke: {'PASS' if passed else 'FAIL (see the targets above)'}")
        return 0 if passed else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
