"""POST data for the project's forms, and the list of every form class the project defines."""

import datetime as dt
import importlib
import pkgutil

from django import forms
from django.utils import timezone

from treatments.models import Indication

PACKAGES = ("clinic", "treatments", "faq")
SKIPPED_MODULES = ("migrations", "settings", "wsgi", "asgi")


def treatment_form_data(lot, *, administrations=None, **overrides):
    """The treatment form as a physician fills it in, half an hour after the treatment: one 5 billion
    IV drip from ``lot`` unless ``administrations`` lists the rows."""
    rows = administrations or [{"route": "iv_drip", "lot": lot.pk, "dose_billion": "5"}]
    data = {
        "performed_at": (timezone.localtime() - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        "indication": Indication.objects.get(code="autoimmune").pk,
        "course_position": "initial",
        "consent_confirmed": "on",
        "anti_inflammatories_paused": "on",
        "product_thawed_inspected": "on",
        "notes": "",
        "administrations-TOTAL_FORMS": str(len(rows)),
        "administrations-INITIAL_FORMS": "0",
        "administrations-MIN_NUM_FORMS": "0",
        "administrations-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        values = {"site": "", "whole_dose_given": "on", "not_given_reason": ""}
        values.update(row)
        for key, value in values.items():
            if value is not None:
                data[f"administrations-{index}-{key}"] = value
    data.update(overrides)
    return data


def treatment_edit_data(treatment, lot, rows, **overrides):
    """The edit form of a draft: its existing administrations bound to the first ``rows``."""
    existing = list(treatment.administrations.active().order_by("order"))
    data = treatment_form_data(lot, administrations=rows, version=treatment.version, **overrides)
    data["administrations-INITIAL_FORMS"] = str(len(existing))
    for index, administration in enumerate(existing):
        data[f"administrations-{index}-id"] = administration.pk
        data[f"administrations-{index}-treatment"] = treatment.pk
    return data


def lot_admin_form(lot, **overrides):
    """The admin's change form of a lot as the ``make_lot`` fixture created it."""
    data = {
        "product": lot.product_id,
        "lot_number": lot.lot_number,
        "manufacturer": "",
        "received_on": "2025-01-01",
        "expires_on": "2030-01-01",
        "concentration": "1",
        "quantity_received_ml": "100",
        "storage_location": "",
        "storage_temperature_c": "",
        "status": "released",
        "recall_reason": "",
        "certificate_of_analysis": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def project_forms() -> set[type]:
    """Every Form subclass defined in the project's packages (importing each module first)."""
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if not any(part in SKIPPED_MODULES for part in module.name.split(".")):
                importlib.import_module(module.name)
    found, todo = set(), [forms.BaseForm]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass.__module__.split(".")[0] in PACKAGES:
                found.add(subclass)
    return found
