"""Screenshots of the main pages for the README (``make screenshots``): a scratch demo database
(migrate, seed_demo), the demo served by runserver on a free loopback port, and Debian's Chromium
signed in as dr.ross saving the viewport (not the whole page) at 1366 and 390 px wide into
docs/screenshots/. Test tooling: nothing here is part of the product.

    python -m tests.screenshots [--patients 20] [--out docs/screenshots]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
DEMO_PASSWORD = "exolog-demo-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, **options) -> subprocess.Popen | None:
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    if options.get("background"):
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        return subprocess.Popen(command, env=env, cwd=ROOT, **quiet)  # noqa: S603 (our own manage.py)
    subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    return None


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (http on loopback, built above)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"The demo server did not answer on {url}.")


def pages(env: dict) -> list[tuple[str, str]]:
    """(file name, path) of the main pages; the patient is the demo's with the most treatments."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db.models import Count
    from django.urls import reverse

    from treatments.models import Patient

    patient = Patient.objects.annotate(n=Count("treatments")).order_by("-n", "pk").first()
    return [
        ("dashboard", reverse("home")),
        ("worklist", reverse("followup_list")),
        ("patient", reverse("patient_detail", args=[patient.pk])),
        ("treatment-form", reverse("treatment_create", args=[patient.pk])),
        ("side-effect-review", reverse("sideeffect_review_queue")),
        ("treatments", reverse("treatment_list")),
        ("report-side-effects", reverse("report_side_effects")),
        ("faq", reverse("faq:index")),
    ]


def shoot(base: str, targets: list[tuple[str, str]], out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        for label, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{base}/login/")
            page.fill("input[name=username]", "dr.ross")
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            for name, path in targets:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.evaluate("window.scrollTo(0, 0)")  # a form's autofocus may have scrolled it down
                page.screenshot(path=str(out / f"{name}-{label}.png"))
                print(f"{out / f'{name}-{label}.png'}")
            page.close()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "clinic.settings",
            "SQLITE_PATH": str(Path(scratch) / "demo.sqlite3"),
            "DATABASE_URL": "",
            "DJANGO_DEBUG": "true",
            "EXOLOG_DEMO_SKIP_SECOND_FACTOR": "true",
        }
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--patients", str(options.patients))
        port = free_port()
        server = manage(env, "runserver", "--noreload", f"127.0.0.1:{port}", background=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/login/")
            shoot(base, pages(env), Path(options.out))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
