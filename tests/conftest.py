"""Shared fixtures: one user per role, logged-in clients, and a patient factory."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.roles import CLINIC_ADMIN, PHYSICIAN, STAFF
from clinic.second_factor import needs_second_factor
from tests.figures import (  # noqa: F401 (pytest hooks and the figures fixture)
    pytest_runtest_logreport,
    pytest_sessionfinish,
    security_figures,
)
from treatments.models import Indication, Patient

PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


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


def login_verified(client: Client, user) -> Client:
    """Log the client in as a user who has passed the second factor where their role needs one:
    the session holds a confirmed TOTP device, as after a real verification. Production behaviour
    (the second factor required) stays on in tests; use this instead of ``client.force_login``."""
    client.force_login(user)
    if needs_second_factor(user):
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="test phone", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _client_for(user, **client_options) -> Client:
    return login_verified(Client(**client_options), user)


@pytest.fixture
def physician_client(physician):
    return _client_for(physician)


@pytest.fixture
def staff_client(staff):
    return _client_for(staff)


@pytest.fixture
def admin_client_role(clinic_admin):
    return _client_for(clinic_admin)


@pytest.fixture
def no_role_client(no_role):
    return _client_for(no_role)


@pytest.fixture
def superuser_client(superuser):
    return _client_for(superuser)


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's admin client, past the second factor that superusers need."""
    return _client_for(admin_user)


@pytest.fixture
def role_clients(physician, staff, clinic_admin, no_role):
    """Logged-in clients keyed by role name, plus an anonymous one."""
    return {
        "physician": _client_for(physician),
        "staff": _client_for(staff),
        "clinic_admin": _client_for(clinic_admin),
        "no_role": _client_for(no_role),
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
            "consent_on_file": dt.date(2026, 1, 10),
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


def _db_state() -> dict[str, tuple]:
    """Row count of every table (and the sum of record versions) except sessions and the access
    log, which opening a page is allowed to write."""
    from django.apps import apps
    from django.db.models import Sum

    skipped = {"sessions.session", "clinic.accessevent", "axes.accesslog"}
    state = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in skipped:
            continue
        rows = model._base_manager.all()
        versions = rows.aggregate(total=Sum("version"))["total"] if hasattr(model, "version") else None
        state[label] = (rows.count(), versions)
    return state


@pytest.fixture
def db_snapshot(db):
    """Call it before and after an action: equal results mean the action changed no record."""
    return _db_state
