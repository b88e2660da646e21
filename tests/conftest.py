"""Shared fixtures: one user per role, logged-in clients, and a patient factory."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client

from clinic.roles import CLINIC_ADMIN, PHYSICIAN, STAFF
from tests.figures import (  # noqa: F401 (pytest hooks and the figures fixture)
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_testnodedown,
    security_figures,
)
from tests.helpers.auth import PASSWORD, client_for, make_user
from tests.helpers.db import db_state
from treatments.models import Indication, Patient


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


@pytest.fixture
def db_snapshot(db):
    """Call it before and after an action: equal results mean the action changed no record."""
    return db_state


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
            from django.utils import timezone

            values.setdefault("recall_reason", "Sterility test failed")
            values.setdefault("recalled_at", timezone.now())
        return Lot.objects.create(**values)

    return factory


@pytest.fixture
def lot(make_lot):
    return make_lot(lot_number="KL-2601")


@pytest.fixture
def make_treatment(db, physician, lot):
    """A treatment drafted (and, with ``sign=True``, signed) through the services."""
    from decimal import Decimal

    from django.utils import timezone

    from treatments.models import Administration, Indication, Treatment
    from treatments.services.signing import treatment_sign_reauthenticated
    from treatments.services.treatments import treatment_save

    def factory(patient, *, doses=("5",), sign=False, when=None, user=None, lot=lot, **fields):
        values = {
            "patient": patient,
            "physician": physician,
            "performed_at": when or timezone.now() - dt.timedelta(hours=1),
            "indication": Indication.objects.first(),
            "consent_confirmed": True,
            "anti_inflammatories_paused": True,
            "product_thawed_inspected": True,
        }
        values.update(fields)
        treatment = Treatment(**values)
        administrations = [
            Administration(route="iv_drip", lot=lot, dose_billion=Decimal(dose)) for dose in doses
        ]
        treatment = treatment_save(
            treatment=treatment, user=user or physician, administrations=administrations
        )
        if sign:
            treatment = treatment_sign_reauthenticated(treatment=treatment, user=physician)
        return treatment

    return factory


# Follow-ups and side effects -------------------------------------------------------------------


@pytest.fixture
def make_signed_treatment(db, physician):
    """A signed treatment created directly (the signing flow is tested elsewhere), with its
    follow-ups scheduled from the protocol unless ``schedule=False``."""
    from django.utils import timezone

    from treatments.models import Treatment, TreatmentStatus
    from treatments.services.followups import followups_schedule

    def factory(patient, day: dt.date, *, by=None, schedule: bool = True, at=dt.time(10, 0), **extra):
        doctor = by or physician
        values = {
            "patient": patient,
            "physician": doctor,
            "performed_at": timezone.make_aware(dt.datetime.combine(day, at)),
            "indication": Indication.objects.order_by("order").first(),
            "status": TreatmentStatus.SIGNED,
            "signed_at": timezone.now(),
            "signed_by": doctor,
            "created_by": doctor,
        }
        values.update(extra)
        treatment = Treatment.objects.create(**values)
        if schedule:
            followups_schedule(treatment=treatment, user=doctor)
        return treatment

    return factory


@pytest.fixture
def other_physician(db):
    return make_user("physician2", PHYSICIAN, first_name="Jonas", last_name="Weber")


@pytest.fixture
def make_administration(db):
    from decimal import Decimal

    from treatments.models import Administration

    def factory(treatment, lot, route: str = "iv_drip", dose: str = "5", **extra) -> Administration:
        site = extra.pop("site", "left knee" if route in ("local_injection", "intradiscal") else "")
        # The treatment may already be signed (read-only to save()): put the administration in place
        # as it was recorded before signing.
        [administration] = Administration.objects.bulk_create(
            [
                Administration(
                    treatment=treatment,
                    lot=lot,
                    route=route,
                    site=site,
                    dose_billion=Decimal(dose),
                    volume_ml=Decimal(dose) / lot.concentration,
                    created_by=treatment.physician,
                    **extra,
                )
            ]
        )
        return administration

    return factory


@pytest.fixture
def make_report(db, staff):
    """A side-effect report created directly (its expected resolution date is set on save)."""
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
            "outcome": "resolved",
        }
        values.update(fields)
        return SideEffectReport.objects.create(**values)

    return factory
