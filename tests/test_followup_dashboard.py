"""Dashboard cards and navigation for follow-ups and side effects, by role, in constant queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False),
]
HOME = reverse("home")


def card(page: str, title: str) -> str:
    start = page.index(title)
    return page[start : page.index("</a>", start)]


@pytest.fixture
def clinic(make_patient, make_signed_treatment, make_report):
    make_signed_treatment(make_patient(), dt.date(2026, 1, 2))  # two overdue
    make_signed_treatment(make_patient(), dt.date(2026, 2, 28))  # due today
    late = make_signed_treatment(make_patient(), dt.date(2026, 3, 1))  # due this week
    make_report(late, grade=3, onset=dt.date(2026, 3, 1))


def test_physicians_see_followup_counts_the_review_queue_and_the_share(physician_client, clinic):
    page = physician_client.get(HOME).content.decode()
    assert '<div class="fs-3 fw-semibold">1</div>' in card(page, "Follow-ups due today")
    assert ">2</div>" in card(page, "Overdue follow-ups")
    assert ">1</div>" in card(page, "Due later this week")
    assert ">1</div>" in card(page, "Side effects to review")
    assert "Treated patients with a side effect, last 30 days" in page
    assert "Not enough data: 2 treated patients" in page  # the treatment of 2 January is older
    assert f'href="{reverse("followup_list")}?section=overdue"' in page


def test_staff_see_no_review_queue(staff_client, clinic):
    page = staff_client.get(HOME).content.decode()
    assert "Follow-ups due today" in page and "Side effects to review" not in page
    assert "Treated patients with a side effect" in page


def test_clinic_admins_see_no_clinical_figures(admin_client_role, clinic):
    page = admin_client_role.get(HOME).content.decode()
    assert "Follow-ups due today" not in page and "Treated patients with a side effect" not in page
    assert reverse("followup_list") not in page and reverse("sideeffect_list") not in page


def test_the_navigation_links_the_sections_for_clinical_roles(staff_client, physician_client):
    for client in (staff_client, physician_client):
        page = client.get(reverse("followup_list")).content.decode()
        assert f'<a class="nav-link active" href="{reverse("followup_list")}">Follow-ups</a>' in page
        assert f'<a class="nav-link" href="{reverse("sideeffect_list")}">Side effects</a>' in page


def test_the_dashboard_runs_constant_queries(
    physician_client, make_patient, make_signed_treatment, make_report
):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert physician_client.get(HOME).status_code == 200
        return len(captured)

    for _ in range(5):
        make_report(make_signed_treatment(make_patient(), dt.date(2026, 2, 1)), grade=3)
    few = count()
    for _ in range(45):
        make_report(make_signed_treatment(make_patient(), dt.date(2026, 2, 1)), grade=3)
    assert count() == few <= 12
    page = physician_client.get(HOME).content.decode()
    assert "100.0 %" in page and "of 50 treated patients" in page
