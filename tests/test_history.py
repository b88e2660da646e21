"""A record's history: people by name, every changed clinical value (the treatment's and its
administrations'), choices by label, and a fixed number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from treatments.selectors.history import record_history
from treatments.selectors.treatments import treatment_histories, treatments_for_page
from treatments.services.signing import treatment_amend
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db


def _changes(rows) -> dict[str, tuple]:
    return {change["field"]: (change["old"], change["new"]) for row in rows for change in row["changes"]}


def _edit_dose(amendment, user, dose: str):
    copy = amendment.administrations.get()
    copy.dose_billion = Decimal(dose)
    treatment_save(treatment=amendment, user=user, administrations=[copy], expected_version=amendment.version)


def test_signing_shows_the_signer_by_name_not_by_id(make_treatment, patient, physician):
    treatment = make_treatment(patient, sign=True)
    rows = record_history(record=treatment, parts="administrations", part_label="Administration")
    signed = next(row for row in rows if row["entry"].history_change_reason == "Signed")
    changes = _changes([signed])
    assert changes["signed by"] == (None, "Helen Ross")
    assert changes["status"] == ("Draft", "Signed")  # choices by their label
    assert signed["who"] == "Helen Ross"


def test_a_user_without_a_full_name_shows_as_the_username(make_treatment, patient, physician):
    physician.first_name = physician.last_name = ""
    physician.save()
    treatment = make_treatment(patient, sign=True)
    rows = record_history(record=treatment)
    assert _changes(rows)["signed by"] == (None, "physician")
    assert {row["who"] for row in rows} == {"physician"}


def test_an_amendments_draft_edit_shows_the_changed_dose(make_treatment, patient, physician, lot):
    original = make_treatment(patient, sign=True, doses=["5"])
    amendment = treatment_amend(treatment=original, user=physician, reason="Dose was 4, not 5")
    _edit_dose(amendment, physician, "4")

    rows = record_history(record=amendment, parts="administrations", part_label="Administration")
    edited = rows[0]
    assert edited["entry"].history_change_reason == "Draft edited"
    assert _changes([edited])["Administration 1 · dose (billion exosomes)"] == ("5", "4")
    assert _changes([edited])["Administration 1 · volume (ml)"] == ("5", "4")
    # The amendment's start lists what it copied, with the lot by its label.
    started = next(row for row in rows if row["entry"].history_type == "+")
    [(old, added)] = [value for key, value in _changes([started]).items() if key == "Administration 1 added"]
    assert old is None
    assert (
        added
        == f"route IV drip · lot {lot} · dose (billion exosomes) 5 · volume (ml) 5 · whole dose given yes"
    )
    assert "ID" not in str(_changes(rows))


def test_a_removed_administration_shows_who_removed_it_and_why(make_treatment, patient, physician, lot):
    draft = make_treatment(patient, doses=["2", "3"])
    kept = draft.administrations.order_by("order").first()
    treatment_save(treatment=draft, user=physician, administrations=[kept], expected_version=draft.version)
    changes = _changes(record_history(record=draft, parts="administrations", part_label="Administration")[:1])
    assert changes["Administration 2 · voided by"] == (None, "Helen Ross")
    assert changes["Administration 2 · reason for voiding"][1]


def test_the_treatment_page_history_names_people_and_values(
    physician_client, make_treatment, patient, physician
):
    original = make_treatment(patient, sign=True, doses=["5"])
    amendment = treatment_amend(treatment=original, user=physician, reason="Dose was 4, not 5")
    _edit_dose(amendment, physician, "4")
    body = physician_client.get(amendment.get_absolute_url()).content.decode()
    assert "Administration 1 · dose (billion exosomes)</span>: 5 → 4" in body
    original_body = physician_client.get(original.get_absolute_url()).content.decode()
    assert "Signed by</span>: – → Helen Ross" in original_body
    assert f"Signed by</span>: – → {physician.pk}<" not in original_body


@pytest.mark.parametrize("edits", [1, 8])
def test_the_history_runs_the_same_queries_whatever_the_rows(
    edits, make_treatment, patient, physician, other_physician, django_assert_num_queries
):
    original = make_treatment(patient, sign=True, doses=["5", "3"])
    amendment = treatment_amend(treatment=original, user=physician, reason="Doses")
    for step in range(edits):
        amendment.refresh_from_db()
        copies = list(amendment.administrations.active().order_by("order"))
        copies[0].dose_billion = Decimal(4) - Decimal("0.25") * step
        # The physician changes each time: the names come from one read of the people.
        amendment.physician = other_physician if step % 2 == 0 else physician
        treatment_save(
            treatment=amendment,
            user=physician,
            administrations=copies,
            expected_version=amendment.version,
            reason=f"Edit {step}",
        )
    treatment = treatments_for_page().get(pk=amendment.pk)
    # The amendment: its history, its administrations' history (lots joined), the people named
    # who wrote no row (the other physician); the original: its history, its administrations'.
    with django_assert_num_queries(5):
        histories = treatment_histories(treatment=treatment)
    changes = _changes(histories[0][1])
    assert changes["physician"][1] in {"Jonas Weber", "Helen Ross"}


def test_a_patients_history_still_reads_its_indications(physician_client, patient):
    data_url = reverse("patient_detail", args=[patient.pk])
    assert physician_client.get(data_url).status_code == 200
    rows = record_history(record=patient)
    assert rows[-1]["what"] == "Created"
    assert rows[-1]["entry"].history_date <= timezone.now()


def test_a_draft_saved_without_changes_says_so(physician_client, make_treatment, patient, physician, lot):
    draft = make_treatment(patient, doses=["2"])
    treatment_save(
        treatment=draft,
        user=physician,
        administrations=list(draft.administrations.all()),
        expected_version=draft.version,
    )
    body = physician_client.get(draft.get_absolute_url()).content.decode()
    assert "No recorded value changed" in body
