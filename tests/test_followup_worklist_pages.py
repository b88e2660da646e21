"""The worklist at a chain's size: one page of rows per section, a "more" link per section that
keeps the filters, the same queries at 5 and 50 rows per section, and a light page at 200."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from treatments.models import FollowUp, FollowUpAttempt
from treatments.selectors import followups as selectors
from treatments.selectors.followups import SECTION_LIMIT, followup_worklist

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
URL = reverse("followup_list")
TODAY = dt.date(2026, 3, 2)
DAY = dt.timedelta(days=1)
# Due date, window start, window end and status of a follow-up in each section on TODAY.
SECTION_ROWS = {
    "due_today": (TODAY, TODAY - DAY, TODAY + DAY, "scheduled"),
    "due_this_week": (TODAY + 3 * DAY, TODAY + 2 * DAY, TODAY + 4 * DAY, "scheduled"),
    "overdue": (TODAY - 10 * DAY, TODAY - 12 * DAY, TODAY - 8 * DAY, "scheduled"),
    "upcoming": (TODAY + 12 * DAY, TODAY + 10 * DAY, TODAY + 14 * DAY, "scheduled"),
    "recent": (TODAY - 2 * DAY, TODAY - 3 * DAY, TODAY - DAY, "completed"),
}


@pytest.fixture
def fill(make_patient, make_signed_treatment, staff):
    """``fill(n)`` brings every section to n rows: copies of a signed treatment's call, spread over
    ten patients with a phone and an e-mail address; every third row has an attempt."""
    patients = [
        make_patient(
            given_name=f"Given{number}",
            family_name=f"Family-Name-{number}",
            phone=f"+1 555 010 {number:04d}",
            email=f"patient{number}@example.com",
        )
        for number in range(10)
    ]
    model = make_signed_treatment(patients[0], dt.date(2025, 1, 2)).followups.get(kind="check_in")

    def add(per_section: int):
        made = []
        for key, (due, start, end, status) in SECTION_ROWS.items():
            have = FollowUp.objects.worklist_totals(TODAY)[key]
            for number in range(have, per_section):
                completed = status == "completed"
                made.append(
                    FollowUp(
                        treatment=model.treatment,
                        patient=patients[number % len(patients)],
                        step=model.step,
                        step_name=model.step_name,
                        kind=model.kind,
                        due_on=due,
                        window_start=start,
                        window_end=end,
                        status=status,
                        contact="call" if completed else "",
                        completed_at=timezone.now() - DAY if completed else None,
                        completed_by=staff if completed else None,
                        created_by=staff,
                    )
                )
        made = FollowUp.objects.bulk_create(made)
        FollowUpAttempt.objects.bulk_create(
            FollowUpAttempt(followup=followup, by=staff, contact="call", outcome="no_answer")
            for followup in made[::3]
        )

    return add


def test_the_worklist_runs_the_same_queries_at_5_and_50_rows_per_section(
    staff_client, fill, django_assert_num_queries
):
    for rows in (5, 50):
        fill(rows)
        with django_assert_num_queries(6):  # the section counts, then one query per section
            worklist = followup_worklist(filters=None, today=TODAY)
        assert {section.key: section.count for section in worklist.sections} == dict.fromkeys(
            SECTION_ROWS, rows
        )
        for params in ({}, {"kind": "check_in"}, {"section": "overdue", "page": "2"}):
            # session, user, roles and permissions, then the counts and one query per section shown
            with django_assert_num_queries(10 if "section" not in params else 6):
                assert staff_client.get(URL, params).status_code == 200


def test_the_page_stays_light_with_200_rows_per_section(staff_client, fill):
    fill(200)
    page = staff_client.get(URL).content.decode()
    assert len(page.encode()) < 150_000
    assert page.count("<tr>") == 5 * (SECTION_LIMIT + 1)  # a page of rows and a header per section
    assert 'href="?section=overdue&amp;page=2">More: overdue, rows 26–50</a>' in page
    assert "Rows 1–25 of 200." in page


def test_more_opens_the_sections_next_page_and_keeps_the_filters(staff_client, fill, physician):
    fill(30)
    kept = f"physician={physician.pk}"
    first = staff_client.get(URL, {"physician": physician.pk}).content.decode()
    assert f'href="?{kept}&amp;section=overdue&amp;page=2">More: overdue, rows 26–30</a>' in first
    second = staff_client.get(URL, {"physician": physician.pk, "section": "overdue", "page": "2"})
    second = second.content.decode()
    assert second.count('<section id="') == 1 and '<section id="overdue"' in second
    assert "Rows 26–30 of 30." in second and "More:" not in second
    assert f'href="?{kept}&amp;section=overdue&amp;page=1">Previous 25</a>' in second
    # The other sections keep their counts and open on their first page, filters kept.
    assert f'href="?{kept}&amp;section=overdue" aria-current="page">Overdue' in second
    assert f'href="?{kept}&amp;section=upcoming">Upcoming <span' in second
    assert f'href="/followups/?{kept}">All sections</a>' in second


@pytest.mark.parametrize(
    ("params", "shown", "first_row"),
    [
        ({"section": "overdue", "page": "999"}, ["overdue"], 26),  # past the end: the last page
        ({"section": "overdue", "page": "0"}, ["overdue"], 1),
        ({"section": "overdue", "page": "two"}, ["overdue"], 1),
        ({"section": "nonsense", "page": "2"}, list(SECTION_ROWS), 1),  # every section's first page
    ],
)
def test_odd_section_and_page_values_fall_back(staff_client, fill, params, shown, first_row):
    fill(30)
    page = staff_client.get(URL, params).content.decode()
    assert [key for key in SECTION_ROWS if f'<section id="{key}"' in page] == shown
    assert f"Rows {first_row}–" in page


def test_attempts_are_counted_for_the_rows_of_the_page(fill, monkeypatch):
    fill(7)
    monkeypatch.setattr(selectors, "SECTION_LIMIT", 3)
    for page in (1, 2, 3):
        rows = followup_worklist(filters=None, today=TODAY, section="upcoming", page=page).sections[3].rows
        assert [row.attempt_count for row in rows] == [row.attempts.count() for row in rows]
    assert (
        sum(
            row.attempt_count
            for page in (1, 2, 3)
            for row in followup_worklist(filters=None, today=TODAY, section="upcoming", page=page)
            .sections[3]
            .rows
        )
        == FollowUpAttempt.objects.filter(followup__due_on=SECTION_ROWS["upcoming"][0]).count()
    )
