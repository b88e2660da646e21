"""Locust journeys for the load bench (bench/load/run.py starts the server and runs this headless).

Two kinds of simulated users, each signed in as its own bench account (bench/load/run.py makes
them; their credentials come in the file named by LOAD_CREDENTIALS):

- Physicians sign in with their password and the code their authenticator would show (TOTP), search
  the registry, open patients, register a patient and record a treatment on them and sign it (the
  password again, as the sign page asks), review reported side effects, look at the worklist.
- Staff (no second factor for their role) work the worklist: open a follow-up, record a contact
  attempt or complete it, report side effects on treated patients, search and open patients.

Every form is read from the page the app rendered (bench/load/forms.py), the CSRF token with it, and
posted as a browser would. An error is any answer but 2xx/3xx, and a form that comes back (200)
instead of the redirect that acknowledges a save. Each acknowledged write is appended to the file
named by LOAD_ACKS (kind and id) so that run.py can compare them with the database afterwards.
Users work on disjoint follow-ups and reports (by id modulo their number), as colleagues sharing a
worklist would split it: a conflict between two of them would be the app working, not an error.
"""

import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time
import uuid

from locust import HttpUser, between, task
from locust.exception import StopUser

from bench.load.forms import form_with

CREDENTIALS = json.loads(open(os.environ["LOAD_CREDENTIALS"]).read())  # noqa: SIM115,PTH123
ACKS = os.environ["LOAD_ACKS"]
_counters = {"physician": itertools.count(), "staff": itertools.count()}
SEARCH_TERMS = ("an", "er", "in", "ma", "el", "ar", "on", "ri", "la", "st")


def totp(key_hex: str, at: float | None = None) -> str:
    """RFC 6238 with django-otp's defaults: HMAC-SHA1, 30 s steps from 0, 6 digits."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def acknowledge(kind: str, pk: str) -> None:
    with open(ACKS, "a") as out:  # noqa: PTH123
        out.write(f"{kind} {pk}\n")


def ids(html: str, prefix: str) -> list[int]:
    """The ids of the links /<prefix>/<id>/ on a page, in page order, once each."""
    found = re.findall(rf'href="/{prefix}/(\d+)/', html)
    return list(dict.fromkeys(int(pk) for pk in found))


def problem_of(html: str) -> str:
    """A short reason a form came back: the first error message (field errors and alerts carry no
    patient data: they say what is allowed)."""
    for pattern in (
        r'class="invalid-feedback[^"]*"[^>]*>\s*(?:<strong>)?([^<]{1,160})',
        r'class="alert alert-danger[^"]*"[^>]*>(.{1,400}?)</div>',
    ):
        match = re.search(pattern, html, re.DOTALL)
        if match:
            return re.sub(r"<[^>]+>|\s+", " ", match[1]).strip()[:160]
    return "the form came back without a visible message"


class ClinicUser(HttpUser):
    abstract = True
    role = ""
    # A clinician reads a page before the next click; a few seconds to ten.
    wait_time = between(3, 10)

    def on_start(self):
        accounts = CREDENTIALS[self.role]
        self.index = next(_counters[self.role])
        if self.index >= len(accounts):
            raise StopUser  # more users than accounts: run.py makes one account per user
        self.account = accounts[self.index]
        self.share = len(accounts)
        self.client.headers["User-Agent"] = "exolog-load-bench"
        # A new connection per request, as behind the reverse proxy (docs/DEPLOYMENT.md), which
        # holds the clients' keep-alive itself. Reusing an idle connection to gunicorn directly
        # races its keep-alive timeout (5 s, within this bench's think time): gunicorn closes it
        # as the client sends, and the client sees a reset that a browser would quietly retry.
        self.client.headers["Connection"] = "close"
        self.sign_in()

    # -- requests ---------------------------------------------------------------------------------

    def call(self, method: str, path: str, name: str, *, data=None, expect=(200,)):
        """One request, no redirect followed; a status outside ``expect`` is a failure (with the
        form's first error when a form came back). Returns the response or None on failure."""
        with self.client.request(
            method, path, name=name, data=data, allow_redirects=False, catch_response=True
        ) as response:
            # The session and CSRF cookies are Secure (production settings) and this is plain HTTP
            # on loopback: send them back anyway, as bench/browser.py does.
            for cookie in self.client.cookies:
                cookie.secure = False
            if response.status_code in expect:
                response.success()
                return response
            if response.status_code == 200 and method == "POST":
                response.failure(f"form re-displayed: {problem_of(response.text)}")
            else:
                where = response.headers.get("Location", "").split("?")[0]
                response.failure(f"{response.status_code} {where or response.error or ''}".strip())
            return None

    def get(self, path: str, name: str):
        return self.call("GET", path, name)

    def submit(self, page, path: str, name: str, *, action: str = "", field: str = "", fields=None, unset=()):
        """Post the page's form (action containing ``action``, having ``field``) with ``fields``
        changed; success is a redirect, whose target is returned."""
        form = form_with(page.text, action_contains=action, field=field)
        data = form.data(fields, unset=unset)
        response = self.call("POST", form.action or path, name, data=data, expect=(302, 303))
        return response.headers["Location"] if response is not None else None

    # -- journeys shared by both roles ------------------------------------------------------------

    def sign_in(self):
        page = self.get("/login/", "GET /login/")
        if page is None:
            raise StopUser
        where = self.submit(
            page,
            "/login/",
            "POST /login/",
            fields={"username": self.account["username"], "password": self.account["password"]},
        )
        if where and self.account.get("key"):
            if not where.startswith("/account/verify/"):
                where = self.follow(where, "GET / (before the second factor)")
            page = self.get(where, "GET /account/verify/")
            if page is None:
                raise StopUser
            where = self.submit(
                page,
                where,
                "POST /account/verify/",
                field="token",
                fields={"token": totp(self.account["key"])},
            )
        if not where:
            raise StopUser
        self.get("/", "GET / (dashboard)")

    def follow(self, where: str, name: str) -> str:
        response = self.call("GET", where, name, expect=(302,))
        return response.headers["Location"] if response is not None else ""

    def search_patients(self) -> list[int]:
        page = self.get("/patients/", "GET /patients/")
        if page is None:
            return []
        where = self.submit(
            page,
            "/patients/",
            "POST /patients/ (search)",
            field="q",
            fields={"q": random.choice(SEARCH_TERMS)},
        )
        if not where:
            return []
        found = self.get(where, "GET /patients/ (results)")
        return ids(found.text, "patients") if found is not None else []

    def open_patient(self, pk: int | None = None):
        if pk is None:
            found = self.search_patients()
            if not found:
                return None
            pk = random.choice(found[:10])
        return self.get(f"/patients/{pk}/", "GET /patients/<id>/")

    def worklist(self) -> list[int]:
        page = self.get("/followups/", "GET /followups/ (worklist)")
        return ids(page.text, "followups") if page is not None else []

    def mine(self, pks: list[int]) -> list[int]:
        """The share of a shared list this user works on (disjoint between users of a role)."""
        return [pk for pk in pks if pk % self.share == self.index]


class Physician(ClinicUser):
    role = "physician"
    weight = 2

    @task(6)
    def search_and_open(self):
        self.open_patient()

    @task(1)
    def record_and_sign(self):
        """Register a patient, record a treatment for them and sign it: a new patient each time,
        so that no course limit of the protocol refuses the visit."""
        page = self.get("/patients/new/", "GET /patients/new/")
        if page is None:
            return
        form = form_with(page.text, field="mrn")
        today = dt.datetime.now().astimezone().date()
        where = self.submit(
            page,
            "/patients/new/",
            "POST /patients/new/",
            field="mrn",
            fields={
                "mrn": f"LOAD-{uuid.uuid4().hex[:12].upper()}",
                "given_name": "Load",
                "family_name": f"Bench{random.randint(1, 9999)}",
                "date_of_birth": "1971-03-14",
                "sex": form.first_option("sex") if "sex" in form.options else "",
                "indications": form.options["indications"][:1] if form.options.get("indications") else [],
                "consent_on_file": (today - dt.timedelta(days=1)).isoformat(),
            },
            unset=("takes_anti_inflammatories",),
        )
        match = re.fullmatch(r"/patients/(\d+)/", where or "")
        if not match:
            return
        patient = match[1]
        acknowledge("patient", patient)
        self.get(where, "GET /patients/<id>/")
        page = self.get(f"/patients/{patient}/treatments/new/", "GET /patients/<id>/treatments/new/")
        if page is None:
            return
        form = form_with(page.text, field="administrations-0-route")
        fields = {
            "administrations-0-route": form.first_option("administrations-0-route", ("iv_drip",)),
            "administrations-0-dose_billion": "5",
            "consent_confirmed": "on",
            "anti_inflammatories_paused": "on",
            "product_thawed_inspected": "on",
            "then_sign": "",
        }
        for name in ("indication", "administrations-0-lot"):
            current = dict(form.fields).get(name)
            if not current:
                fields[name] = form.first_option(name)
        where = self.submit(
            page,
            f"/patients/{patient}/treatments/new/",
            "POST /patients/<id>/treatments/new/",
            field="administrations-0-route",
            fields=fields,
        )
        match = re.fullmatch(r"/treatments/(\d+)/sign/", where or "")
        if not match:
            if where:
                self.fail_unexpected("POST treatment (then sign)", where)
            return
        treatment = match[1]
        acknowledge("draft", treatment)
        page = self.get(where, "GET /treatments/<id>/sign/")
        if page is None:
            return
        done = self.submit(
            page,
            where,
            "POST /treatments/<id>/sign/",
            field="password",
            fields={"password": self.account["password"]},
        )
        if done == f"/treatments/{treatment}/":
            acknowledge("signed", treatment)
            self.get(done, "GET /treatments/<id>/")
        elif done:
            self.fail_unexpected("POST sign", done)

    @task(2)
    def review_side_effects(self):
        page = self.get("/side-effects/review/", "GET /side-effects/review/")
        if page is None:
            return
        mine = self.mine(ids(page.text, "side-effects"))
        if not mine:
            return
        report = random.choice(mine[:5])
        # The review form is on the report's page (the review URL takes the POST only).
        form_page = self.get(f"/side-effects/{report}/", "GET /side-effects/<id>/")
        if form_page is None:
            return
        try:
            form_with(form_page.text, action_contains="/review/", field="assessment")
        except LookupError:
            return  # reviewed meanwhile (the queue was read before), or not open to review
        where = self.submit(
            form_page,
            f"/side-effects/{report}/review/",
            "POST /side-effects/<id>/review/",
            action="/review/",
            field="assessment",
            fields={"assessment": "Reviewed under load: expected, self-limiting.", "action": "No action."},
        )
        if where:
            acknowledge("review", str(report))

    @task(2)
    def look_at_worklist(self):
        self.worklist()

    def fail_unexpected(self, what: str, where: str):
        self.environment.events.request.fire(
            request_type="CHECK",
            name=what,
            response_time=0,
            response_length=0,
            exception=AssertionError(f"redirected to an unexpected page {where.split('?')[0]}"),
            context={},
        )


class Staff(ClinicUser):
    role = "staff"
    weight = 3

    @task(5)
    def work_the_worklist(self):
        mine = self.mine(self.worklist())
        if not mine:
            return
        followup = random.choice(mine[:8])
        self.get(f"/followups/{followup}/", "GET /followups/<id>/")
        if random.random() < 0.5:
            page = self.get(f"/followups/{followup}/?action=complete", "GET /followups/<id>/?action=complete")
            if page is not None:
                try:
                    form = form_with(page.text, action_contains="/complete/")
                except LookupError:
                    form = None  # not open to this role (the 3-month assessment is a physician's)
                if form is not None and "complete-decision" not in form.names():
                    where = self.submit(
                        page,
                        f"/followups/{followup}/complete/",
                        "POST /followups/<id>/complete/",
                        action="/complete/",
                        fields=self.completion(form),
                    )
                    if where:
                        acknowledge("complete", str(followup))
                    return
        page = self.get(f"/followups/{followup}/?action=attempt", "GET /followups/<id>/?action=attempt")
        if page is None:
            return
        form = form_with(page.text, action_contains="/attempt/")
        where = self.submit(
            page,
            f"/followups/{followup}/attempt/",
            "POST /followups/<id>/attempt/",
            action="/attempt/",
            fields={
                "attempt-contact": form.first_option("attempt-contact", ("call",)),
                "attempt-outcome": form.first_option("attempt-outcome", ("no_answer",)),
                "attempt-notes": "Tried under load.",
            },
            unset=("attempt-mark_missed",),
        )
        if where:
            acknowledge("attempt", str(followup))

    @staticmethod
    def completion(form) -> dict:
        fields = {"complete-contact": form.first_option("complete-contact", ("call",))}
        for name, choices in form.options.items():
            if name.startswith("complete-") and name not in fields and choices:
                fields[name] = form.first_option(name)
        for name in ("complete-pain", "complete-energy"):
            if name in form.names():
                fields[name] = str(random.randint(0, 10))
        fields["complete-notes"] = "Reached under load."
        return fields

    @task(1)
    def report_side_effect(self):
        patient = self.open_patient()
        if patient is None:
            return
        pk = re.search(r"/patients/(\d+)/", patient.url)[1]
        page = self.get(f"/patients/{pk}/side-effects/new/", "GET /patients/<id>/side-effects/new/")
        if page is None:
            return
        try:
            form = form_with(page.text, field="treatment")
        except LookupError:
            return  # the page says the patient has no signed treatment to report against
        if not [value for value in form.options.get("treatment", []) if value]:
            return  # no signed treatment: nothing to report against
        fields = {
            "term": form.first_option("term", ("fatigue", "headache")) if "term" in form.options else "",
            "grade": "1",
            "onset": dt.datetime.now().astimezone().date().isoformat(),
            "narrative": "Mild, reported by phone under load.",
        }
        for name, choices in form.options.items():
            if name not in fields and name != "treatment" and not dict(form.fields).get(name) and choices:
                fields[name] = form.first_option(name)
        where = self.submit(
            page,
            f"/patients/{pk}/side-effects/new/",
            "POST /patients/<id>/side-effects/new/",
            field="treatment",
            fields=fields,
        )
        match = re.fullmatch(r"/side-effects/(\d+)/", where or "")
        if match:
            acknowledge("side_effect", match[1])

    @task(3)
    def search_and_open(self):
        self.open_patient()
