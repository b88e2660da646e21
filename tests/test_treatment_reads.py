"""The treatment read layer (treatment, sign, aftercare and protocol pages), by the rows it returns."""

import datetime as dt
from decimal import Decimal

import pytest

from treatments.models import FollowUpStatus, Protocol, TreatmentStatus
from treatments.selectors.protocol import protocol_versions
from treatments.selectors.treatments import (
    treatment_administrations_to_sign,
    treatment_aftercare,
    treatment_histories,
    treatment_page,
    treatments_for_aftercare,
    treatments_for_page,
)
from treatments.services.signing import treatment_amend, treatment_sign_reauthenticated, treatment_void
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def edited_draft(make_treatment, patient, physician):
    """A draft recorded with 5 and 3 billion, then edited down to the 5."""
    draft = make_treatment(patient, doses=["5", "3"])
    kept = draft.administrations.active().order_by("order").first()
    return treatment_save(treatment=draft, user=physician, administrations=[kept])


def test_treatment_pages_reach_every_treatment_whatever_its_status(make_treatment, patient, physician):
    draft = make_treatment(patient)
    voided = make_treatment(patient)
    treatment_void(treatment=voided, user=physician, reason="Duplicate")
    assert set(treatments_for_page()) == {draft, voided}
    assert set(treatments_for_aftercare()) == {draft, voided}


def test_the_page_separates_what_was_given_from_what_was_removed(edited_draft):
    page = treatment_page(treatment=treatments_for_page().get(pk=edited_draft.pk))
    assert [a.dose_billion for a in page["administrations"]] == [Decimal("5")]
    assert [a.dose_billion for a in page["removed_administrations"]] == [Decimal("3")]
    assert page["total_dose"] == Decimal("5")
    assert (page["amendment"], page["followups"]) == (None, [])


def test_the_page_of_a_superseded_treatment_names_its_amendment(make_treatment, patient, physician):
    original = make_treatment(patient, sign=True)
    amendment = treatment_amend(treatment=original, user=physician, reason="Wrong site")
    treatment_sign_reauthenticated(treatment=amendment, user=physician)
    page = treatment_page(treatment=treatments_for_page().get(pk=original.pk))
    assert page["amendment"] == amendment
    assert page["followups"] == []  # they moved to the amendment
    assert len(treatment_page(treatment=amendment)["followups"]) > 0

    histories = treatment_histories(treatment=treatments_for_page().get(pk=amendment.pk))
    assert [record.pk for record, _ in histories] == [amendment.pk, original.pk]
    assert all(rows for _, rows in histories)
    original_histories = treatment_histories(treatment=treatments_for_page().get(pk=original.pk))
    assert [record.pk for record, _ in original_histories] == [original.pk, amendment.pk]


def test_the_sign_page_lists_the_active_administrations(edited_draft):
    given = treatment_administrations_to_sign(treatment=edited_draft)
    assert [a.dose_billion for a in given] == [Decimal("5")]
    assert given[0].lot.product.name == "Placental MSC exosomes"


def test_the_aftercare_sheet_lists_open_follow_ups_by_due_date(make_treatment, patient):
    treatment = make_treatment(patient, sign=True)
    first = treatment.followups.order_by("due_on").first()
    first.status = FollowUpStatus.COMPLETED
    first.contact = "call"
    first.completed_at = treatment.performed_at
    first.save()
    sheet = treatment_aftercare(treatment=treatment)
    due = [f.due_on for f in sheet["followups"]]
    assert first.pk not in {f.pk for f in sheet["followups"]}
    assert due == sorted(due) and len(due) == treatment.followups.count() - 1
    assert sheet["protocol"] == Protocol.objects.in_force_on(treatment.treatment_date)
    assert treatment.status == TreatmentStatus.SIGNED and sheet["dates"]


def test_the_protocol_page_lists_versions_newest_first_and_the_one_in_force():
    later = Protocol.objects.create(effective_from=dt.date(2099, 1, 1), max_dose_billion=Decimal("12"))
    page = protocol_versions(today=dt.date(2026, 6, 1))
    assert page["versions"][0] == later
    assert page["in_force"].effective_from == dt.date(2000, 1, 1)
    assert protocol_versions(today=dt.date(2099, 1, 1))["in_force"] == later
    assert protocol_versions(today=dt.date(1999, 12, 31))["in_force"] is None
