"""Scale-out proof: two gunicorn instances (the repo's gunicorn.conf.py) on two ports, sharing one
PostgreSQL, behave as one app.

    python -m bench.scaleout            (make bench-scaleout)

1. Sessions live in the database: sign in on instance A, use the same cookie on instance B (the
   worklist shows the user), sign out on B, and A no longer knows the session.
2. Digests are sent once: two `manage.py send_digests` for the same day at once (as two workers on
   two nodes would), then a third after them; every recipient gets exactly one mail.

A throwaway PostgreSQL cluster under bench/data/pg-scaleout (its own port, BENCH_SCALEOUT_PG_PORT,
default 54361), a fresh database, a small demo clinic (seed_demo, 30 patients). The instances run
the production settings with plain static storage (bench/settings.py: no collectstatic needed),
plain HTTP on 127.0.0.1. Prints the result and exits 1 when a check fails. Every step has a time
limit.
"""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.browser import Browser
from bench.datasets import DATA_DIR, ROOT
from bench.pg import Cluster

DBNAME = "exolog_scaleout"
PATIENTS = 30
DIGEST_DAY_OFFSET = 0  # today: the demo clinic has follow-ups due and overdue today
DEMO_PASSWORD = "exolog-demo-2026"  # noqa: S105 (the demo's published password, README)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our interpreter, our manage.py)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout, check=True,
    )  # fmt: skip


def base_env(url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EXOLOG_", "DATABASE_URL"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),  # one key for both instances, as in production
        "EXOLOG_BASE_URL": "https://exolog.clinic.example",
        "LOG_LEVEL": "WARNING",
    }


def start_gunicorn(env: dict, port: int, log: Path, *, workers: int | None = 2) -> subprocess.Popen:
    """gunicorn as deployed (gunicorn.conf.py) on 127.0.0.1:``port``, its output in ``log``, in its
    own process group; ``workers`` processes, or gunicorn.conf.py's own count with None. Returns
    once it listens."""
    extra = {"EXOLOG_BIND": f"127.0.0.1:{port}"} | ({"GUNICORN_WORKERS": str(workers)} if workers else {})
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py"],
            cwd=ROOT, env=env | extra, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn on {port} exited: {log.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not listen on {port} within 90 s")


def stop(process: subprocess.Popen | None) -> None:
    """Stop gunicorn (its own process group, started by us) and its workers."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def check_sessions(port_a: int, port_b: int) -> list[str]:
    lines = []
    browser = Browser(port_a)
    status, location, _ = browser.post_form("/login/", {"username": "nurse.kim", "password": DEMO_PASSWORD})
    assert status == 302 and "sessionid" in browser.cookies, f"sign-in on A answered {status} {location}"
    lines.append(f"signed in as nurse.kim on A (:{port_a}): {status} to {location}")
    browser.port = port_b
    status, _, html = browser.request("GET", "/followups/")
    assert status == 200 and "Mina Kim" in html, f"B answered {status} to A's session"
    lines.append(
        f"the same cookie on B (:{port_b}): GET /followups/ answered {status}, signed in as Mina Kim"
    )
    # Sign out is a POST; the form's token may be the CSRF cookie's secret itself.
    status, _, _ = browser.request("POST", "/logout/", {"csrfmiddlewaretoken": browser.cookies["csrftoken"]})
    assert status == 302, f"sign-out on B answered {status}"
    browser.port = port_a
    status, location, _ = browser.request("GET", "/followups/")
    assert status == 302 and location.startswith("/login/"), f"A still served the session: {status}"
    lines.append(
        f"signed out on B; A then answered {status} to {location.split('?')[0]} (the session is gone)"
    )
    return lines


def check_digests(env: dict) -> list[str]:
    day = time.strftime("%Y-%m-%d")
    mail_env = env | {"EMAIL_HOST": ""}  # the console backend: each mail is printed
    command = [sys.executable, "manage.py", "send_digests", "--date", day]
    senders = [
        subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=mail_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=600)[0] for sender in senders]
    outputs.append(manage(mail_env, "send_digests", "--date", day).stdout)
    recipients = [re.findall(r"^To: (.+)$", out, re.MULTILINE) for out in outputs]
    sent = [int(re.search(r"Digests sent: (\d+)", out)[1]) for out in outputs]
    rows = manage(
        env, "shell", "-c",
        f"from treatments.models import SentDigest; print(SentDigest.objects.filter(day='{day}').count())",
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    everyone = [address for found in recipients for address in found]
    assert everyone, "no digest was due: the demo clinic should have follow-ups due"
    assert len(everyone) == len(set(everyone)), f"a recipient got two digests: {sorted(everyone)}"
    assert sum(sent) == len(everyone) == int(rows), (sent, len(everyone), rows)
    return [
        f"two senders at once for {day}: {sent[0]} and {sent[1]} mails; a third run after them: {sent[2]}",
        f"{len(everyone)} mails to {len(set(everyone))} distinct recipients; "
        f"{rows} SentDigest rows for the day",
    ]


def main() -> int:
    cluster = Cluster(
        port=int(os.environ.get("BENCH_SCALEOUT_PG_PORT", 54361)), directory=DATA_DIR / "pg-scaleout"
    )
    processes = []
    logs = DATA_DIR / "scaleout"
    logs.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with cluster:
        cluster._run(
            cluster.bin / "dropdb",
            "-h",
            "127.0.0.1",
            "-p",
            cluster.port,
            "-U",
            "postgres",
            "--if-exists",
            DBNAME,
        )
        cluster._run(
            cluster.bin / "createdb", "-h", "127.0.0.1", "-p", cluster.port, "-U", "postgres", DBNAME
        )
        env = base_env(cluster.url(DBNAME))
        manage(env, "migrate", "--noinput")
        demo_env = env | {"DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "clinic.settings"}
        manage(demo_env, "seed_demo", "--patients", str(PATIENTS), timeout=900)
        # The demo accounts have no address; the digest needs one.
        manage(
            env, "shell", "-c",
            "from django.contrib.auth.models import User\n"
            "for u in User.objects.filter(email=''): u.email = u.username + '@clinic.example'; u.save()",
        )  # fmt: skip
        try:
            port_a, port_b = free_port(), free_port()
            processes = [
                start_gunicorn(env, port, logs / f"gunicorn-{port}.log") for port in (port_a, port_b)
            ]
            lines = ["Sessions across instances:", *check_sessions(port_a, port_b)]
            lines += ["Digests across senders:", *check_digests(env)]
        except AssertionError as failure:
            print(f"[FAIL] {failure}")
            return 1
        finally:
            for process in processes:
                stop(process)
    print("\n".join(lines))
    print(f"[PASS] two instances share sessions; no digest sent twice ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
