"""The worklist's read layer: WorklistFilter, followup_worklist / followup_counts, the reminder and
record-number look-ups, row by row and query by query."""

import datetime as dt

import pytest

from clinic.roles import PHYSICIAN
from tests.helpers.auth import make_user
from treatments.filters.followups import WorklistFilter
from treatments.models import FollowUp
from treatments.selectors import followups as selectors
from treatments.selectors.followups import followup_attempts, followup_counts, followup_worklist
from treatments.selectors.lookup import patient_with_record_number
from treatments.services.followup_actions import followup_complete, followup_record_attempt
from treatments.services.patients import patient_void

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
TODAY = dt.date(2026, 3, 2)
EVERYTHING = {
    "due_today": [("Tess", "check_in")],
    "due_this_week": [("Will", "check_in")],
    "overdue": [("Olga", "check_in"), ("Olga", "early_check")],
    "upcoming": [("Uma", "early_check")],
    "missed": [],
    "recent": [("Uma", "check_in")],
}
NOTHING = dict.fromkeys(EVERYTHING, [])


@pytest.fixture
def clinic(make_patient, make_signed_treatment, physician, staff):
    """Olga's call and week 6-8 check are overdue, Tess's call is due today, Will's (Dr Weber's
    patient) on Wednesday; Uma's call was completed today and her week 6-8 check is due on 22 March."""
    weber = make_user("dr.weber", PHYSICIAN, first_name="Jonas", last_name="Weber")
    patients = {
        name: make_patient(given_name=name, family_name=family)
        for name, family in (("Olga", "Overdue"), ("Tess", "Today"), ("Will", "Week"), ("Uma", "Upcoming"))
    }
    make_signed_treatment(patients["Olga"], dt.date(2026, 1, 2))
    make_signed_treatment(patients["Tess"], dt.date(2026, 2, 28))
    make_signed_treatment(patients["Will"], dt.date(2026, 3, 2), at=dt.time(8, 0), by=weber)
    uma = make_signed_treatment(patients["Uma"], dt.date(2026, 2, 1))
    followup_complete(followup=uma.followups.get(kind="check_in"), user=staff, data={"contact": "call"})
    return patients | {"weber": weber}


def rows(filters) -> dict[str, list[tuple[str, str]]]:
    """Every section's rows, section by section, as the tabs show them."""
    found = {}
    for key in EVERYTHING:
        worklist = followup_worklist(filters=filters, today=TODAY, section=key)
        assert not worklist.by_default and worklist.section.key == key
        assert [section.key for section in worklist.sections if section.shown] == [key]
        found[key] = [(row.patient.given_name, row.kind) for row in worklist.section.rows]
    return found


def test_without_filters_every_section_has_its_rows_and_counts(clinic, django_assert_num_queries):
    with django_assert_num_queries(2):  # the counts, then the section's page of rows
        worklist = followup_worklist(filters=WorklistFilter(None), today=TODAY, section="overdue")
    assert rows(WorklistFilter(None)) == EVERYTHING
    counts = {section.key: section.count for section in worklist.sections}
    assert counts == {
        "due_today": 1,
        "due_this_week": 1,
        "overdue": 2,
        "upcoming": 1,
        "missed": 0,
        "recent": 1,
    }
    assert followup_counts(today=TODAY) == {
        "due_today": 1,
        "due_this_week": 1,
        "overdue": 2,
        "upcoming": 1,
        "missed": 0,
    }
    overdue = worklist.section.rows
    assert [row.timing for row in overdue] == [  # windows closed on 5 Jan and 27 Feb
        "56 days past its window (closed 5 Jan)",
        "3 days past its window (closed 27 Feb)",
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"physician": "weber"}, NOTHING | {"due_this_week": [("Will", "check_in")]}),
        ({"kind": "check_in"}, EVERYTHING | {"overdue": [("Olga", "check_in")], "upcoming": []}),
        (
            {"kind": "early_check"},
            NOTHING | {"overdue": [("Olga", "early_check")], "upcoming": [("Uma", "early_check")]},
        ),
        ({"patient": "Olga"}, NOTHING | {"overdue": [("Olga", "check_in"), ("Olga", "early_check")]}),
        ({"patient": "Uma", "kind": "check_in"}, NOTHING | {"recent": [("Uma", "check_in")]}),
        ({"physician": "weber", "patient": "Tess"}, NOTHING),
    ],
)
def test_each_filter_narrows_every_section(clinic, params, expected):
    data = {name: clinic[value].pk if name != "kind" else value for name, value in params.items()}
    filters = WorklistFilter(data)
    assert filters.is_valid() and filters.asked
    assert rows(filters) == expected
    counts = followup_counts(today=TODAY, filters=filters)
    assert counts == {
        key: len(expected[key]) for key in ("due_today", "due_this_week", "overdue", "upcoming", "missed")
    }


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "nonsense", "physician": "weber"},
        {"patient": "999999", "kind": "check_in"},
        {"physician": "not a number"},
    ],
)
def test_one_bad_value_filters_nothing(clinic, data):
    data = {name: clinic[value].pk if value == "weber" else value for name, value in data.items()}
    filters = WorklistFilter(data)
    assert not filters.is_valid() and filters.asked
    assert rows(filters) == EVERYTHING


def test_an_empty_request_asks_nothing(clinic):
    assert not WorklistFilter(None).asked
    assert not WorklistFilter({"kind": "", "page": "2"}).asked
    assert rows(WorklistFilter({"kind": ""})) == EVERYTHING


def test_a_patient_may_be_asked_for_by_id_only_while_active(clinic, physician):
    patient_void(patient=clinic["Tess"], user=physician, reason="Duplicate")
    assert not WorklistFilter({"patient": clinic["Tess"].pk}).is_valid()
    assert WorklistFilter({"patient": clinic["Olga"].pk}).is_valid()


def test_the_patient_select_offers_the_open_sections_rows_and_the_chosen_patient(
    clinic, django_assert_num_queries
):
    def offered(section):
        filters = WorklistFilter(None)
        worklist = followup_worklist(filters=filters, today=TODAY, section=section)
        with django_assert_num_queries(0):
            filters.offer_patients(worklist.patients)
        return [label for _, label in filters.form.fields["patient"].choices]

    # Olga once for her two overdue follow-ups; Uma for her upcoming check, not for the call
    # completed today (the recently completed section offers nobody).
    assert offered("overdue") == ["All patients", f"Overdue, Olga ({clinic['Olga'].mrn})"]
    assert offered("due_today") == ["All patients", f"Today, Tess ({clinic['Tess'].mrn})"]
    assert offered("due_this_week") == ["All patients", f"Week, Will ({clinic['Will'].mrn})"]
    assert offered("upcoming") == ["All patients", f"Upcoming, Uma ({clinic['Uma'].mrn})"]
    assert offered("recent") == ["All patients"]
    # A chosen patient with nothing open is offered too, so that the select shows the choice.
    tess_call = FollowUp.objects.get(patient=clinic["Tess"], kind="check_in")
    followup_complete(followup=tess_call, user=clinic["weber"], data={"contact": "call"})
    chosen = WorklistFilter({"patient": clinic["Tess"].pk})
    chosen.offer_patients(followup_worklist(filters=chosen, today=TODAY).patients)
    assert [value for value, _ in chosen.form.fields["patient"].choices] == ["", clinic["Tess"].pk]


def test_a_section_shows_at_most_the_limit_but_counts_all(clinic, monkeypatch):
    monkeypatch.setattr(selectors, "SECTION_LIMIT", 1)
    overdue = followup_worklist(filters=None, today=TODAY, section="overdue").section
    assert (overdue.key, len(overdue.rows), overdue.count) == ("overdue", 1, 2)
    second = followup_worklist(filters=None, today=TODAY, section="overdue", page=2).section
    assert [row.timing.split(" ")[0] for row in overdue.rows + second.rows] == ["56", "3"]


def test_reminders_go_to_a_physicians_own_patients_and_to_staff_for_all(clinic, physician, staff):
    def patients(user):
        return {followup.patient.given_name for followup in FollowUp.objects.reminders_for(user)}

    assert patients(physician) == {"Olga", "Tess", "Uma"}
    assert patients(clinic["weber"]) == {"Will"}
    assert patients(staff) == {"Olga", "Tess", "Uma", "Will"}
    assert not FollowUp.objects.reminders_for(staff).filter(status="completed").exists()


def test_the_attempts_come_oldest_first_with_who_made_them(
    clinic, staff, time_machine, django_assert_num_queries
):
    followup = FollowUp.objects.get(patient=clinic["Tess"], kind="check_in")
    followup_record_attempt(followup=followup, user=staff, contact="call", outcome="no_answer")
    time_machine.shift(dt.timedelta(hours=2))
    followup_record_attempt(followup=followup, user=staff, contact="call", outcome="left_message")
    with django_assert_num_queries(1):
        attempts = followup_attempts(followup=followup)
        assert [(a.outcome, a.by.username) for a in attempts] == [
            ("no_answer", "staff"),
            ("left_message", "staff"),
        ]


def test_a_record_number_finds_an_active_patient_in_any_case(clinic, physician):
    assert patient_with_record_number(mrn=clinic["Olga"].mrn.lower()) == clinic["Olga"]
    assert patient_with_record_number(mrn="NOPE-1") is None
    patient_void(patient=clinic["Olga"], user=physician, reason="Duplicate")
    assert patient_with_record_number(mrn=clinic["Olga"].mrn) is None
