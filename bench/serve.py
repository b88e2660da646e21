"""Serve bench: gunicorn with the production settings on loopback, a bench physician who signs in
over HTTP with a password and a real TOTP code, and wrk against the heaviest pages and a minimal
signed-in page on the same server; requests/s per page and the ratio to the minimal page.

    python -m bench.serve [--vendor postgresql|sqlite] [--size 100000] [--duration 10]

Production settings: clinic.settings through bench/serve_settings.py, DEBUG off, a random secret
key, the second factor required. Only STATIC_ROOT moves, to bench/data/static, collected once and
reused while the static sources are unchanged. Plain HTTP on 127.0.0.1, so
DJANGO_SECURE_SSL_REDIRECT is off; cookies stay Secure and the bench sends them back itself. Every
step has a time limit. See bench/README.md.
"""

import argparse
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

from bench.browser import Browser, sign_in
from bench.datasets import DATA_DIR, ROOT, VENDORS, Dataset
from bench.scaleout import start_gunicorn, stop

RESULTS = Path(__file__).resolve().parent / "results"
STATIC_ROOT = DATA_DIR / "static"
SERVE_USER = "bench.serve"
MIN_SHARE = 0.5
TARGET_PAGES = ("worklist", "patient page", "lot page")
# The lightest page behind the login that renders the whole base layout (navigation, messages,
# footer): the calendar-link page reads the user's own feed row and nothing that grows with patients
# (7 queries, most of them the session, the user, the second factor and the role check).
MINIMAL = ("minimal: calendar link", "/calendar/")
WARMUP_SECONDS = 2


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is not installed: sudo apt-get install wrk")
    print("Installing wrk (apt-get install wrk)")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(command, env=env, check=True, timeout=300, capture_output=True)  # noqa: S603
    return shutil.which("wrk") or "wrk"


# -- the bench user and the pages, prepared in this process with the ORM ---------------------------


def prepare(dataset: Dataset) -> tuple[dict, list[tuple[str, str]]]:
    """Create (or reset) the bench physician with a fresh password and a fresh confirmed TOTP device
    whose key only this run knows, and find the heavy pages' URLs. Returns the credentials and the
    pages."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.update(dataset.env())
    import django

    django.setup()
    from axes.models import AccessAttempt
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp.util import random_hex

    from bench.walk import representatives
    from clinic.roles import PHYSICIAN

    found = representatives()
    user, _ = User.objects.get_or_create(
        username=SERVE_USER, defaults={"first_name": "Bench", "last_name": "Serve"}
    )
    user.groups.add(Group.objects.get(name=PHYSICIAN))
    password = secrets.token_urlsafe(24)
    user.set_password(password)
    user.is_active = True
    user.save()
    TOTPDevice.objects.filter(user=user).delete()
    key = random_hex(20)
    TOTPDevice.objects.create(user=user, name="Bench authenticator", key=key, confirmed=True)
    AccessAttempt.objects.filter(username=SERVE_USER).delete()
    pages = [
        MINIMAL,
        # The whole clinic's worklist: the bench physician treated nobody, so their own default list
        # (?physician= unset) would be empty; the nurse's view, every physician's follow-ups, is the
        # heavy one.
        ("worklist", "/followups/?physician="),
        ("patient page", f"/patients/{found.patient}/"),
        ("lot page", f"/lots/{found.lot}/"),
        ("dashboard", "/"),
    ]
    notes = f"patient: {found.notes['patient']}; lot: {found.notes['lot']}"
    connection.close()
    return {"username": SERVE_USER, "password": password, "key": key, "notes": notes}, pages


def retire_user() -> None:
    """Leave no known credential behind: the device goes, the password becomes unusable."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user__username=SERVE_USER).delete()
    user = User.objects.filter(username=SERVE_USER).first()
    if user:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    connection.close()


# -- gunicorn and wrk ------------------------------------------------------------------------------


def static_fingerprint() -> str:
    """Changes when a collected file could: the project's static folder, the npm and pip pins."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "static").rglob("*")):
        stat = path.stat()
        digest.update(f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for pinned in ("package-lock.json", "requirements.txt"):
        digest.update((ROOT / pinned).read_bytes())
    return digest.hexdigest()[:16]


def collect_static(env: dict) -> None:
    """collectstatic with the production storage (hashed names, compressed copies) into
    bench/data/static; reused while the sources are unchanged (compressing takes minutes)."""
    stamp = STATIC_ROOT / ".bench-fingerprint"
    fingerprint = static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        print("collectstatic: reusing bench/data/static (sources unchanged)")
        return
    started = time.monotonic()
    shutil.rmtree(STATIC_ROOT, ignore_errors=True)
    STATIC_ROOT.mkdir(parents=True)
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=600,
    )  # fmt: skip
    stamp.write_text(fingerprint)
    print(f"collectstatic: {time.monotonic() - started:.0f} s into bench/data/static")


def production_env(dataset: Dataset) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EXOLOG_DEMO"))}
    return (
        env
        | dataset.env()
        | {
            "DJANGO_SETTINGS_MODULE": "bench.serve_settings",
            "BENCH_STATIC_ROOT": str(STATIC_ROOT),
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            # Loopback without TLS: no redirect to https. Cookies stay Secure (the default).
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
    )


def run_wrk(wrk: str, port: int, path: str, cookie: str, *, duration: int, connections: int) -> dict:
    command = [
        wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
        "-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout  # noqa: S603

    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, out)
        return float(match[1]) if match else default

    def latency_ms(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if not match:
            return float("nan")
        scale = {"us": 0.001, "ms": 1, "s": 1000}[match[2]]
        return float(match[1]) * scale

    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(number(r"(\d+) requests in")),
        "p50": latency_ms("50"),
        "p99": latency_ms("99"),
        "non_2xx": int(number(r"Non-2xx or 3xx responses:\s+(\d+)")),
        "socket_errors": "Socket errors" in out,
        "raw": out,
    }


# -- report ----------------------------------------------------------------------------------------


def report(results: list[tuple[str, str, dict]]) -> tuple[list[str], bool]:
    """The table: each page's mean requests/s and latencies over its runs, and its share of the
    minimal page's requests/s (the median of its rounds, each against the minimal runs around it)."""
    lines = [
        "| page | url | requests/s | p50 ms | p99 ms | requests | non-2xx | share of minimal | verdict |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    passed = True
    for label, path, figures in results:
        share = figures.get("share", 1.0)
        ok = share >= MIN_SHARE and not figures["non_2xx"]
        if label.startswith("minimal"):
            verdict = "reference"
        elif label in TARGET_PAGES:
            passed = passed and ok
            verdict = "PASS" if ok else "FAIL"
        else:
            verdict = ("at least" if ok else "under") + f" {MIN_SHARE:.0%} (not a target)"
        lines.append(
            f"| {label} | {path} | {figures['rps']:.1f} | {figures['p50']:.1f} | {figures['p99']:.1f} "
            f"| {figures['requests']} | {figures['non_2xx']} | {share:.0%} | {verdict} |"
        )
    return lines, passed


def gunicorn_config(env: dict) -> str:
    """The workers, threads and worker class gunicorn.conf.py gives in this environment."""
    program = (
        "import runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "print(c['workers'], c['threads'], c['worker_class'])"
    )
    found = subprocess.run(  # noqa: S603 (our own interpreter and a program written here)
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    workers, threads, worker_class = found.stdout.split()
    return f"{workers} {worker_class} workers, {threads} threads each"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--vendor", choices=VENDORS, default=os.environ.get("BENCH_SERVE_VENDOR", "postgresql")
    )
    parser.add_argument("--size", type=int, default=int(os.environ.get("BENCH_SERVE_SIZE", 100_000)))
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_SERVE_SECONDS", 10)))
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument(
        "--rounds",
        type=int,
        default=int(os.environ.get("BENCH_SERVE_ROUNDS", 2)),
        help="rounds of (minimal, page, minimal, page, ...); a page's share is the median of its rounds",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn processes (GUNICORN_WORKERS); default: gunicorn.conf.py's, as deployed",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_SERVE_PORT", 8350)))
    parser.add_argument("--rebuild", action="store_true", help="build the dataset again")
    parser.add_argument("--no-write", action="store_true", help="print only; no file in bench/results/")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    wrk = ensure_wrk()
    cluster = server = None
    prepared = False
    try:
        if args.vendor == "postgresql":
            from bench.pg import Cluster

            cluster = Cluster().start()
        dataset = Dataset(args.vendor, args.size, cluster).ensure(rebuild=args.rebuild)
        credentials, pages = prepare(dataset)
        prepared = True
        env = production_env(dataset)
        collect_static(env)
        log = DATA_DIR / "gunicorn.log"
        # As deployed: gunicorn.conf.py (its workers, threads and worker class, its access log),
        # bound to the bench's port; the access and error log lines go to bench/data/gunicorn.log.
        if args.workers:
            env["GUNICORN_WORKERS"] = str(args.workers)
        server_config = gunicorn_config(env)
        print(f"gunicorn: {server_config} on 127.0.0.1:{args.port}, {dataset.label}, DEBUG off")
        server = start_gunicorn(env, args.port, log, workers=args.workers)

        browser = Browser(args.port)
        sign_in(browser, credentials)
        cookie = browser.cookie_header()
        for label, path in pages:
            status, location, _ = browser.request("GET", path)
            if status != 200:
                raise SystemExit(f"{label} {path} answered {status} {location} for the signed-in session")
        print(
            f"Signed in as {SERVE_USER} with password + TOTP; every page answers 200. wrk: "
            f"{args.duration} s, {args.connections} connections per page"
        )

        # Warm-up (not reported): every page for a few seconds, so that no measured run pays for
        # the workers' first connections, template loading and PostgreSQL's cold buffers.
        for _, path in pages:
            run_wrk(wrk, args.port, path, cookie, duration=WARMUP_SECONDS, connections=args.connections)
        # Each page is measured between two runs of the minimal page, in ROUNDS rounds: its share
        # is against the mean of the two minimal runs around it, so a change in the machine's load
        # (this machine is shared) falls on the page and its reference alike; the page's share is
        # the median of its rounds.
        minimal, heavy = pages[0], pages[1:]
        shares: dict[str, list[float]] = {label: [] for label, _ in heavy}
        runs: dict[str, list] = {label: [] for label, _ in pages}

        def measure(label, path):
            figures = run_wrk(
                wrk, args.port, path, cookie, duration=args.duration, connections=args.connections
            )
            print(f"  {label:<20} {path:<24} {figures['rps']:8.1f} req/s  p50 {figures['p50']:.1f} ms")
            runs[label].append((label, path, figures))
            return figures["rps"]

        for round_number in range(1, args.rounds + 1):
            print(f"Round {round_number} of {args.rounds}")
            before = measure(*minimal)
            for label, path in heavy:
                rps = measure(label, path)
                after = measure(*minimal)
                shares[label].append(rps / ((before + after) / 2))
                before = after
        minimal_runs = runs[minimal[0]]
        results = [(f"{minimal[0]} (mean of {len(minimal_runs)} runs)", minimal[1], _mean(minimal_runs))]
        results += [
            (label, path, _mean(runs[label]) | {"share": median(shares[label])}) for label, path in heavy
        ]
        table, passed = report(results)
        from bench.machine import header

        text = "\n".join(
            [
                f"# Serve bench: gunicorn + {dataset.label}",
                "",
                header(cluster.version() if cluster else None),
                f"- command: `python -m bench.serve {' '.join(sys.argv[1:])}`",
                f"- server: gunicorn.conf.py ({server_config}), production settings (DEBUG off, "
                "second factor required), 127.0.0.1",
                f"- load: wrk 1 thread, {args.connections} connections, {args.duration} s per run, "
                f"{args.rounds} rounds of the minimal page around each page (after a {WARMUP_SECONDS} s "
                "warm-up of every page), on the same machine as the server; share = the median over the "
                "rounds of the page's requests/s over the mean of the two minimal runs around it",
                f"- took: {time.monotonic() - started:.0f} s",
                f"- {credentials['notes']}",
                "",
                *table,
                "",
                f"[{'PASS' if passed else 'FAIL'}] the worklist, the patient page and the lot page each "
                f"serve at least {MIN_SHARE:.0%} of the minimal page's requests/s (the dashboard is shown, "
                "not a target)",
                "",
            ]
        )
        print()
        print(text)
        if not args.no_write:
            path = RESULTS / f"{time.strftime('%Y-%m-%d')}-serve-{args.vendor}-{args.size}.md"
            path.write_text(text)
            print(f"Written to {path.relative_to(ROOT)}")
        return 0
    finally:
        stop(server)
        if prepared:
            retire_user()
        if cluster is not None:
            cluster.stop()


def _mean(runs) -> dict:
    keys = ("rps", "p50", "p99")
    figures = {key: sum(run[2][key] for run in runs) / len(runs) for key in keys}
    figures["requests"] = sum(run[2]["requests"] for run in runs)
    figures["non_2xx"] = sum(run[2]["non_2xx"] for run in runs)
    return figures


if __name__ == "__main__":
    sys.exit(main())
