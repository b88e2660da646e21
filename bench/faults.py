"""Fault drills: each scripted and repeatable, printing what the user saw and what was kept.

    python -m bench.faults [--drills restart,disk-full,digest-kill,digest-window,conflicts]
    (make bench-faults; all drills by default)

- restart: PostgreSQL stopped (-m fast) under load from client threads that register patients and
  read pages over HTTP, held down a few seconds, started again. What each client got during the
  outage (503 with the styled "try again" page, nothing internal), how long until the app answered
  again by itself, and whether every write acknowledged to a client (the redirect to the new record)
  is in the database.
- disk-full: SQLite that cannot grow (``PRAGMA max_page_count`` held at the file's size by
  bench/faults_settings.py, as a full disk): the user's save gets the 503 page, neither the record
  nor its history row is written, and the same save succeeds once the limit is lifted.
- digest-kill: ``manage.py send_digests`` with a slow mail backend (bench/faults_mail.py, one file
  per mail) killed with SIGKILL half-way, then run again: every recipient has exactly one mail for
  the day and one SentDigest row.
- digest-window: the same, killed in the moment between a mail leaving and its SentDigest row's
  commit (widened by the drill's backend): that one recipient gets the digest twice, as
  treatments.tasks.send_once documents; nobody misses theirs.
- conflicts: two sessions of the treating physician sign the same draft at once, two sessions save
  the same patient at once, and staff record a contact attempt on a follow-up as the physician
  completes it (PostgreSQL, over HTTP): one wins, the other gets the app's conflict message,
  nothing is lost, the history shows one signature and one change.

gunicorn runs the repo's gunicorn.conf.py with bench/faults_settings.py (the production settings,
DEBUG off) on 127.0.0.1; PostgreSQL is a throwaway cluster under bench/data/pg-faults
(BENCH_FAULTS_PG_PORT, default 54381), SQLite a copy of a small demo clinic under bench/data.
Every subprocess has a time limit; everything started is stopped at the end, also on failure.
Exits 1 when a drill fails.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.client import HTTPException
from pathlib import Path

from bench.browser import Browser, sign_in
from bench.datasets import DATA_DIR, ROOT
from bench.load.forms import form_with
from bench.load.run import admin, seeded
from bench.pg import Cluster
from bench.scaleout import base_env, free_port, start_gunicorn, stop

DRILLS = ("restart", "disk-full", "digest-kill", "digest-window", "conflicts")
STYLED_503 = "The records are not reachable right now"
SQLITE_SEED = DATA_DIR / "faults-seed.sqlite3"
SEED_PATIENTS = 20


class Failed(Exception):
    pass


def check(condition: bool, what: str, lines: list[str]) -> bool:
    lines.append(f"  [{'PASS' if condition else 'FAIL'}] {what}")
    return condition


def manage(env: dict, *args: str, timeout: int = 600) -> str:
    out = subprocess.run(  # noqa: S603 (our interpreter, our manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode:
        raise Failed(f"manage.py {args[0]} failed: {out.stderr[-1500:]}")
    return out.stdout


def shell(env: dict, code: str) -> str:
    """Run ``code`` in ``manage.py shell`` against env's database; its last line of output."""
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def accounts(env: dict, physicians: int, staff: int) -> dict:
    return json.loads(
        shell(
            env,
            f"import json; from bench.load.run import make_accounts; "
            f"print(json.dumps(make_accounts({physicians}, {staff})))",
        )
    )


def retire(env: dict) -> None:
    try:
        shell(env, "from bench.load.run import retire_accounts; retire_accounts(); print('retired')")
    except (Failed, subprocess.TimeoutExpired) as problem:
        print(f"  (could not retire the drill's accounts: {problem})")


def faults_env(env: dict) -> dict:
    return env | {"DJANGO_SETTINGS_MODULE": "bench.faults_settings"}


def staff_session(port: int, account: dict) -> Browser:
    browser = Browser(port)
    status, location, _ = browser.post_form(
        "/login/", {"username": account["username"], "password": account["password"]}
    )
    if status != 302 or location.startswith("/login/"):
        raise Failed(f"staff sign-in answered {status} {location}")
    return browser


def new_patient_fields(form_html: str, mrn: str, notes: str = "") -> dict:
    form = form_with(form_html, field="mrn")
    fields = dict(
        form.data(
            {
                "mrn": mrn,
                "given_name": "Drill",
                "family_name": "Fault",
                "date_of_birth": "1968-05-04",
                "consent_on_file": time.strftime("%Y-%m-%d"),
                "notes": notes,
            },
            unset=("takes_anti_inflammatories",),
        )
    )
    if form.options.get("indications"):
        fields["indications"] = form.options["indications"][0]
    return fields


def register(browser: Browser, mrn: str, notes: str = "") -> tuple[int, str, str]:
    """GET the new-patient form and POST it; (status, location, html) of the POST, or of the GET
    when the form could not be had."""
    status, location, html = browser.request("GET", "/patients/new/")
    if status != 200:
        return status, location, html
    return browser.request("POST", "/patients/new/", new_patient_fields(html, mrn, notes))


def clean_page(html: str) -> bool:
    """The styled 503 page, nothing internal in it."""
    return STYLED_503 in html and "Traceback" not in html and ".py" not in html


# -- a. PostgreSQL restarted under load ------------------------------------------------------------


def drill_restart(cluster: Cluster, env: dict, port: int, staff: list[dict], *, down: float) -> list[str]:
    lines = [f"a. PostgreSQL stopped (-m fast) for {down:.0f} s under load, then started again"]
    sessions = [staff_session(port, account) for account in staff[:4]]
    results = []  # (t, thread, kind, status, location, clean, mrn)
    lock = threading.Lock()
    halt = threading.Event()
    patient_ids = re.findall(r'href="/patients/(\d+)/', sessions[0].request("GET", "/patients/")[2])

    def record(index, kind, status, location, html, mrn=""):
        with lock:
            ok_page = status != 503 or clean_page(html)
            results.append((time.monotonic(), index, kind, status, location, ok_page, mrn))

    def writer(index: int, browser: Browser):
        while not halt.is_set():
            mrn = f"DRILL-{uuid.uuid4().hex[:10].upper()}"
            try:
                status, location, html = browser.request("GET", "/patients/new/")
                if status != 200:
                    record(index, "form", status, location, html)
                else:
                    fields = new_patient_fields(html, mrn)
                    status, location, html = browser.request("POST", "/patients/new/", fields)
                    record(index, "write", status, location, html, mrn)
            except (OSError, HTTPException) as problem:
                record(index, "error", 0, type(problem).__name__, "", mrn)
            time.sleep(0.1)

    def reader(index: int, browser: Browser):
        while not halt.is_set():
            path = random.choice(["/patients/", *(f"/patients/{pk}/" for pk in patient_ids[:10])])
            try:
                status, location, html = browser.request("GET", path)
            except (OSError, HTTPException) as problem:
                record(index, "read", 0, type(problem).__name__, "")
            else:
                record(index, "read", status, location, html)
            time.sleep(0.1)

    threads = [threading.Thread(target=writer, args=(i, s)) for i, s in enumerate(sessions[:2])]
    threads += [threading.Thread(target=reader, args=(i + 2, s)) for i, s in enumerate(sessions[2:])]
    for thread in threads:
        thread.start()
    try:
        time.sleep(4)
        t_down = time.monotonic()
        cluster._run(cluster.bin / "pg_ctl", "-D", cluster.data, "-m", "fast", "-w", "stop", timeout=60)
        cluster.started = False
        time.sleep(down)
        cluster.start()
        t_up = time.monotonic()
        time.sleep(12)
    finally:
        halt.set()
        for thread in threads:
            thread.join(timeout=40)

    before = [r for r in results if r[0] < t_down]
    during = [r for r in results if t_down <= r[0] < t_up]
    after = [r for r in results if r[0] >= t_up]
    failures_after = [r for r in after if r[3] not in (200, 302)]
    last_bad = max((r[0] for r in during + failures_after if r[3] not in (200, 302)), default=t_down)
    first_good = min((r[0] for r in after if r[3] in (200, 302)), default=float("inf"))
    lines.append(
        f"  before the stop: {len(before)} requests, {dict(Counter(r[3] for r in before))}; while "
        f"PostgreSQL was stopping, down and starting ({t_up - t_down:.1f} s): "
        f"{dict(Counter(r[3] for r in during))}"
    )
    lines.append(
        f"  first success {first_good - t_up:.1f} s after PostgreSQL was back; last failed request "
        f"{last_bad - t_up:+.1f} s from then; {len(after)} requests after, "
        f"{len(after) - len(failures_after)} of them 200/302"
    )
    ok = check(bool(during), "requests were made during the outage", lines)
    # A request answered while PostgreSQL was stopping may still have succeeded: only the failures
    # count here, and each must be the styled 503.
    odd = [r for r in results if r[3] not in (200, 302) and (r[3] != 503 or not r[5])]
    ok &= check(
        not odd,
        f"every failed request got the styled 503 page and nothing internal ({len(odd)} did not: "
        f"{Counter(r[3] for r in odd)})",
        lines,
    )
    ok &= check(
        first_good - t_up < 10 and last_bad - t_up < 10,
        "the app answered again by itself within 10 s of PostgreSQL being back",
        lines,
    )
    acked = {
        r[6]: int(re.fullmatch(r"/patients/(\d+)/", r[4])[1])
        for r in results
        if r[2] == "write" and r[3] == 302 and re.fullmatch(r"/patients/(\d+)/", r[4])
    }
    refused = {r[6] for r in results if r[2] == "write" and r[3] == 503}
    stored = json.loads(
        shell(
            env,
            (
                "import json; from treatments.models import Patient; "
                "rows = Patient.objects.filter(mrn__startswith='DRILL-').values_list('mrn', 'pk'); "
                "print(json.dumps(dict(rows)))"
            ),
        )
    )
    lost = {mrn for mrn, pk in acked.items() if stored.get(mrn) != pk}
    lines.append(
        f"  writes: {len(acked)} acknowledged (redirect to the new patient), all in the database: "
        f"{not lost}; {len(refused)} refused with 503, of which stored anyway: "
        f"{len(refused & set(stored))}; {len(stored)} drill patients stored in all"
    )
    ok &= check(not lost and bool(acked), "no acknowledged write lost", lines)
    if not ok:
        raise Failed("\n".join(lines))
    return lines


# -- d. two sessions writing the same record at once ----------------------------------------------


def two_sessions(port: int, account: dict, second_key: str) -> tuple[Browser, Browser]:
    first, second = Browser(port), Browser(port)
    sign_in(first, account)
    sign_in(second, account | {"key": second_key})
    return first, second


def at_once(*calls):
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait(timeout=30)
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def message_in(html: str) -> str:
    match = re.search(r"(This [\w -]{1,40} was changed by someone else[^<]{0,200})", html)
    if match:
        return match[1].strip()
    match = re.search(
        r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>(.{1,300}?)</', html, re.DOTALL
    )
    return re.sub(r"\s+", " ", match[1]).strip() if match else "(no message found)"


def drill_conflicts(env: dict, port: int, physician: dict, second_key: str, staff: dict) -> list[str]:
    lines = [
        "d. Two sessions of the treating physician sign the same draft at once; two save the same patient; "
        "staff try to reach a patient as the physician completes the follow-up"
    ]
    a, b = two_sessions(port, physician, second_key)
    status, location, _ = register(a, f"DRILL-SIGN-{uuid.uuid4().hex[:8].upper()}")
    patient = re.fullmatch(r"/patients/(\d+)/", location)
    if status != 302 or not patient:
        raise Failed(f"registering the drill patient answered {status} {location}")
    patient = patient[1]
    status, _, html = a.request("GET", f"/patients/{patient}/treatments/new/")
    form = form_with(html, field="administrations-0-route")
    fields = dict(
        form.data(
            {
                "administrations-0-route": form.first_option("administrations-0-route", ("iv_drip",)),
                "administrations-0-dose_billion": "5",
                "consent_confirmed": "on",
                "anti_inflammatories_paused": "on",
                "product_thawed_inspected": "on",
            }
        )
    )
    for name in ("indication", "administrations-0-lot"):
        if not fields.get(name):
            fields[name] = form.first_option(name)
    status, location, _ = a.request("POST", f"/patients/{patient}/treatments/new/", fields)
    draft = re.fullmatch(r"/treatments/(\d+)/", location)
    if status != 302 or not draft:
        raise Failed(f"saving the draft answered {status} {location}")
    draft = draft[1]
    forms = []
    for browser in (a, b):
        _, _, html = browser.request("GET", f"/treatments/{draft}/sign/")
        forms.append(dict(form_with(html, field="password").data({"password": physician["password"]})))
    sign_path = f"/treatments/{draft}/sign/"
    results = at_once(
        *(lambda br=br, f=f: br.request("POST", sign_path, f) for br, f in zip((a, b), forms, strict=True))
    )
    statuses = [r[0] for r in results]
    lines.append(f"  sign: the two POSTs answered {statuses[0]} and {statuses[1]}")
    winner = [r for r in results if r[0] == 302]
    loser = [r for r in results if r[0] != 302]
    ok = check(
        len(winner) == 1 and len(loser) == 1 and loser[0][0] == 200,
        "one signature accepted (redirect), the other refused on the form (200)",
        lines,
    )
    if loser:
        lines.append(f"  the other session was told: {message_in(loser[0][2])!r}")
    signed = json.loads(
        shell(
            env,
            (
                "import json; from treatments.models import Treatment; "
                f"t = Treatment.objects.get(pk={draft}); "
                "h = t.history.filter(status='signed').count(); "
                "print(json.dumps([t.status, h, t.administrations.count()]))"
            ),
        )
    )
    lines.append(
        f"  database: status {signed[0]}, {signed[1]} history row(s) signing it, "
        f"{signed[2]} administration(s)"
    )
    ok &= check(
        signed[0] == "signed" and signed[1] == 1,
        "the treatment is signed once; history shows one signature",
        lines,
    )

    edit = f"/patients/{patient}/edit/"
    forms = []
    for browser, change in ((a, {"phone": "+49 30 5550101"}), (b, {"allergies": "Penicillin (drill)"})):
        _, _, html = browser.request("GET", edit)
        forms.append(dict(form_with(html, field="mrn").data(change)))
    results = at_once(
        *(lambda br=br, f=f: br.request("POST", edit, f) for br, f in zip((a, b), forms, strict=True))
    )
    statuses = [r[0] for r in results]
    lines.append(
        f"  edit: the two POSTs (one changes the phone, the other the allergies) answered {statuses}"
    )
    ok &= check(sorted(statuses) == [200, 302], "one save accepted, the other refused on the form", lines)
    loser = [r for r in results if r[0] == 200]
    if loser:
        lines.append(f"  the other session was told: {message_in(loser[0][2])!r}")
    stored = json.loads(
        shell(
            env,
            (
                "import json; from treatments.models import Patient; "
                f"p = Patient.objects.get(pk={patient}); "
                "print(json.dumps([p.phone, p.allergies, p.history.count()]))"
            ),
        )
    )
    won_phone = statuses[0] == 302
    lines.append(f"  database: phone {stored[0]!r}, allergies {stored[1]!r}, {stored[2]} history rows")
    expected = ("+49 30 5550101", "") if won_phone else ("", "Penicillin (drill)")
    ok &= check(
        (stored[0], stored[1]) == expected and stored[2] == 2,
        "the winner's change is kept, the other's not silently merged or lost (it was refused); "
        "history: creation + one change",
        lines,
    )
    ok &= followup_race(env, port, a, staff, draft, lines)
    if not ok:
        raise Failed("\n".join(lines))
    return lines


def followup_race(env: dict, port: int, physician: Browser, staff: dict, treatment: str, lines) -> bool:
    """Staff record a contact attempt on a follow-up while the physician completes it, at once."""
    followup = shell(
        env,
        "from treatments.models import FollowUp; "
        f"print(FollowUp.objects.filter(treatment_id={treatment}, completed_at__isnull=True)"
        ".order_by('due_on', 'pk').first().pk)",
    )
    nurse = staff_session(port, staff)
    base = f"/followups/{followup}/"
    _, _, html = physician.request("GET", f"{base}?action=complete")
    form = form_with(html, action_contains="/complete/")
    changes = {name: form.first_option(name) for name, options in form.options.items() if any(options)}
    changes |= {
        "complete-contact": form.first_option("complete-contact", ("call",)),
        "complete-notes": "Drill",
    }
    for name in ("complete-pain", "complete-energy"):
        if name in form.names():
            changes[name] = "4"
    complete = dict(form.data(changes))
    _, _, html = nurse.request("GET", f"{base}?action=attempt")
    form = form_with(html, action_contains="/attempt/")
    attempt = dict(
        form.data(
            {"attempt-contact": "call", "attempt-outcome": "no_answer", "attempt-notes": "Drill"},
            unset=("attempt-mark_missed",),
        )
    )
    results = at_once(
        lambda: physician.request("POST", f"{base}complete/", complete),
        lambda: nurse.request("POST", f"{base}attempt/", attempt),
    )
    statuses = [r[0] for r in results]
    lines.append(f"  follow-up: the physician's completion and the staff's attempt answered {statuses}")
    ok = check(sorted(statuses) == [200, 302], "one action accepted, the other refused on the form", lines)
    loser = [r for r in results if r[0] == 200]
    if loser:
        lines.append(f"  the other session was told: {message_in(loser[0][2])!r}")
    stored = json.loads(
        shell(
            env,
            "import json; from treatments.models import FollowUp; "
            f"f = FollowUp.objects.get(pk={followup}); "
            "print(json.dumps([f.completed_at is not None, f.attempts.count()]))",
        )
    )
    lines.append(f"  database: completed {stored[0]}, {stored[1]} attempt(s)")
    expected = [True, 0] if statuses[0] == 302 else [False, 1]
    ok &= check(stored == expected, "only the accepted action is in the database", lines)
    return ok


# -- b. SQLite out of space ------------------------------------------------------------------------


def sqlite_seed() -> None:
    if SQLITE_SEED.exists():
        return
    building = SQLITE_SEED.with_suffix(".building")
    building.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EXOLOG_"))}
    env |= {"SQLITE_PATH": str(building), "DATABASE_URL": "", "DJANGO_DEBUG": "true"}
    print(f"SQLite: seeding a demo clinic of {SEED_PATIENTS} patients into {SQLITE_SEED.name}")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--patients", str(SEED_PATIENTS), timeout=900)
    with sqlite3.connect(building) as db:
        db.execute("PRAGMA journal_mode=DELETE")
    os.replace(building, SQLITE_SEED)


def sqlite_copy(work: Path, name: str) -> tuple[Path, dict]:
    path = work / f"{name}.sqlite3"
    shutil.copy(SQLITE_SEED, path)
    env = base_env("") | {"SQLITE_PATH": str(path), "DATABASE_URL": ""}
    manage(env, "migrate", "--noinput")
    return path, env


def sqlite_rows(path: Path, sql: str, params=()) -> list:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute(sql, params).fetchall()


def drill_disk_full(work: Path) -> list[str]:
    lines = ["b. SQLite cannot grow (max_page_count held at the file's size, as a full disk)"]
    path, env = sqlite_copy(work, "disk-full")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with sqlite3.connect(path) as db:
        db.execute("VACUUM")  # no free pages left inside the file: a new row needs a new page
    limit = work / "sqlite-limit"
    env = faults_env(env) | {"BENCH_SQLITE_LIMIT_FILE": str(limit), "GUNICORN_THREADS": "1"}
    staff = accounts(env, 0, 1)["staff"][0]
    server = start_gunicorn(env, port := free_port(), work / "gunicorn-disk-full.log")
    try:
        browser = staff_session(port, staff)
        mrn = f"DRILL-FULL-{uuid.uuid4().hex[:6].upper()}"
        _, _, form_html = browser.request("GET", "/patients/new/")
        fields = new_patient_fields(form_html, mrn, notes="Drill. " * 400)  # 2.8 KB: new pages
        limit.touch()
        status, location, html = browser.request("POST", "/patients/new/", fields)
        lines.append(f"  save while full: {status} {location or ''}".rstrip())
        time.sleep(0.5)  # the server's log line
        cause = "database or disk is full" in (work / "gunicorn-disk-full.log").read_text()
        lines.append(f"  the server's log names SQLite's error 'database or disk is full': {cause}")
        ok = check(
            status == 503 and clean_page(html), "the user got the styled 503 page, nothing internal", lines
        )
        patient = sqlite_rows(path, "SELECT count(*) FROM treatments_patient WHERE mrn = ?", (mrn,))[0][0]
        history = sqlite_rows(
            path, "SELECT count(*) FROM treatments_historicalpatient WHERE mrn = ?", (mrn,)
        )[0][0]
        lines.append(f"  database after the refused save: {patient} patient row(s), {history} history row(s)")
        ok &= check(
            patient == 0 and history == 0, "nothing half-written (neither the record nor its history)", lines
        )
        limit.unlink()
        status, location, _ = register(browser, mrn, notes="Drill. " * 400)
        patient = sqlite_rows(path, "SELECT count(*) FROM treatments_patient WHERE mrn = ?", (mrn,))[0][0]
        history = sqlite_rows(
            path, "SELECT count(*) FROM treatments_historicalpatient WHERE mrn = ?", (mrn,)
        )[0][0]
        lines.append(
            f"  limit lifted, same save again: {status} to {location}; {patient} patient, "
            f"{history} history row"
        )
        ok &= check(
            status == 302 and patient == 1 and history == 1, "the save succeeds once there is space", lines
        )
    finally:
        stop(server)
        limit.unlink(missing_ok=True)
    if not ok:
        raise Failed("\n".join(lines))
    return lines


# -- c. the digest sender killed -------------------------------------------------------------------


def drill_digest_kill(work: Path, *, recipients: int, delay: float, window: bool = False) -> list[str]:
    """Killed half-way; or, with ``window``, killed between the first mail leaving and its commit
    (the mail backend holds there for 5 s), to show what that window costs."""
    if window:
        lines = ["c2. send_digests killed with SIGKILL after a mail left, before its commit"]
    else:
        lines = [
            f"c. send_digests killed with SIGKILL half-way ({recipients} extra staff recipients, "
            f"{delay} s a mail)"
        ]
    name = "digests-window" if window else "digests"
    path, env = sqlite_copy(work, name)
    mail = work / f"mail-{name}"
    mail.mkdir()
    env = faults_env(env) | {"BENCH_MAIL_DIR": str(mail), "BENCH_MAIL_DELAY": str(delay)}
    shell(
        env,
        (
            "from django.contrib.auth.models import Group, User\n"
            "from clinic.roles import STAFF\n"
            "staff = Group.objects.get(name=STAFF)\n"
            f"for n in range({recipients}):\n"
            "    u, _ = User.objects.get_or_create(username=f'bench.digest.{n:03d}', "
            "defaults={'email': f'bench.digest.{n:03d}@clinic.example'})\n"
            "    u.set_unusable_password(); u.save(); u.groups.add(staff)\n"
            "for u in User.objects.filter(email=''): u.email = u.username + '@clinic.example'; u.save()\n"
            "print('ok')"
        ),
    )
    day = time.strftime("%Y-%m-%d")
    due = int(
        shell(
            env,
            (
                "import datetime as dt\n"
                "from treatments.selectors.digest import digest_recipients, reminder_digest\n"
                f"day = dt.date.fromisoformat('{day}')\n"
                "print(sum(1 for u in digest_recipients()\n"
                "          if not reminder_digest(user=u, today=day).is_empty))"
            ),
        )
    )
    command = [sys.executable, "manage.py", "send_digests", "--date", day]
    hold = {"BENCH_MAIL_HOLD": "5"} if window else {}
    wanted = 1 if window else due // 2
    sender = subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env=env | hold,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    try:
        while (
            len(list(mail.glob("*.eml"))) < wanted and time.monotonic() < deadline and sender.poll() is None
        ):
            time.sleep(0.05)
    finally:
        if sender.poll() is None:
            os.killpg(sender.pid, signal.SIGKILL)
        sender.wait(timeout=30)
    before = len(list(mail.glob("*.eml")))
    rows_before = sqlite_rows(path, "SELECT count(*) FROM treatments_sentdigest WHERE day = ?", (day,))[0][0]
    lines.append(
        f"  {due} recipients due; killed after {before} mails, {rows_before} SentDigest rows committed"
    )
    again = manage(env, "send_digests", "--date", day, timeout=600)
    sent_again = re.search(r"Digests sent: (\d+)", again)[1]
    per = Counter(p.name.rsplit(".", 2)[0] for p in mail.glob("*.eml"))
    rows = sqlite_rows(
        path, "SELECT count(*), count(DISTINCT user_id) FROM treatments_sentdigest WHERE day = ?", (day,)
    )[0]
    twice = sorted(address for address, n in per.items() if n > 1)
    lines.append(
        f"  run again: {sent_again} sent; mails: {sum(per.values())} to {len(per)} recipients, sent twice: "
        f"{len(twice)}; SentDigest rows for the day: {rows[0]} ({rows[1]} users)"
    )
    if window:
        lines.append(
            f"  [INFO] {len(twice)} recipient(s) got the day's digest twice: the one whose mail had left "
            "when the sender died, before its SentDigest row was committed (send_once's documented "
            "window; no mail is lost)"
        )
        ok = check(
            len(per) == due and len(twice) <= 1, "no recipient missed; at most the one in flight twice", lines
        )
        if not ok:
            raise Failed("\n".join(lines))
        return lines
    ok = check(
        len(per) == due and not twice and rows[0] == rows[1] == due,
        "every recipient has exactly one mail for the day and one SentDigest row",
        lines,
    )
    ok &= check(0 < before < due, "the kill landed mid-way (some mails sent, some not)", lines)
    if not ok:
        raise Failed("\n".join(lines))
    return lines


# -- the run ---------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drills", default=",".join(DRILLS), help=f"comma-separated, of {', '.join(DRILLS)}")
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL stays down (restart)")
    parser.add_argument("--recipients", type=int, default=40, help="extra digest recipients (digest-kill)")
    parser.add_argument("--mail-delay", type=float, default=0.2, help="seconds per mail (digest-kill)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    chosen = [d.strip() for d in args.drills.split(",") if d.strip()]
    unknown = set(chosen) - set(DRILLS)
    if unknown:
        raise SystemExit(f"Unknown drills {sorted(unknown)}; choose from {', '.join(DRILLS)}.")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="exolog-faults-"))
    report, failed = [], []
    cluster = server = env = None

    def run(name, call):
        began = time.monotonic()
        try:
            lines = call()
        except Failed as failure:
            failed.append(name)
            lines = str(failure).splitlines()
        lines[0] += f" ({time.monotonic() - began:.0f} s)"
        print("\n".join(lines), flush=True)
        report.extend([*lines, ""])

    try:
        if {"restart", "conflicts"} & set(chosen):
            cluster = Cluster(
                port=int(os.environ.get("BENCH_FAULTS_PG_PORT", 54381)), directory=DATA_DIR / "pg-faults"
            )
            cluster.start()
            env = faults_env(base_env(cluster.url("exolog_faults")))
            seed = seeded(cluster, env, SEED_PATIENTS, reseed=False)
            admin(
                cluster,
                'DROP DATABASE IF EXISTS "exolog_faults" WITH (FORCE)',
                f'CREATE DATABASE "exolog_faults" TEMPLATE "{seed}"',
            )
            manage(env, "migrate", "--noinput")
            made = accounts(env, 1, 4)
            second_key = shell(
                env,
                (
                    "from django_otp.plugins.otp_totp.models import TOTPDevice; "
                    "from django_otp.util import random_hex; "
                    f"key = random_hex(20); TOTPDevice.objects.create(user_id=TOTPDevice.objects.get("
                    f"user__username='{made['physician'][0]['username']}').user_id, name='Second', key=key, "
                    "confirmed=True); print(key)"
                ),
            )
            port = free_port()
            server = start_gunicorn(env, port, work / "gunicorn-pg.log")
            if "restart" in chosen:
                run("restart", lambda: drill_restart(cluster, env, port, made["staff"], down=args.down))
            if "conflicts" in chosen:
                run(
                    "conflicts",
                    lambda: drill_conflicts(env, port, made["physician"][0], second_key, made["staff"][0]),
                )
            stop(server)
            server = None
            retire(env)
        if {"disk-full", "digest-kill", "digest-window"} & set(chosen):
            sqlite_seed()
        if "disk-full" in chosen:
            run("disk-full", lambda: drill_disk_full(work))
        if "digest-kill" in chosen:
            run(
                "digest-kill",
                lambda: drill_digest_kill(work, recipients=args.recipients, delay=args.mail_delay),
            )
        if "digest-window" in chosen:
            run("digest-window", lambda: drill_digest_kill(work, recipients=10, delay=0.05, window=True))
    finally:
        if server is not None:
            stop(server)
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    verdict = "FAIL: " + ", ".join(failed) if failed else "PASS"
    print(f"{verdict} ({len(chosen)} drills, {time.monotonic() - started:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
