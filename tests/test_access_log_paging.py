"""The access log's pages: Older and Newer by position (at, id), never counted, every event reachable."""

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from treatments.filters.access_log import AccessLogFilter, Position, position_of
from treatments.models import AccessEvent
from treatments.selectors.access_log import PAGE_SIZE, access_log_page

pytestmark = pytest.mark.django_db


def log_events(user, patient, count: int, *, start=None) -> list[AccessEvent]:
    """``count`` events a minute apart, three at a time on the same instant (the id settles ties)."""
    start = start or timezone.now() - dt.timedelta(days=1)
    return AccessEvent.objects.bulk_create(
        [
            AccessEvent(user=user, patient=patient, at=start + dt.timedelta(minutes=n // 3))
            for n in range(count)
        ]
    )


def newest_first(events) -> list[int]:
    return [e.pk for e in sorted(events, key=lambda e: (e.at, e.pk), reverse=True)]


def link(body: str, label: str) -> str | None:
    match = re.search(rf'href="(\?[^"]*)">{label}<', body)
    return html.unescape(match[1]) if match else None


def walk(client, first_url: str, label: str) -> list[list[int]]:
    """Follow the page's ``label`` link from ``first_url`` until it is gone: each page's event ids."""
    pages, url = [], first_url
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200
        pages.append([e.pk for e in response.context["events"]])
        url = link(response.content.decode(), label)
        if url is not None:
            url = reverse("access_log") + url
        assert len(pages) < 20, "the links go round in a circle"
    return pages


def test_following_older_shows_every_event_exactly_once_in_order(admin_client_role, physician, patient):
    events = log_events(physician, patient, 2 * PAGE_SIZE + 7)
    pages = walk(admin_client_role, reverse("access_log"), "Older")
    assert [len(page) for page in pages] == [PAGE_SIZE, PAGE_SIZE, 7]
    assert [pk for page in pages for pk in page] == newest_first(events)


def test_following_newer_from_the_oldest_page_comes_back_through_the_same_pages(
    admin_client_role, physician, patient
):
    log_events(physician, patient, 2 * PAGE_SIZE + 7)
    older = walk(admin_client_role, reverse("access_log"), "Older")
    oldest = AccessEvent.objects.get(pk=older[-1][0])
    # The last page's "Newer" link: the events after its first (newest) event.
    newer = walk(admin_client_role, f"{reverse('access_log')}?after={position_of(oldest)}", "Newer")
    assert newer == older[-2::-1]


def test_the_first_page_has_no_newer_link_and_the_last_no_older(admin_client_role, physician, patient):
    log_events(physician, patient, PAGE_SIZE + 1)
    first = admin_client_role.get(reverse("access_log"))
    body = first.content.decode()
    assert link(body, "Newer") is None and link(body, "Newest") is None
    last = admin_client_role.get(reverse("access_log") + link(body, "Older"))
    assert len(last.context["events"]) == 1
    assert link(last.content.decode(), "Older") is None
    assert link(last.content.decode(), "Newest") == "?"


def test_the_filter_is_kept_from_page_to_page(admin_client_role, physician, staff, patient):
    mine = log_events(physician, patient, PAGE_SIZE + 10)
    log_events(staff, patient, PAGE_SIZE + 10)  # interleaved in time with the physician's
    url = f"{reverse('access_log')}?user={physician.pk}"
    first = admin_client_role.get(url).content.decode()
    assert f"?user={physician.pk}&amp;before=" in first
    pages = walk(admin_client_role, url, "Older")
    assert [pk for page in pages for pk in page] == newest_first(mine)
    # The export link carries the filter, not the position.
    second = admin_client_role.get(reverse("access_log") + link(first, "Older")).content.decode()
    assert f'{reverse("access_log_export")}?user={physician.pk}"' in second


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"before": "yesterday"}, "This page link is not one the log made."),
        ({"after": "12_x"}, "This page link is not one the log made."),
        ({"before": "9" * 40 + "_1"}, "This page link is not one the log made."),
        ({"before": "1_0"}, "This page link is not one the log made."),
        ({"after": "1_" + "9" * 30}, "This page link is not one the log made."),
        ({"before": "1_1", "after": "1_1"}, "either an older or a newer page, not both"),
        ({"page": "3"}, "The log has no numbered pages: use Older and Newer."),
        ({"page": "x" * 5000}, "The log has no numbered pages"),
    ],
)
def test_a_bad_page_link_is_explained_and_the_newest_events_shown(
    admin_client_role, physician, patient, query, message
):
    events = log_events(physician, patient, PAGE_SIZE + 1)
    response = admin_client_role.get(reverse("access_log"), query)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "Showing the newest events." in body
    assert [e.pk for e in response.context["events"]] == newest_first(events)[:PAGE_SIZE]


def test_a_link_past_either_end_shows_an_empty_page_with_the_way_back(admin_client_role, physician, patient):
    events = log_events(physician, patient, 3)
    oldest = min(events, key=lambda e: (e.at, e.pk))
    response = admin_client_role.get(reverse("access_log"), {"before": position_of(oldest)})
    body = response.content.decode()
    assert list(response.context["events"]) == []
    assert "No further events this way." in body and link(body, "Newest") == "?"


@pytest.mark.parametrize("rows", [5, 60])
@pytest.mark.parametrize("paged", [False, True])
def test_the_list_runs_constant_queries(
    admin_client_role, make_patient, physician, rows, paged, django_assert_num_queries
):
    patients = [make_patient() for _ in range(rows)]
    events = AccessEvent.objects.bulk_create([AccessEvent(user=physician, patient=p) for p in patients])
    params = {"before": position_of(events[-1])} if paged else {}
    admin_client_role.get(reverse("access_log"), params)  # warm the session and permission caches
    # session, user, second-factor device, roles and permissions, the filter's user list, the page's
    # rows: the same six whatever the number of events, and no count of them.
    with django_assert_num_queries(6) as captured:
        admin_client_role.get(reverse("access_log"), params)
    assert not any("COUNT(" in query["sql"] for query in captured.captured_queries)


# The selector on its own: positions and the tie on one instant.


def test_a_page_after_and_before_the_same_position_split_the_log_around_it(physician, patient):
    events = log_events(physician, patient, 9)  # three instants, three events each
    order = newest_first(events)
    middle = AccessEvent.objects.get(pk=order[4])
    position = Position(at=middle.at, pk=middle.pk)
    older = access_log_page(filters=AccessLogFilter(), before=position, size=3)
    newer = access_log_page(filters=AccessLogFilter(), after=position, size=3)
    assert [e.pk for e in older.events] == order[5:8]
    assert [e.pk for e in newer.events] == order[1:4]
    assert older.older == position_of(AccessEvent.objects.get(pk=order[7]))
    assert newer.newer == position_of(AccessEvent.objects.get(pk=order[1]))
    assert older.newer == position_of(AccessEvent.objects.get(pk=order[5]))


def test_a_position_survives_its_round_trip_to_the_microsecond(physician, patient):
    (event,) = log_events(
        physician, patient, 1, start=dt.datetime(2026, 3, 1, 9, 30, 1, 999999, tzinfo=dt.UTC)
    )
    event.refresh_from_db()
    page = access_log_page(filters=AccessLogFilter(), after=Position(at=event.at, pk=event.pk - 1))
    assert [e.pk for e in page.events] == [event.pk]
    micros, pk = position_of(event).split("_")
    assert int(pk) == event.pk and int(micros) % 1_000_000 == 999999
