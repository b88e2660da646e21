"""A protocol version that governs a treatment is frozen: the service refuses a change, the admin
shows it read-only with why and offers "Copy as new version"; a new version takes effect after
today, and every change keeps its reason in the history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from treatments.models import Protocol
from treatments.services.protocol import protocol_copy, protocol_save

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC), tick=False),
]
TODAY = dt.date(2026, 3, 20)


def in_force():
    return Protocol.objects.in_force_on(TODAY)


def newest(record):
    return record.history.order_by("-history_id").first()


def admin_form(protocol, **overrides):
    fields = ["name", "effective_from", "max_dose_billion", "default_concentration"]
    fields += ["expected_side_effect_days", "no_strenuous_activity_hours", "cardio_after_weeks_min"]
    fields += ["cardio_after_weeks_max", "weights_running_after_weeks", "notes"]
    fields += ["anti_inflammatory_pause_days_before", "anti_inflammatory_pause_days_after"]
    data = {name: str(getattr(protocol, name)) for name in fields} | {"version": protocol.version}
    steps = list(protocol.steps.all())
    data |= {"steps-TOTAL_FORMS": len(steps), "steps-INITIAL_FORMS": len(steps)}
    for row, step in enumerate(steps):
        for name in ["id", "order", "name", "kind", "offset_days", "window_before_days", "window_after_days"]:
            data[f"steps-{row}-{name}"] = getattr(step, name)
        data[f"steps-{row}-protocol"] = protocol.pk
    return data | overrides


@pytest.fixture
def governing(make_treatment, patient):
    make_treatment(patient, sign=True)
    return in_force()


# The service ---------------------------------------------------------------------------------------


def test_the_service_refuses_to_change_a_version_that_governs_a_treatment(governing, clinic_admin):
    governing.max_dose_billion = Decimal("14")
    with pytest.raises(ValidationError, match="governs 1 treatment recorded from 1 Jan 2000 on.*frozen"):
        protocol_save(
            protocol=governing, user=clinic_admin, expected_version=governing.version, reason="Lower"
        )
    assert in_force().max_dose_billion == Decimal("15")


def test_a_draft_governed_by_a_version_freezes_it_too(make_treatment, patient, clinic_admin):
    make_treatment(patient)  # a draft, not signed
    version = in_force()
    version.notes = "Edited"
    with pytest.raises(ValidationError, match="frozen"):
        protocol_save(protocol=version, user=clinic_admin, reason="Notes")


def test_its_steps_are_frozen_with_it(governing, clinic_admin):
    step = governing.steps.first()
    step.window_after_days += 1
    with pytest.raises(ValidationError, match="frozen"):
        protocol_save(protocol=governing, user=clinic_admin, steps=[step], reason="Wider window")
    assert governing.steps.get(pk=step.pk).window_after_days == step.window_after_days - 1


def test_a_version_that_governs_nothing_yet_is_edited_with_its_reason(clinic_admin):
    future = protocol_save(
        protocol=Protocol(effective_from=TODAY + dt.timedelta(days=10)), user=clinic_admin, reason="Planned"
    )
    future.max_dose_billion = Decimal("14")
    protocol_save(protocol=future, user=clinic_admin, expected_version=future.version, reason="Lower maximum")
    row = newest(future)
    assert (row.max_dose_billion, row.history_change_reason, row.history_user) == (
        Decimal("14"),
        "Lower maximum",
        clinic_admin,
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_change_needs_a_reason(clinic_admin, reason):
    with pytest.raises(ValidationError, match="Say why the protocol changes"):
        protocol_save(
            protocol=Protocol(effective_from=TODAY + dt.timedelta(days=3)), user=clinic_admin, reason=reason
        )


@pytest.mark.parametrize("days", [0, -1, -400])
def test_a_new_version_takes_effect_after_today(clinic_admin, days):
    with pytest.raises(ValidationError, match="after today: choose 21 Mar 2026 or later"):
        protocol_save(
            protocol=Protocol(effective_from=TODAY + dt.timedelta(days=days)), user=clinic_admin, reason="New"
        )


def test_a_past_version_cannot_be_moved_over_recorded_treatments(clinic_admin, governing):
    # A version that governs nothing yet cannot be moved back to take over treatments already judged.
    future = protocol_save(
        protocol=Protocol(effective_from=TODAY + dt.timedelta(days=5)), user=clinic_admin, reason="Planned"
    )
    future.effective_from = TODAY - dt.timedelta(days=30)
    with pytest.raises(ValidationError, match="after today"):
        protocol_save(protocol=future, user=clinic_admin, expected_version=future.version, reason="Earlier")


def test_copy_as_new_version_keeps_every_value_and_step_and_says_why(governing, clinic_admin):
    copy = protocol_copy(
        source=governing,
        user=clinic_admin,
        effective_from=TODAY + dt.timedelta(days=1),
        reason="Max dose to 14",
    )
    assert copy.pk != governing.pk and copy.effective_from == dt.date(2026, 3, 21)
    assert copy.max_dose_billion == governing.max_dose_billion
    assert [(s.name, s.offset_days) for s in copy.steps.all()] == [
        (s.name, s.offset_days) for s in governing.steps.all()
    ]
    assert newest(copy).history_change_reason == (
        "New version copied from the one in force from 1 Jan 2000: Max dose to 14"
    )
    # The copy governs nothing yet: it is edited, and from tomorrow on it is the one in force.
    copy.max_dose_billion = Decimal("14")
    protocol_save(protocol=copy, user=clinic_admin, expected_version=copy.version, reason="Max dose to 14")
    assert Protocol.objects.in_force_on(TODAY + dt.timedelta(days=1)).max_dose_billion == Decimal("14")
    assert in_force() == governing


# The admin -----------------------------------------------------------------------------------------


def test_the_admin_shows_a_governing_version_read_only_with_why(superuser_client, governing):
    url = reverse("admin:treatments_protocol_change", args=[governing.pk])
    page = superuser_client.get(url)
    body = page.content.decode()
    assert "Read-only." in body and "governs 1 treatment" in body
    assert reverse("admin:treatments_protocol_copy", args=[governing.pk]) in body
    assert 'name="max_dose_billion"' not in body  # shown as text
    response = superuser_client.post(url, admin_form(governing, max_dose_billion="14", change_reason="Lower"))
    assert response.status_code == 403
    assert in_force().max_dose_billion == Decimal("15")


def test_the_admin_copies_a_version_with_a_date_and_a_reason(superuser_client, superuser, governing):
    url = reverse("admin:treatments_protocol_copy", args=[governing.pk])
    form = superuser_client.get(url)
    assert form.context["form"]["effective_from"].value() == dt.date(2026, 3, 21)
    refused = superuser_client.post(url, {"effective_from": "2026-03-20", "reason": "Lower"})
    assert "after today" in refused.content.decode()
    assert superuser_client.post(url, {"effective_from": "2026-04-01", "reason": ""}).status_code == 200
    assert Protocol.objects.count() == 1
    response = superuser_client.post(url, {"effective_from": "2026-04-01", "reason": "Max dose to 14"})
    copy = Protocol.objects.get(effective_from=dt.date(2026, 4, 1))
    assert response["Location"] == reverse("admin:treatments_protocol_change", args=[copy.pk])
    assert newest(copy).history_user == superuser

    # The new version is edited like any other, with a reason the history keeps.
    change = reverse("admin:treatments_protocol_change", args=[copy.pk])
    assert "Reason for this change" in superuser_client.get(change).content.decode()
    without_reason = superuser_client.post(change, admin_form(copy, max_dose_billion="14"))
    assert without_reason.status_code == 200
    assert Protocol.objects.get(pk=copy.pk).max_dose_billion == Decimal("15")
    saved = superuser_client.post(
        change, admin_form(copy, max_dose_billion="14", change_reason="Max dose to 14")
    )
    assert saved.status_code == 302
    copy.refresh_from_db()
    assert copy.max_dose_billion == Decimal("14")
    assert (newest(copy).history_change_reason, newest(copy).history_user) == ("Max dose to 14", superuser)
    # The steps came with the copy (unchanged here), their first row saying where from.
    assert newest(copy.steps.first()).history_change_reason.startswith("New version copied from")
