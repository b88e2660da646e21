"""Shared fixtures: one user per role, logged-in clients, patients, lots, and treatments made
through the services (drafted, then signed with the physician's password).

Fixtures only: plain helper functions live in tests/helpers/, and test modules import from there,
never from this file or from one another."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from clinic import middleware as clinic_middleware
from clinic.roles import CLINIC_ADMIN, PHYSICIAN, STAFF
from tests.helpers.auth import PASSWORD, client_for, make_user
from tests.helpers.db import db_state
from tests.helpers.logs import capture_all_logs
from tests.helpers.records import administration, clinic_time, draft_treatment, sign_treatment
from treatments.models import Indication, Patient

pytest_plugins = [
    "tests.security_report",  # the security marker, figures and report
    "tests.xdist_scheduling",  # a module with a module-scoped fixture on one xdist worker
]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the cached figures are keyed by history ids, which a
    rolled-back test hands out again on SQLite."""
    cache.clear()


@pytest.fixture(autouse=True)
def _session_seen_at_not_due(request, monkeypatch):
    """A signed-in request saves the session's "last seen" time when SEEN_RESOLUTION_SECONDS (30 s)
    have passed since it was last saved: an UPDATE in a savepoint, three statements more on that one
    request. A test that counts a page's queries after building 50 rows would count them only when
    the build took over 30 s (a busy machine). Here the save comes due after 10 minutes; the
    session tests (test_auth_sessions.py) keep the real 30 s."""
    if request.module.__name__.endswith("test_auth_sessions"):
        return
    monkeypatch.setattr(clinic_middleware, "SEEN_RESOLUTION_SECONDS", 600)


@pytest.fixture
def physician(db):
    return make_user("physician", PHYSICIAN, first_name="Helen", last_name="Ross")


@pytest.fixture
def staff(db):
    return make_user("staff", STAFF, first_name="Mina", last_name="Kim")


@pytest.fixture
def clinic_admin(db):
    return make_user("clinicadmin", CLINIC_ADMIN, first_name="Alex", last_name="Morgan")


@pytest.fixture
def no_role(db):
    return make_user("norole")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@clinic.example", PASSWORD)


@pytest.fixture
def physician_client(physician):
    return client_for(physician)


@pytest.fixture
def staff_client(staff):
    return client_for(staff)


@pytest.fixture
def admin_client_role(clinic_admin):
    return client_for(clinic_admin)


@pytest.fixture
def no_role_client(no_role):
    return client_for(no_role)


@pytest.fixture
def superuser_client(superuser):
    return client_for(superuser)


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's admin client, past the second factor that superusers need."""
    return client_for(admin_user)


@pytest.fixture
def role_clients(physician, staff, clinic_admin, no_role):
    """Logged-in clients keyed by role name, plus an anonymous one."""
    return {
        "physician": client_for(physician),
        "staff": client_for(staff),
        "clinic_admin": client_for(clinic_admin),
        "no_role": client_for(no_role),
        "anonymous": Client(),
    }


@pytest.fixture
def make_patient(db, physician):
    counter = {"n": 0}

    def factory(**fields) -> Patient:
        counter["n"] += 1
        indications = fields.pop("indications", None)
        values = {
            "mrn": f"MRN-{counter['n']:05d}",
            "given_name": "Ada",
            "family_name": f"Lovelace{counter['n']}",
            "date_of_birth": dt.date(1970, 5, 17),
            "sex": "female",
            # Before every treatment date the tests use: a treatment is signed only with consent on file
            # on or before its date.
            "consent_on_file": dt.date(2025, 1, 1),
            "created_by": physician,
        }
        values.update(fields)
        patient = Patient.objects.create(**values)
        if indications:
            patient.indications.set(Indication.objects.filter(code__in=indications))
        return patient

    return factory


@pytest.fixture
def patient(make_patient):
    return make_patient(given_name="Ada", family_name="Lovelace", mrn="MRN-ADA")


@pytest.fixture
def db_snapshot(db):
    """Call it before and after an action: equal results mean the action changed no record."""
    return db_state


@pytest.fixture
def captured_logs():
    """Every log line written during the test, at every level, from every logger
    (``captured_logs.lines``, formatted as ``name LEVEL message``)."""
    with capture_all_logs() as capture:
        yield capture


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser; no background traffic on a closed network."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


# Treatment recording: products, lots and treatments made through the services.


@pytest.fixture
def product(db, clinic_admin):
    from treatments.models import Product

    return Product.objects.create(
        name="Placental MSC exosomes", manufacturer="Kimera Laboratories", created_by=clinic_admin
    )


@pytest.fixture
def make_lot(db, product, clinic_admin):
    from decimal import Decimal

    from treatments.models import Lot

    counter = {"n": 0}

    def factory(number: str | None = None, **fields) -> Lot:
        counter["n"] += 1
        values = {
            "product": product,
            "lot_number": number or f"L-{counter['n']:03d}",
            "received_on": dt.date(2025, 1, 1),
            "expires_on": dt.date(2030, 1, 1),
            "concentration": Decimal("1"),
            "quantity_received_ml": Decimal("100"),
            "status": "released",
            "created_by": clinic_admin,
        }
        values.update(fields)
        if values["status"] == "recalled":
            values.setdefault("recall_reason", "Sterility test failed")
            values.setdefault("recalled_at", timezone.now())
        return Lot.objects.create(**values)

    return factory


@pytest.fixture
def lot(make_lot):
    return make_lot(lot_number="KL-2601")


@pytest.fixture
def make_treatment(db, physician, lot):
    """A treatment drafted (and, with ``sign=True``, signed) through the services, ``when`` (default:
    an hour ago), with one IV drip per dose from ``lot``."""

    def factory(patient, *, doses=("5",), sign=False, when=None, user=None, lot=lot, **fields):
        fields.setdefault("physician", physician)
        treatment = draft_treatment(
            patient,
            performed_at=when or timezone.now() - dt.timedelta(hours=1),
            administrations=[administration(lot, dose=dose) for dose in doses],
            user=user,
            **fields,
        )
        return sign_treatment(treatment) if sign else treatment

    return factory


# Follow-ups and side effects -------------------------------------------------------------------


@pytest.fixture
def make_draft_treatment(db, physician, request):
    """A draft treatment at ``at`` on ``day`` by ``by`` (default: the physician), saved through
    ``treatment_save``. ``administrations`` (see tests.helpers.records.administration) default to
    one 1 billion IV drip from the ``lot`` fixture; a draft may have none (``administrations=[]``)."""

    def factory(patient, day: dt.date, *, by=None, at=dt.time(10, 0), administrations=None, **fields):
        if administrations is None:
            administrations = [administration(request.getfixturevalue("lot"))]
        fields.setdefault("performed_at", clinic_time(day, at))
        return draft_treatment(patient, physician=by or physician, administrations=administrations, **fields)

    return factory


@pytest.fixture
def make_signed_treatment(make_draft_treatment):
    """A treatment drafted as by ``make_draft_treatment`` (same arguments; at least one
    administration), then signed by its physician with their password through ``treatment_sign``,
    which schedules its follow-ups from the protocol. To void it, call ``treatment_void``."""

    def factory(patient, day: dt.date, **options):
        return sign_treatment(make_draft_treatment(patient, day, **options))

    return factory


@pytest.fixture
def other_physician(db):
    return make_user("physician2", PHYSICIAN, first_name="Jonas", last_name="Weber")


@pytest.fixture
def make_administration(db):
    """Add an administration to a DRAFT through ``treatment_save`` (its other administrations kept).
    A signed treatment is read-only: give its administrations to ``make_signed_treatment``."""
    from treatments.services.treatments import treatment_save

    def factory(treatment, lot, route: str = "iv_drip", dose: str = "1", **fields):
        treatment.refresh_from_db()
        kept = list(treatment.administrations.active().order_by("order"))
        added = administration(lot, route, dose, **fields)
        treatment_save(
            treatment=treatment,
            user=treatment.created_by,
            administrations=[*kept, added],
            expected_version=treatment.version,
        )
        return added

    return factory


@pytest.fixture
def make_report(db, staff):
    """A side-effect report created directly, not through ``side_effect_report`` (its expected
    resolution date is set on save): the database-constraint tests use it to write rows the
    service would refuse."""
    from treatments.models import SideEffectReport

    def factory(treatment, *, onset: dt.date | None = None, **fields) -> SideEffectReport:
        values = {
            "patient": treatment.patient,
            "treatment": treatment,
            "reported_by": staff,
            "created_by": staff,
            "term": "fever",
            "onset": onset or treatment.treatment_date + dt.timedelta(days=1),
            "grade": 1,
            # An undated report is ongoing, and an ongoing one cannot be "resolved".
            "outcome": "resolved" if fields.get("resolved_on") else "not_resolved",
        }
        values.update(fields)
        return SideEffectReport.objects.create(**values)

    return factory
