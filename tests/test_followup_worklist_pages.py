"""The worklist at a chain's size: one section's page of rows at a time, a "more" link that keeps
the filters, the same queries at 5 and 50 rows per section, and a light page at 200."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
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
    "missed": (TODAY - 30 * DAY, TODAY - 31 * DAY, TODAY - 28 * DAY, "missed"),  # not yet seen
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
                        physician=model.physician,
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
        for key in SECTION_ROWS:
            cache.clear()
            # the data version of the follow-ups, the section counts, then the section's page of rows
            with django_assert_num_queries(3):
                worklist = followup_worklist(filters=None, today=TODAY, section=key)
            assert len(worklist.section.rows) == min(rows, SECTION_LIMIT)
            # the counts again at the same data version: kept (the version, then the rows)
            with django_assert_num_queries(2):
                again = followup_worklist(filters=None, today=TODAY, section=key)
            assert [row.pk for row in again.section.rows] == [row.pk for row in worklist.section.rows]
        assert {section.key: section.count for section in worklist.sections} == dict.fromkeys(
            SECTION_ROWS, rows
        )
        for params in ({}, {"kind": "check_in"}, {"section": "overdue", "page": "2"}, {"section": "recent"}):
            cache.clear()
            # session, user, roles and permissions, then the follow-ups' data version, the counts,
            # the rows, the physician select and the access events of the patients listed (one INSERT)
            with django_assert_num_queries(8):
                assert staff_client.get(URL, params).status_code == 200
            with django_assert_num_queries(7):  # the counts kept
                assert staff_client.get(URL, params).status_code == 200


def test_the_page_stays_light_with_200_rows_per_section(staff_client, fill):
    fill(200)
    page = staff_client.get(URL).content.decode()
    assert len(page.encode()) < 40_000
    # One section (due today, the most urgent with rows): a page of rows and a header.
    assert page.count("<tr>") == SECTION_LIMIT + 1 and page.count('<section id="') == 1
    assert 'href="?section=due_today&amp;page=2">More: due today, rows 26–50</a>' in page
    assert "Rows 1–25 of 200." in page
    # Every section's tab, with its count.
    assert 'href="?section=overdue">Overdue <span class="badge text-bg-danger">200</span></a>' in page
    assert (
        'href="?section=recent">Recently completed <span class="badge text-bg-secondary">200</span>' in page
    )
    overdue = staff_client.get(URL, {"section": "overdue"}).content.decode()
    assert overdue.count("<tr>") == SECTION_LIMIT + 1
    assert 'href="?section=overdue&amp;page=2">More: overdue, rows 26–50</a>' in overdue


def test_more_opens_the_sections_next_page_and_keeps_the_filters(staff_client, fill, physician):
    fill(30)
    kept = f"physician={physician.pk}"
    first = staff_client.get(URL, {"physician": physician.pk, "section": "overdue"}).content.decode()
    assert f'href="?{kept}&amp;section=overdue&amp;page=2">More: overdue, rows 26–30</a>' in first
    second = staff_client.get(URL, {"physician": physician.pk, "section": "overdue", "page": "2"})
    second = second.content.decode()
    assert second.count('<section id="') == 1 and '<section id="overdue"' in second
    assert "Rows 26–30 of 30." in second and "More:" not in second
    assert f'href="?{kept}&amp;section=overdue&amp;page=1">Previous 25</a>' in second
    # The other sections keep their counts and open on their first page, filters kept.
    assert f'href="?{kept}&amp;section=overdue" aria-current="page">Overdue' in second
    assert (
        f'href="?{kept}&amp;section=upcoming">Upcoming <span class="badge text-bg-secondary">30</span>'
        in second
    )
    assert second.count('aria-current="page"') == 1


@pytest.mark.parametrize(
    ("params", "shown", "first_row"),
    [
        ({"section": "overdue", "page": "999"}, ["overdue"], 26),  # past the end: the last page
        ({"section": "overdue", "page": "0"}, ["overdue"], 1),
        ({"section": "overdue", "page": "two"}, ["overdue"], 1),
        # the most urgent section with rows, on its first page
        ({"section": "nonsense", "page": "2"}, ["due_today"], 1),
        ({"page": "2"}, ["due_today"], 1),
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
    counted = 0
    for page in (1, 2, 3):
        rows = followup_worklist(filters=None, today=TODAY, section="upcoming", page=page).section.rows
        assert len(rows) == (3 if page < 3 else 1)
        attempts = [FollowUpAttempt.objects.filter(followup_id=row.pk).count() for row in rows]
        assert [row.attempt_count for row in rows] == attempts
        assert [row.attempts_label for row in rows] == [
            f"{n} attempt{'s' if n > 1 else ''}" if n else "" for n in attempts
        ]
        counted += sum(attempts)
    assert counted == FollowUpAttempt.objects.filter(followup__due_on=SECTION_ROWS["upcoming"][0]).count()


def test_counts_stop_at_the_cap_and_the_page_says_so(fill, staff_client, monkeypatch):
    """A large clinic's sections are counted up to COUNT_CAP: the tab, the heading and the dashboard
    card say "3+" (the cap patched to 3 here), and the pager says there are more than it shows."""
    from treatments.models import followup_worklist
    from treatments.views import followups as views_followups

    for module in (followup_worklist, selectors, views_followups):
        monkeypatch.setattr(module, "COUNT_CAP", 3)
    fill(5)
    assert FollowUp.objects.worklist_totals(TODAY) == dict.fromkeys(SECTION_ROWS, 4)  # cap + 1
    monkeypatch.setattr(selectors, "SECTION_LIMIT", 2)
    page = staff_client.get(URL, {"section": "overdue"}).content.decode()
    assert 'Overdue <span class="badge text-bg-danger">3+</span>' in page
    assert "Rows 1–2 of more than 3: narrow the list with the filters to see the others." in page
    assert "section=overdue&amp;page=2" in page
    second = staff_client.get(URL, {"section": "overdue", "page": 2}).content.decode()
    assert "Rows 3–3 of more than 3" not in second and "Rows 3–4 of more than 3" in second
    assert "section=overdue&amp;page=3" not in second  # the pager stops at the cap
    home = staff_client.get(reverse("home")).content.decode()
    assert '<div class="fs-3 fw-semibold text-danger">3+</div>' in home


def test_counts_below_the_cap_are_exact(fill):
    from treatments.models.followup_worklist import section_conditions

    fill(3)
    exact = {
        key: FollowUp.objects.active().filter(condition).count()
        for key, condition in section_conditions(TODAY).items()
    }
    assert min(exact.values()) >= 3 and max(exact.values()) < 500
    assert FollowUp.objects.worklist_totals(TODAY) == exact
    assert FollowUp.objects.worklist_counts(TODAY) == {k: v for k, v in exact.items() if k != "recent"}


def test_recently_completed_pages_through_its_completed_then_its_missed_follow_ups(fill, monkeypatch, staff):
    """The section reads its two parts apart (completed, missed) and merges them per page: the pages
    list every row once, in the section's order (completion time, newest first; then the missed ones
    by the close of their window, latest first), whatever page the parts' rows fall on."""
    fill(3)
    completed = FollowUp.objects.filter(status="completed").order_by("pk")
    for hours, followup in enumerate(completed):
        followup.completed_at = timezone.now() - dt.timedelta(hours=2 + hours)
        followup.save()
    model = completed.first()
    for closed in (TODAY - 3 * DAY, TODAY - DAY, TODAY - 20 * DAY):  # the last one too long ago
        followup = FollowUp(
            treatment=model.treatment,
            physician=model.physician,
            patient=model.patient,
            step=model.step,
            step_name=model.step_name,
            kind=model.kind,
            due_on=closed - DAY,
            window_start=closed - 2 * DAY,
            window_end=closed,
            status="missed",
            missed_seen_at=timezone.now(),  # seen by a physician: in "recent", no longer in "missed"
            missed_seen_by=staff,
            created_by=staff,
        )
        followup.save()
    expected = [
        *completed.order_by("-completed_at").values_list("pk", flat=True),
        *FollowUp.objects.filter(
            status="missed", window_end__gte=TODAY - 14 * DAY, missed_seen_at__isnull=False
        )
        .order_by("-window_end")
        .values_list("pk", flat=True),
    ]
    assert len(expected) == 5
    monkeypatch.setattr(selectors, "SECTION_LIMIT", 2)
    pages = [followup_worklist(filters=None, today=TODAY, section="recent", page=page) for page in (1, 2, 3)]
    assert [row.pk for page in pages for row in page.section.rows] == expected
    assert [page.section.count for page in pages] == [5, 5, 5]
    assert [row.timing for row in pages[2].section.rows] == ["Missed · seen"]


def test_each_rows_more_menu_links_its_own_followup(fill, physician):
    """Rows in the same state share their menu's markup (escaped once per page); each link still
    opens the row's own follow-up with the action asked for."""
    fill(5)
    rows = followup_worklist(filters=None, today=TODAY, section="due_today", user=physician).section.rows
    assert len(rows) == 5
    for row in rows:
        links = re.findall(r'<a href="([^"]+)\?action=(\w+)#action-area">([^<]+)</a>', row.more_html)
        assert links and all(url == row.url for url, _, _ in links)
        assert [action for _, action, _ in links] == [
            href.split("action=")[1].split("#")[0] for _, href in row.actions[1:]
        ]
        assert [label for _, _, label in links] == [str(label) for label, _ in row.actions[1:]]
        assert "\x00" not in row.more_html
    assert len({row.url for row in rows}) == 5
