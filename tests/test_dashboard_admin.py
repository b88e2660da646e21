"""The clinic admin's dashboard: lots in quarantine, lots expiring within 30 days, open recalls,
unpublished FAQ entries and users locked out, each a count linking to where it is handled, for the
roles that handle it, in a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from faq.models import Category, Entry
from tests.helpers.auth import client_for
from treatments.selectors.admin_dashboard import admin_cards, lot_cards

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
HOME = reverse("home")
TODAY = dt.date(2026, 3, 2)


def card(page: str, title: str) -> str:
    start = page.rindex('<a class="card', 0, page.index(title))
    return page[start : page.index("</a>", start)]


def make_entry(question: str, *, published: bool) -> Entry:
    category, _ = Category.objects.get_or_create(name="Dashboard test")
    return Entry.objects.create(
        question=question, answer="An answer.", category=category, published=published
    )


def lock_out(username: str, *, minutes_ago: int = 1, failures: int = 5, ip: str = "198.51.100.7") -> None:
    attempt = AccessAttempt.objects.create(
        username=username,
        ip_address=ip,
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=failures,
    )
    # attempt_time is auto_now_add: move it as a real attempt that long ago would be.
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


@pytest.fixture
def work(make_lot):
    make_lot(status="quarantine")
    make_lot(status="quarantine", expires_on=TODAY + dt.timedelta(days=10))  # counted once: quarantine
    make_lot(expires_on=TODAY + dt.timedelta(days=3))  # expiring
    make_lot(expires_on=TODAY + dt.timedelta(days=30))  # expiring, the last day counted
    make_lot(expires_on=TODAY + dt.timedelta(days=31))  # later
    make_lot(expires_on=TODAY - dt.timedelta(days=1))  # already expired: not "expiring"
    make_lot(expires_on=TODAY + dt.timedelta(days=5), used_ml=Decimal("100"))  # used up
    make_lot(status="recalled")
    make_lot(status="destroyed")  # a closed recall
    make_entry("Draft one?", published=False)
    make_entry("Draft two?", published=False)
    make_entry("Published?", published=True)
    lock_out("dr.locked")
    lock_out("dr.locked", failures=6, ip="203.0.113.9")  # the same user from a second place: one user
    lock_out("nurse.slow", failures=3)  # under the limit
    lock_out("old.lock", minutes_ago=45)  # past the 30-minute cool-off


def test_the_counts_follow_each_rule(work, clinic_admin):
    assert lot_cards(today=TODAY) == {
        "lots_in_quarantine": 2,
        "lots_expiring": 2,
        "recalls_open": 1,
        "expiring_within_days": 30,
    }
    clinic_admin.is_staff = True
    cards = admin_cards(user=clinic_admin, today=TODAY)
    assert (cards["faq_unpublished"], cards["users_locked_out"]) == (2, 1)


def test_the_clinic_admin_sees_their_work_with_links(work, clinic_admin):
    clinic_admin.is_staff = True
    clinic_admin.save()
    page = client_for(clinic_admin).get(HOME).content.decode()
    lots = reverse("lot_list")
    quarantine = card(page, "Lots in quarantine")
    assert f'href="{lots}?status=quarantine"' in quarantine and ">2</div>" in quarantine
    expiring = card(page, "Lots expiring within 30 days")
    assert f'href="{lots}?status=released"' in expiring and ">2</div>" in expiring
    recalls = card(page, "Recalls open")
    assert f'href="{lots}?status=recalled"' in recalls and ">1</div>" in recalls
    faq = card(page, "FAQ entries unpublished")
    assert f'href="{reverse("admin:faq_entry_changelist")}?published__exact=0"' in faq and ">2</div>" in faq
    locked = card(page, "Users locked out")
    assert f'href="{reverse("admin:axes_accessattempt_changelist")}"' in locked and ">1</div>" in locked


def test_the_lockouts_link_opens_for_the_clinic_admin(work, clinic_admin):
    clinic_admin.is_staff = True
    clinic_admin.save()
    response = client_for(clinic_admin).get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200


def test_a_clinic_admin_without_admin_access_gets_no_lockout_card(work, admin_client_role):
    page = admin_client_role.get(HOME).content.decode()
    assert "Lots in quarantine" in page and "Users locked out" not in page
    # FAQ drafts are handled on the FAQ page (editors see the drafts there) without the admin.
    assert f'href="{reverse("faq:index")}"' in card(page, "FAQ entries unpublished")


@pytest.mark.parametrize("role_client", ["physician_client", "staff_client"])
def test_clinical_roles_get_none_of_the_admin_cards(work, request, role_client):
    page = request.getfixturevalue(role_client).get(HOME).content.decode()
    for title in ("Lots in quarantine", "Lots expiring", "Recalls open", "FAQ entries", "Users locked out"):
        assert title not in page


def test_the_admin_dashboard_runs_constant_queries(clinic_admin, make_lot):
    clinic_admin.is_staff = True
    clinic_admin.save()
    client = client_for(clinic_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured)

    for status in ("quarantine", "released", "recalled"):
        make_lot(status=status, expires_on=TODAY + dt.timedelta(days=5))
    few = count()
    for n in range(20):
        make_lot(
            status=("quarantine", "released", "recalled")[n % 3], expires_on=TODAY + dt.timedelta(days=5)
        )
        make_entry(f"Draft {n}?", published=False)
        lock_out(f"user{n}")
    assert count() == few <= 12
