"""Builders of treatment records through the services, so that a test holds only states the app
allows: a draft saved by ``treatment_save`` (with administrations from released lots, stock and dose
rules applied), signed by ``treatment_sign`` with its physician's password, as on the sign page.

The fixtures in tests/conftest.py (``make_treatment``, ``make_signed_treatment``,
``make_draft_treatment``, ``make_administration``) are thin wrappers around these.
"""

import datetime as dt
from decimal import Decimal

from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.helpers.auth import PASSWORD
from treatments.models import Administration, Indication, Treatment
from treatments.models.treatments import ROUTES_NEEDING_SITE
from treatments.services.signing import treatment_sign
from treatments.services.treatments import treatment_save

# Set by the services (drafting, signing, voiding, round numbering), never by a test: a builder
# that took them would make a record the app could not have made.
SERVICE_FIELDS = frozenset(
    {
        "status",
        "created_by",
        "signed_at",
        "signed_by",
        "round_number",
        "version",
        "voided_at",
        "voided_by",
        "void_reason",
    }
)


def clinic_time(day: dt.date, at: dt.time = dt.time(10, 0)) -> dt.datetime:
    """``at`` o'clock on ``day`` in the clinic's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, at))


def administration(lot, route: str = "iv_drip", dose: str = "1", **fields) -> Administration:
    """An unsaved administration to hand to a builder (the service computes its volume). Routes
    that need a site get "left knee" unless ``site`` is given."""
    fields.setdefault("site", "left knee" if route in ROUTES_NEEDING_SITE else "")
    return Administration(lot=lot, route=route, dose_billion=Decimal(dose), **fields)


def draft_treatment(patient, *, physician, performed_at, administrations, user=None, **fields) -> Treatment:
    """A draft saved by ``treatment_save`` as ``user`` (default: the physician), checklist ticked."""
    refused = SERVICE_FIELDS & set(fields)
    if refused:
        raise TypeError(
            f"{', '.join(sorted(refused))}: set by the services, not by a test. Sign with "
            "sign_treatment, void with treatments.services.signing.treatment_void."
        )
    values = {
        "patient": patient,
        "physician": physician,
        "performed_at": performed_at,
        "indication": Indication.objects.order_by("order", "name").first(),
        "consent_confirmed": True,
        "anti_inflammatories_paused": True,
        "product_thawed_inspected": True,
    }
    values.update(fields)
    return treatment_save(
        treatment=Treatment(**values), user=user or physician, administrations=list(administrations)
    )


def sign_treatment(treatment: Treatment, *, user=None, password: str = PASSWORD) -> Treatment:
    """Sign a draft as on the sign page: ``user`` (default: the treating physician) is the signed-in
    user of the request and types their password again. Signing schedules the follow-ups."""
    signer = user or treatment.physician
    request = RequestFactory().post(reverse("treatment_sign", args=[treatment.pk]))
    request.user = signer
    return treatment_sign(
        treatment=treatment,
        user=signer,
        password=password,
        request=request,
        expected_version=treatment.version,
    )
