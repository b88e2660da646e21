"""The Django admin for patients, products and protocol versions saves through their services."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinic.models import StaleRecord
from treatments.admin.records import LotAdminForm
from treatments.forms.lots import LOT_FIELDS
from treatments.models import FollowUpStep, Indication, Patient, Product, Protocol
from treatments.services.patients import patient_void
from treatments.services.products import product_save
from treatments.services.protocol import protocol_save

pytestmark = [
    pytest.mark.django_db,
    # The admin is no second write path: its saves go through the services, with a reason.
    pytest.mark.security("audit_trail", "no_delete", "stale_forms"),
    pytest.mark.time_machine(dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC), tick=False),
]


def newest(record):
    # By id: the clock is frozen (rows share a date) and seeded rows may carry a later one.
    return record.history.order_by("-history_id").first()


def patient_form(patient, **overrides):
    data = {
        "mrn": patient.mrn,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "consent_on_file": "",
        "version": patient.version,
    }
    return data | overrides


def test_a_patient_edit_in_the_admin_goes_through_the_patient_service(superuser_client, superuser, patient):
    knee = Indication.objects.first()
    response = superuser_client.post(
        reverse("admin:treatments_patient_change", args=[patient.pk]),
        patient_form(patient, current_medication="Ibuprofen 400 mg", indications=[knee.pk]),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    # The model's rules ran (the medication names an anti-inflammatory), the indications were set.
    assert patient.takes_anti_inflammatories and list(patient.indications.all()) == [knee]
    change = newest(patient)
    assert change.history_type == "~"
    assert (change.history_user, change.history_change_reason) == (superuser, "Edited in the admin")


def test_a_patient_added_in_the_admin_is_credited_to_its_author(superuser_client, superuser, patient):
    data = patient_form(patient, mrn="MRN-ADMIN", version="")
    assert superuser_client.post(reverse("admin:treatments_patient_add"), data).status_code == 302
    added = Patient.objects.get(mrn="MRN-ADMIN")
    assert added.created_by == superuser
    assert added.history.get().history_change_reason == "Added in the admin"


def test_a_voided_patient_is_read_only_in_the_admin(superuser_client, physician, patient):
    patient_void(patient=patient, user=physician, reason="Registered twice")
    url = reverse("admin:treatments_patient_change", args=[patient.pk])
    assert superuser_client.get(url).status_code == 200
    response = superuser_client.post(url, patient_form(patient, family_name="Changed"))
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.family_name == "Lovelace"


def test_the_history_is_read_in_the_admin_never_reverted(superuser_client, patient):
    first = patient.history.get()
    url = reverse("admin:treatments_patient_simple_history", args=[patient.pk, first.history_id])
    page = superuser_client.get(url)
    assert page.status_code == 200 and "Revert" not in page.content.decode()
    assert superuser_client.post(url, patient_form(patient, family_name="Old")).status_code == 403
    patient.refresh_from_db()
    assert (patient.family_name, patient.version) == ("Lovelace", 1)


@pytest.mark.parametrize(
    ("refusal", "message"),
    [
        (lambda product: StaleRecord(product), "This product was changed by someone else while you were"),
        (
            lambda product: ValidationError("Name taken meanwhile."),
            "Nothing was saved: Name taken meanwhile.",
        ),
    ],
)
def test_a_service_refusal_under_lock_comes_back_as_a_message(superuser_client, product, refusal, message):
    url = reverse("admin:treatments_product_change", args=[product.pk])
    data = {"name": product.name, "manufacturer": "Other lab", "source": "placental_msc", "kind": "standard"}
    data |= {"storage_requirement": "frozen", "version": product.version}
    # Someone saved between the form's own check and the service's lock.
    with mock.patch("treatments.admin.records.product_save", side_effect=refusal(product)):
        response = superuser_client.post(url, data, follow=True)
    assert response.redirect_chain[0] == (url, 302)
    assert message in response.content.decode()
    product.refresh_from_db()
    assert (product.manufacturer, product.version) == ("Kimera Laboratories", 1)


def test_a_stale_product_page_comes_back_with_what_was_typed(superuser_client, product):
    url = reverse("admin:treatments_product_change", args=[product.pk])
    data = {"name": product.name, "manufacturer": "Typed lab", "source": "placental_msc", "kind": "standard"}
    data |= {"storage_requirement": "frozen", "version": product.version}
    product_save(product=Product.objects.get(pk=product.pk), user=None, expected_version=1, reason="Theirs")
    response = superuser_client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "This product was changed by someone else while you were editing" in body
    assert 'value="Typed lab"' in body
    assert Product.objects.get(pk=product.pk).manufacturer == "Kimera Laboratories"


# Protocol versions and their steps ----------------------------------------------------------------


def protocol_form(protocol, steps, **overrides):
    fields = ["name", "effective_from", "max_dose_billion", "default_concentration"]
    fields += ["expected_side_effect_days", "no_strenuous_activity_hours", "cardio_after_weeks_min"]
    fields += ["cardio_after_weeks_max", "weights_running_after_weeks", "notes"]
    fields += ["anti_inflammatory_pause_days_before", "anti_inflammatory_pause_days_after"]
    data = {name: str(getattr(protocol, name)) for name in fields} | {"version": protocol.version}
    data["change_reason"] = "Reviewed the schedule"
    data |= {"steps-TOTAL_FORMS": len(steps), "steps-INITIAL_FORMS": len(steps)}
    for row, step in enumerate(steps):
        for name in ["id", "protocol", "order", "name", "kind", "offset_days", "window_before_days"]:
            data[f"steps-{row}-{name}"] = getattr(step, f"{name}_id" if name == "protocol" else name)
        data[f"steps-{row}-window_after_days"] = step.window_after_days
    return data | overrides


@pytest.fixture
def version(clinic_admin):
    protocol = Protocol.objects.create(effective_from=dt.date(1999, 1, 1), created_by=clinic_admin)
    protocol.steps.create(name="Call", offset_days=2, window_after_days=1)
    return protocol


def test_a_protocol_version_and_its_steps_are_saved_together_with_a_reason(
    superuser_client, superuser, version
):
    [call] = version.steps.all()
    data = protocol_form(version, [call], notes="Reviewed", **{"steps-0-window_after_days": "3"})
    data |= {"steps-TOTAL_FORMS": 2, "steps-1-name": "Visit", "steps-1-offset_days": "30"}
    data |= {"steps-1-kind": "other", "steps-1-order": "2", "steps-1-window_before_days": "0"}
    data |= {"steps-1-window_after_days": "7", "steps-1-protocol": version.pk}
    response = superuser_client.post(reverse("admin:treatments_protocol_change", args=[version.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    version.refresh_from_db()
    assert (version.notes, newest(version).history_change_reason) == ("Reviewed", "Reviewed the schedule")
    call, visit = version.steps.order_by("order")
    assert (call.window_after_days, visit.name) == (3, "Visit")
    for step in (call, visit):
        latest = newest(step)
        assert (latest.history_user, latest.history_change_reason) == (superuser, "Reviewed the schedule")


def test_steps_are_never_deleted_in_the_admin(superuser_client, version):
    [call] = version.steps.all()
    data = protocol_form(version, [call], **{"steps-0-DELETE": "on"})
    superuser_client.post(reverse("admin:treatments_protocol_change", args=[version.pk]), data)
    assert FollowUpStep.objects.filter(pk=call.pk).exists()


def test_a_stale_protocol_form_saves_neither_the_version_nor_its_steps(superuser_client, version):
    [call] = version.steps.all()
    stale = protocol_form(version, [call], notes="Mine", **{"steps-0-window_after_days": "5"})
    protocol_save(protocol=Protocol.objects.get(pk=version.pk), user=None, reason="Theirs")
    response = superuser_client.post(reverse("admin:treatments_protocol_change", args=[version.pk]), stale)
    assert "changed by someone else while you were editing" in response.content.decode()
    call.refresh_from_db()
    assert call.window_after_days == 1
    assert Protocol.objects.get(pk=version.pk).notes == ""


def test_protocol_save_keeps_each_step_with_its_version(clinic_admin, version):
    other = Protocol.objects.create(effective_from=dt.date(1998, 1, 1), created_by=clinic_admin)
    [call] = version.steps.all()
    with pytest.raises(ValidationError, match="belongs to another protocol version"):
        protocol_save(
            protocol=other, user=clinic_admin, steps=[call], expected_version=other.version, reason="Steps"
        )
    assert FollowUpStep.objects.get(pk=call.pk).protocol == version


def test_product_save_credits_the_author_and_refuses_a_stale_form(clinic_admin, product):
    added = product_save(product=Product(name="New", manufacturer="Lab"), user=clinic_admin)
    assert added.created_by == clinic_admin and added.history.get().history_change_reason == "Added"
    product.notes = "Mine"
    with pytest.raises(StaleRecord):
        product_save(product=product, user=clinic_admin, expected_version=product.version - 1)


def test_the_admin_lot_form_reuses_the_lot_pages_fields_with_the_recall_reason():
    fields = LotAdminForm._meta.fields
    assert [name for name in fields if name != "recall_reason"] == LOT_FIELDS
    assert fields[fields.index("status") + 1] == "recall_reason"
