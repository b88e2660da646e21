"""Load bench: mixed physician and staff journeys (bench/load/locustfile.py) with locust, headless,
against gunicorn (the repo's gunicorn.conf.py, production settings, DEBUG off) and PostgreSQL, both
started here; then the checks: no error, p50/p95 per page, and the records consistent.

    python -m bench.load.run [--users 50] [--duration 600] [--patients 200]     (make bench-load)
    python -m bench.load.run --users 10 --duration 60                            (a short look)

1. A throwaway PostgreSQL cluster under bench/data/pg-load (127.0.0.1, BENCH_LOAD_PG_PORT, default
   54371). A demo clinic is seeded once per size into ``exolog_load_seed_<N>`` (migrate +
   seed_demo) and copied for each run into a fresh ``exolog_load`` (CREATE DATABASE ... TEMPLATE),
   which is migrated forward: each run starts from the same clinic in seconds.
2. One bench account per simulated user: physicians (``bench.load.physician.NN``) with a random
   password and a confirmed TOTP device whose key only this run knows, staff
   (``bench.load.staff.NN``) with a password (their role has no second factor).
3. gunicorn -c gunicorn.conf.py on 127.0.0.1 with bench/settings.py (the production settings with
   plain static storage: no collectstatic).
4. locust --headless, ``--users`` users (2 physicians to 3 staff) started at ``--spawn-rate`` per
   second, for ``--duration`` seconds; its stats CSV gives the figures per page.
5. Checks: no failed request (any answer but 2xx/3xx, or a form that came back instead of saving);
   ``manage.py check_integrity`` passes on the database (stock, doses, follow-ups, history rows);
   every write acknowledged to a client (the redirect after it) is in the database, and the
   treatments signed in the database by the bench physicians are exactly those acknowledged, each
   with one history row that signs it.

Prints the table and a PASS/FAIL summary and writes bench/results/<date>-load.md (not with
--no-write). Exits 1 on FAIL. Every step has a time limit; the server, the accounts' credentials
and the cluster are stopped or retired at the end, also on failure.
"""

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.datasets import DATA_DIR, ROOT
from bench.pg import Cluster
from bench.scaleout import base_env, free_port, start_gunicorn, stop

RESULTS = ROOT / "bench" / "results"
RUN_DB = "exolog_load"
PREFIX = "bench.load."
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
PHYSICIAN_SHARE = 2 / 5  # the locustfile's weights: Physician 2, Staff 3


def admin(cluster: Cluster, *statements: str) -> list:
    """Run statements on the cluster's maintenance database; the rows of each (empty for DDL)."""
    import psycopg

    results = []
    with psycopg.connect(cluster.url("postgres"), autocommit=True, connect_timeout=10) as db:
        for statement in statements:
            cursor = db.execute(statement)
            results.append(cursor.fetchall() if cursor.description else [])
    return results


def manage(env: dict, *args: str, timeout: int = 600, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our interpreter, our manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


def seeded(cluster: Cluster, env: dict, patients: int, *, reseed: bool) -> str:
    """The seed database for this size, built when missing or incomplete (under a temporary name,
    renamed when seed_demo finished)."""
    name = f"exolog_load_seed_{patients}"
    import psycopg

    with psycopg.connect(cluster.url("postgres"), connect_timeout=10) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchall()
    if exists and not reseed:
        print(f"Seed: reusing {name}")
        return name
    building = f"{name}_building"
    admin(cluster, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)', f'CREATE DATABASE "{building}"')
    started = time.monotonic()
    seed_env = env | {
        "DATABASE_URL": cluster.url(building),
        "DJANGO_DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
    }
    print(f"Seed: migrate + seed_demo --patients {patients} into {name}")
    manage(seed_env, "migrate", "--noinput", timeout=600)
    manage(seed_env, "seed_demo", "--patients", str(patients), timeout=900)
    admin(
        cluster,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'ALTER DATABASE "{building}" RENAME TO "{name}"',
    )
    print(f"Seed: built in {time.monotonic() - started:.0f} s")
    return name


def fresh_copy(cluster: Cluster, env: dict, seed: str) -> None:
    started = time.monotonic()
    admin(
        cluster,
        f'DROP DATABASE IF EXISTS "{RUN_DB}" WITH (FORCE)',
        f'CREATE DATABASE "{RUN_DB}" TEMPLATE "{seed}"',
    )
    manage(env, "migrate", "--noinput", timeout=600)
    print(f"Database: {RUN_DB}, a copy of {seed}, migrated ({time.monotonic() - started:.0f} s)")


# -- accounts, in this process with the ORM ---------------------------------------------------------


def setup_django(env: dict) -> None:
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DJANGO_", "DATABASE_URL", "EXOLOG_"))})
    import django

    django.setup()


def make_accounts(physicians: int, staff: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.db import connection, transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp.util import random_hex

    from clinic.roles import PHYSICIAN, STAFF

    accounts = {"physician": [], "staff": []}
    # One random password per role and run, hashed once (a hash takes a second here): throwaway
    # accounts, retired at the end.
    passwords = {role: secrets.token_urlsafe(18) for role in accounts}
    hashed = {role: make_password(password) for role, password in passwords.items()}
    with transaction.atomic():
        for role, group, count in (("physician", PHYSICIAN, physicians), ("staff", STAFF, staff)):
            for number in range(1, count + 1):
                username = f"{PREFIX}{role}.{number:02d}"
                password = passwords[role]
                user, _ = User.objects.update_or_create(
                    username=username,
                    defaults={
                        "first_name": "Load",
                        "last_name": f"{role.title()} {number:02d}",
                        "email": f"{username}@clinic.example",
                        "is_active": True,
                        "password": hashed[role],
                    },
                )
                user.groups.add(Group.objects.get(name=group))
                account = {"username": username, "password": password}
                if role == "physician":
                    TOTPDevice.objects.filter(user=user).delete()
                    account["key"] = random_hex(20)
                    TOTPDevice.objects.create(
                        user=user, name="Load bench", key=account["key"], confirmed=True
                    )
                accounts[role].append(account)
    connection.close()
    return accounts


def retire_accounts() -> None:
    """No known credential left behind: devices deleted, passwords unusable."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user__username__startswith=PREFIX).delete()
    User.objects.filter(username__startswith=PREFIX).update(password=make_password(None))
    connection.close()


def database_facts(acks: Counter, acked: dict) -> tuple[list[str], bool]:
    """Every acknowledged write is in the database; signed treatments match the acknowledgements."""
    from django.db import connection

    from treatments.models import FollowUp, Patient, SideEffectReport, Treatment, TreatmentStatus

    lines, ok = [], True
    signed_db = set(
        Treatment.objects.filter(
            physician__username__startswith=PREFIX, status=TreatmentStatus.SIGNED
        ).values_list("pk", flat=True)
    )
    signed_acked = {int(pk) for pk in acked["signed"]}
    missing = signed_acked - signed_db
    unacked = signed_db - signed_acked
    ok &= not missing
    lines.append(
        f"treatments signed by the bench physicians: {len(signed_acked)} acknowledged to clients, "
        f"{len(signed_db)} signed in the database; acknowledged but not signed: {len(missing)}; "
        f"signed without an acknowledgement: {len(unacked)} (a request cut by the run's end)"
    )
    history = Treatment.history.filter(id__in=signed_db, status=TreatmentStatus.SIGNED)
    per = Counter(history.values_list("id", flat=True))
    # A treatment is saved once as signed; the count of history rows that carry it signed.
    unsigned_history = [pk for pk in signed_db if per.get(pk, 0) < 1]
    ok &= not unsigned_history
    lines.append(
        f"history: {len(signed_db) - len(unsigned_history)} of {len(signed_db)} signed treatments have "
        f"a history row signing them ({sum(per.values())} such rows; a record with more than one: "
        f"{sum(1 for n in per.values() if n > 1)})"
    )
    for kind, model in (("patient", Patient), ("draft", Treatment), ("side_effect", SideEffectReport)):
        wanted = {int(pk) for pk in acked[kind]}
        found = set(model.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        ok &= found == wanted
        lines.append(f"{kind.replace('_', ' ')}s acknowledged: {len(wanted)}, in the database: {len(found)}")
    completed = {int(pk) for pk in acked["complete"]}
    done = set(
        FollowUp.objects.filter(pk__in=completed, completed_at__isnull=False).values_list("pk", flat=True)
    )
    ok &= done == completed
    lines.append(
        f"follow-ups completed: {len(completed)} acknowledged, {len(done)} completed in the database"
    )
    from treatments.models import FollowUpAttempt

    attempts = FollowUpAttempt.objects.filter(by__username__startswith=PREFIX).count()
    ok &= attempts >= acks["attempt"]
    lines.append(f"contact attempts: {acks['attempt']} acknowledged, {attempts} in the database")
    reviewed = {int(pk) for pk in acked["review"]}
    found = SideEffectReport.objects.filter(pk__in=reviewed, reviewed_at__isnull=False).count()
    ok &= found == len(reviewed)
    lines.append(f"side-effect reviews: {len(reviewed)} acknowledged, {found} reviewed in the database")
    connection.close()
    return lines, ok


# -- locust's figures -------------------------------------------------------------------------------


def read_stats(prefix: Path) -> tuple[list[dict], dict, list[dict], list[dict]]:
    with open(f"{prefix}_stats.csv", newline="") as handle:  # noqa: PTH123
        rows = list(csv.DictReader(handle))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    pages = [row for row in rows if row["Name"] != "Aggregated"]
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as handle:  # noqa: PTH123
            failures = list(csv.DictReader(handle))
    exceptions = []
    if Path(f"{prefix}_exceptions.csv").exists():
        with open(f"{prefix}_exceptions.csv", newline="") as handle:  # noqa: PTH123
            exceptions = list(csv.DictReader(handle))
    return pages, total, failures, exceptions


def table(pages: list[dict], total: dict) -> list[str]:
    lines = [
        "| page | requests | failures | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in sorted(pages, key=lambda r: -float(r["95%"] or 0)):
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} "
            f"| {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
    lines.append(
        f"| **all** | {total['Request Count']} | {total['Failure Count']} | {total['50%']} | {total['95%']} "
        f"| {total['99%']} | {float(total['Max Response Time']):.0f} |"
    )
    return lines


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("BENCH_LOAD_USERS", 50)))
    parser.add_argument(
        "--duration",
        type=int,
        default=int(os.environ.get("BENCH_LOAD_SECONDS", 600)),
        help="seconds of load (default 600)",
    )
    parser.add_argument("--spawn-rate", type=float, default=0.5, help="users started per second")
    parser.add_argument("--patients", type=int, default=int(os.environ.get("BENCH_LOAD_PATIENTS", 200)))
    parser.add_argument("--reseed", action="store_true", help="seed the demo clinic again")
    parser.add_argument("--no-write", action="store_true", help="print only; no file in bench/results/")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.users < 2 or args.duration < 10:
        raise SystemExit(
            "--users must be at least 2 (a physician and a staff member), --duration at least 10 s"
        )
    started = time.monotonic()
    cluster = Cluster(port=int(os.environ.get("BENCH_LOAD_PG_PORT", 54371)), directory=DATA_DIR / "pg-load")
    work = Path(tempfile.mkdtemp(prefix="exolog-load-"))
    server = None
    accounts_made = False
    physicians = max(1, round(args.users * PHYSICIAN_SHARE))
    staff = max(1, args.users - physicians)
    try:
        cluster.start()
        env = base_env(cluster.url(RUN_DB))
        seed = seeded(cluster, env, args.patients, reseed=args.reseed)
        fresh_copy(cluster, env, seed)
        setup_django(env)
        # One spare account per role: locust's weights may start one more of either kind.
        credentials = make_accounts(physicians + 1, staff + 1)
        accounts_made = True
        (work / "credentials.json").write_text(json.dumps(credentials))
        (work / "credentials.json").chmod(0o600)
        acks_file = work / "acks.txt"
        acks_file.touch()
        port = free_port()
        log = DATA_DIR / "load-gunicorn.log"
        server = start_gunicorn(env, port, log)
        cores = os.cpu_count() or 1
        workers = f"{min(2 * cores + 1, 12)} workers x 2 threads"  # gunicorn.conf.py's defaults
        print(f"gunicorn -c gunicorn.conf.py on 127.0.0.1:{port} (bench/settings.py: production, DEBUG off)")
        prefix = work / "locust"
        command = [
            str(Path(sys.executable).with_name("locust")),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(args.users),
            "--spawn-rate",
            str(args.spawn_rate),
            "--run-time",
            f"{args.duration}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--stop-timeout",
            "90",
            "--loglevel",
            "WARNING",
            "--only-summary",
        ]
        print(f"locust: {args.users} users ({physicians} physicians, {staff} staff), {args.duration} s")
        locust_env = env | {
            "LOAD_CREDENTIALS": str(work / "credentials.json"),
            "LOAD_ACKS": str(acks_file),
            "PYTHONPATH": str(ROOT),
        }
        out = subprocess.run(  # noqa: S603 (the venv's locust, our locustfile)
            command,
            cwd=ROOT,
            env=locust_env,
            capture_output=True,
            text=True,
            timeout=args.duration + 180,
        )
        (DATA_DIR / "load-locust.log").write_text(out.stdout + out.stderr)
        if not Path(f"{prefix}_stats.csv").exists():
            print(out.stdout[-3000:], out.stderr[-3000:])
            raise SystemExit("locust wrote no statistics")
        pages, total, failures, exceptions = read_stats(prefix)
        # A journey that broke off (a page without the form it needed, a user that could not sign in).
        broken = sum(int(row["Count"]) for row in exceptions)
        stop(server)
        server = None

        acked = {
            kind: []
            for kind in ("patient", "draft", "signed", "side_effect", "review", "attempt", "complete")
        }
        for line in acks_file.read_text().splitlines():
            kind, _, pk = line.partition(" ")
            acked[kind].append(pk)
        acks = Counter({kind: len(pks) for kind, pks in acked.items()})
        integrity = manage(env, "check_integrity", timeout=600, check=False)
        facts, facts_ok = database_facts(acks, acked)

        errors = int(total["Failure Count"])
        checks = [
            (
                errors == 0,
                f"{errors} failed requests of {total['Request Count']} (non-2xx/3xx, or a form "
                "re-displayed instead of saved)",
            ),
            (
                broken == 0,
                f"{broken} journeys broke off with an exception in the client (locust's exceptions)",
            ),
            (integrity.returncode == 0, "manage.py check_integrity on the database after the run"),
            (
                facts_ok,
                "every acknowledged write is in the database; signed treatments match the acknowledgements",
            ),
        ]
        passed = all(ok for ok, _ in checks)
        from bench.machine import header

        text = "\n".join(
            [
                f"# Load: {args.users} users for {args.duration} s, gunicorn + PostgreSQL",
                "",
                header(cluster.version()),
                f"- command: `python -m bench.load.run {' '.join(sys.argv[1:])}`",
                f"- server: gunicorn -c gunicorn.conf.py ({workers}, gthread), bench/settings.py "
                "(production settings, DEBUG off, second factor required), 127.0.0.1",
                f"- clinic: seed_demo --patients {args.patients}, copied fresh for the run",
                f"- users: {physicians} physicians (password + TOTP), {staff} staff; locust starting "
                f"{args.spawn_rate}/s, 3 to 10 s between tasks, on the same machine as the server",
                f"- took: {time.monotonic() - started:.0f} s in all",
                f"- writes acknowledged: {acks['patient']} patients registered, {acks['draft']} treatments "
                f"recorded, {acks['signed']} signed, {acks['side_effect']} side effects reported, "
                f"{acks['review']} reviewed, {acks['attempt']} contact attempts, "
                f"{acks['complete']} follow-ups completed",
                "",
                *table(pages, total),
                "",
                *(
                    [
                        "Failures:",
                        "",
                        *[f"- {row['Occurrences']}x {row['Name']}: {row['Error']}" for row in failures],
                        "",
                    ]
                    if failures
                    else []
                ),
                *(
                    [
                        "Journeys broken off (locust's exceptions):",
                        "",
                        *[f"- {row['Count']}x {row['Message'][:200]}" for row in exceptions],
                        "",
                    ]
                    if exceptions
                    else []
                ),
                "Integrity (`manage.py check_integrity`):",
                "",
                "```",
                (integrity.stdout + integrity.stderr).strip(),
                "```",
                "",
                "Acknowledged writes against the database:",
                "",
                *[f"- {line}" for line in facts],
                "",
                *[f"[{'PASS' if ok else 'FAIL'}] {what}" for ok, what in checks],
                "",
                f"{'PASS' if passed else 'FAIL'}",
                "",
            ]
        )
        print()
        print(text)
        if not args.no_write:
            path = RESULTS / f"{time.strftime('%Y-%m-%d')}-load.md"
            path.write_text(text)
            print(f"Written to {path.relative_to(ROOT)}")
        return 0 if passed else 1
    finally:
        if server is not None:
            stop(server)
        if accounts_made:
            retire_accounts()
        cluster.stop()
        for leftover in work.glob("*"):
            leftover.unlink()
        work.rmdir()


if __name__ == "__main__":
    sys.exit(main())
