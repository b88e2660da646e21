"""The patient read layer: PatientFilter and the patient selectors, by the rows they return."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from treatments.filters.patients import SEARCH_SESSION_KEY, PatientFilter
from treatments.selectors.patients import (
    course_summary,
    patient_course,
    patient_for_page,
    patient_list,
    patient_treatments,
)
from treatments.services.patients import patient_void
from treatments.services.signing import treatment_void
from treatments.services.treatments import treatment_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(make_patient, physician):
    """Three active patients and a voided one."""
    ada = make_patient(given_name="Ada", family_name="Lovelace", mrn="A-1", date_of_birth=dt.date(1980, 1, 1))
    grace = make_patient(
        given_name="Grace", family_name="Hopper", mrn="B-2", date_of_birth=dt.date(1950, 1, 1)
    )
    alan = make_patient(given_name="Alan", family_name="Turing", mrn="C-3", date_of_birth=dt.date(1990, 1, 1))
    gone = make_patient(given_name="Ada", family_name="Gone", mrn="D-4")
    patient_void(patient=gone, user=physician, reason="Registered twice")
    return {"ada": ada, "grace": grace, "alan": alan, "gone": gone}


def listed(**data) -> list[str]:
    return [p.mrn for p in patient_list(filters=PatientFilter(data))]


def request_with(session_term=None, **query):
    request = RequestFactory().get("/patients/", query)
    request.session = SessionStore()
    if session_term is not None:
        request.session[SEARCH_SESSION_KEY] = session_term
    return request


def test_the_list_holds_active_patients_by_name_unless_sorted(registry):
    assert listed() == ["B-2", "A-1", "C-3"]
    assert listed(sort="-name") == ["C-3", "A-1", "B-2"]
    assert listed(sort="dob") == ["B-2", "A-1", "C-3"]
    assert listed(sort="-mrn") == ["C-3", "B-2", "A-1"]


def test_the_list_searches_names_and_record_numbers(registry):
    assert listed(q="ada") == ["A-1"]  # the voided Ada Gone is not listed
    assert listed(q="hopper grace") == ["B-2"]
    assert listed(q="c-3") == ["C-3"]
    assert listed(q="zzz") == []


def test_an_unknown_sort_keeps_the_search_and_the_name_order(registry):
    filters = PatientFilter({"q": "a", "sort": "password"})
    assert [p.mrn for p in patient_list(filters=filters)] == ["A-1", "C-3"]
    assert filters.chosen_sort == "name"


def test_a_term_that_cannot_be_searched_matches_nobody(registry):
    assert listed(q="ada\x00") == []


def test_the_filter_is_bound_to_the_session_term_and_the_query_sort(registry):
    filters = PatientFilter.from_session(request_with("turing", sort="-dob"))
    assert (filters.search_term, filters.chosen_sort) == ("turing", "-dob")
    assert [p.mrn for p in patient_list(filters=filters)] == ["C-3"]
    # The query string carries no term: a ``q`` there is not read.
    filters = PatientFilter.from_session(request_with(q="turing"))
    assert (filters.search_term, filters.chosen_sort) == ("", "name")
    assert len(patient_list(filters=filters)) == 3


def test_the_posted_term_is_kept_in_the_session_or_forgotten():
    request = RequestFactory().post("/patients/", {"q": "  hopper  "})
    request.session = SessionStore()
    PatientFilter.keep_search(request)
    assert request.session[SEARCH_SESSION_KEY] == "hopper"
    request = RequestFactory().post("/patients/", {"q": "x" * 300})
    request.session = SessionStore()
    PatientFilter.keep_search(request)
    assert request.session[SEARCH_SESSION_KEY] == "x" * 100
    request.POST = request.POST.copy()
    request.POST["clear"] = "1"
    PatientFilter.keep_search(request)
    assert SEARCH_SESSION_KEY not in request.session


def test_patient_pages_reach_voided_patients_too(registry, django_assert_num_queries):
    for patient in registry.values():
        with django_assert_num_queries(1):
            assert patient_for_page(pk=patient.pk) == patient
    assert patient_for_page(pk=max(p.pk for p in registry.values()) + 1) is None


def test_a_patients_treatments_come_newest_first_with_what_was_given(
    make_treatment, make_patient, patient, physician
):
    other = make_patient()
    make_treatment(other)
    start = dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC)
    first = make_treatment(patient, when=start, doses=["5", "3"])
    kept = first.administrations.active().order_by("order").first()
    treatment_save(treatment=first, user=physician, administrations=[kept])  # removes the 3
    voided = make_treatment(patient, when=start + dt.timedelta(days=7))
    treatment_void(treatment=voided, user=physician, reason="Wrong patient")

    treatments = patient_treatments(patient=patient)
    assert [t.pk for t in treatments] == [voided.pk, first.pk]
    assert [a.dose_billion for a in treatments[1].given] == [Decimal("5")]


def test_the_course_counts_current_treatments_only(make_treatment, patient, physician):
    start = dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC)
    make_treatment(patient, when=start, doses=["5"], sign=True)
    make_treatment(patient, when=start + dt.timedelta(days=30), doses=["2"], course_position="booster")
    voided = make_treatment(patient, when=start + dt.timedelta(days=40), doses=["4"])
    treatment_void(treatment=voided, user=physician, reason="Duplicate")

    summary = course_summary(treatments=patient_treatments(patient=patient))
    assert (summary["cumulative_dose"], summary["rounds"], summary["treatment_count"]) == (
        Decimal("7"),
        1,
        2,
    )
    assert summary["recalled_lots"] == []
    page = patient_course(patient=patient)
    assert page["course"] == summary
    assert [entry["voided"] for entry in page["timeline"] if entry["kind"] == "treatment"] == [
        True,
        False,
        False,
    ]
