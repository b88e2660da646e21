"""Physician review: which reports need it (also as days pass), who may review, the queue."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers.records import administration
from treatments.models import SideEffectReport
from treatments.selectors.side_effects import side_effect_review_queue
from treatments.services.side_effects import side_effect_amend, side_effect_review

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def treatment(patient, make_signed_treatment):
    return make_signed_treatment(patient, dt.date(2026, 6, 1))


def queue(today=None) -> list[int]:
    return list(SideEffectReport.objects.needing_review(today).values_list("pk", flat=True))


def test_an_ongoing_fever_is_flagged_on_day_4_without_anyone_editing_it(treatment, make_report, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 2, 18, tzinfo=UTC), tick=False)
    fever = make_report(treatment, onset=dt.date(2026, 6, 2), resolved_on=None, outcome="not_resolved")
    assert fever.expected_resolution_by == dt.date(2026, 6, 4)  # 2, 3, 4 June: three days
    for day in (2, 3, 4):
        time_machine.move_to(dt.datetime(2026, 6, day, 12, tzinfo=UTC), tick=False)
        assert queue() == [] and not fever.needs_review(), day
    time_machine.move_to(dt.datetime(2026, 6, 5, 12, tzinfo=UTC), tick=False)
    assert queue() == [fever.pk]
    fever.refresh_from_db()
    assert fever.needs_review()
    assert fever.review_reasons() == ["Ongoing for 4 days (expected at most 3)"]
    assert fever.history.count() == 1  # nobody touched it


def test_a_fever_resolved_within_three_days_is_never_flagged_but_a_longer_one_is(
    treatment, make_report, time_machine
):
    time_machine.move_to(dt.datetime(2026, 6, 20, 12, tzinfo=UTC), tick=False)
    short = make_report(treatment, onset=dt.date(2026, 6, 2), resolved_on=dt.date(2026, 6, 4))
    long = make_report(treatment, onset=dt.date(2026, 6, 2), resolved_on=dt.date(2026, 6, 5))
    assert queue() == [long.pk]
    assert long.review_reasons() == ["Lasted 4 days (expected at most 3)"]
    assert short.review_reasons() == []


def test_serious_and_grade_3_reports_are_flagged_at_once(treatment, make_report, time_machine):
    time_machine.move_to(dt.datetime(2026, 6, 2, 12, tzinfo=UTC), tick=False)
    severe = make_report(
        treatment, onset=dt.date(2026, 6, 2), grade=3, resolved_on=None, outcome="recovering"
    )
    serious = make_report(
        treatment,
        onset=dt.date(2026, 6, 2),
        serious_hospitalization=True,
        serious_other=True,
        resolved_on=None,
    )
    mild = make_report(treatment, onset=dt.date(2026, 6, 2), resolved_on=None)
    assert sorted(queue()) == sorted([severe.pk, serious.pk])
    assert severe.review_reasons() == ["Grade 3 – Severe or hospitalization"]
    assert serious.review_reasons() == [
        "Serious: requires or prolongs hospitalization, other important medical event"
    ]
    assert not mild.needs_review()


def test_a_physician_reviews_and_the_report_leaves_the_queue(
    treatment, make_report, physician_client, physician
):
    report = make_report(treatment, grade=3)
    page = physician_client.get(reverse("sideeffect_detail", args=[report.pk])).content.decode()
    assert "Record review" in page
    url = reverse("sideeffect_review", args=[report.pk])
    missing = physician_client.post(url, {"assessment": " ", "version": report.version})
    assert "This field is required." in missing.content.decode()
    response = physician_client.post(
        url,
        {
            "assessment": "Post-infusion reaction, resolving.",
            "action": "Call in 2 days",
            "version": report.version,
        },
    )
    assert response["Location"] == reverse("sideeffect_review_queue")
    report.refresh_from_db()
    assert report.reviewed_by == physician and report.reviewed_at is not None
    assert (report.review_assessment, report.review_action) == (
        "Post-infusion reaction, resolving.",
        "Call in 2 days",
    )
    assert report.history.latest().history_change_reason == "Reviewed by physician"
    assert queue() == []
    again = physician_client.post(url, {"assessment": "Twice", "version": report.version})
    assert "This report was already reviewed by physician" in again.content.decode()


def test_reviewing_twice_is_refused_with_who_and_when(treatment, make_report, physician):
    report = make_report(treatment, grade=4, outcome="recovering")
    side_effect_review(report=report, user=physician, assessment="Seen", action="")
    with pytest.raises(ValidationError, match="already reviewed by physician"):
        side_effect_review(report=report, user=physician, assessment="Again", action="")


def test_staff_cannot_review(treatment, make_report, staff, staff_client):
    report = make_report(treatment, grade=3)
    with pytest.raises(PermissionDenied):
        side_effect_review(report=report, user=staff, assessment="Looks fine", action="")
    assert staff_client.get(reverse("sideeffect_review_queue")).status_code == 403
    response = staff_client.post(reverse("sideeffect_review", args=[report.pk]), {"assessment": "x"})
    assert response.status_code == 403
    assert (
        "Record review"
        not in staff_client.get(reverse("sideeffect_detail", args=[report.pk])).content.decode()
    )
    report.refresh_from_db()
    assert report.reviewed_at is None


@pytest.mark.parametrize(
    ("role", "expected"), [("physician", 405), ("staff", 403), ("clinic_admin", 403), ("no_role", 403)]
)
@pytest.mark.security("role_matrix", "post_only")
def test_review_is_post_only_and_for_physicians(role_clients, treatment, make_report, role, expected):
    report = make_report(treatment, grade=3)
    assert role_clients[role].get(reverse("sideeffect_review", args=[report.pk])).status_code == expected


def test_amending_a_reviewed_report_reopens_its_review(
    treatment, make_report, physician, staff, time_machine
):
    time_machine.move_to(dt.datetime(2026, 6, 3, 12, tzinfo=UTC), tick=False)
    report = make_report(
        treatment, grade=3, resolved_on=None, outcome="recovering", onset=dt.date(2026, 6, 2)
    )
    side_effect_review(report=report, user=physician, assessment="Watch", action="Call tomorrow")
    # A spelling fix in the narrative keeps the review ...
    side_effect_amend(report=report, user=staff, data={"narrative": "Corrected spelling"}, reason="Spelling")
    report.refresh_from_db()
    assert report.reviewed_by == physician
    # ... a higher grade puts it back in the queue; the earlier review stays in the history.
    side_effect_amend(report=report, user=staff, data={"grade": 4}, reason="Admitted to hospital")
    report.refresh_from_db()
    assert report.reviewed_at is None and queue() == [report.pk]
    assert report.history.filter(review_assessment="Watch").exists()


def test_the_queue_lists_oldest_first_within_a_grade_with_reasons(
    treatment, make_report, physician_client, time_machine
):
    time_machine.move_to(dt.datetime(2026, 6, 20, 12, tzinfo=UTC), tick=False)
    newer = make_report(treatment, onset=dt.date(2026, 6, 10), grade=3)
    older = make_report(treatment, onset=dt.date(2026, 6, 3), resolved_on=None, term="headache", grade=3)
    page = physician_client.get(reverse("sideeffect_review_queue")).content.decode()
    assert page.index(f'href="{reverse("sideeffect_detail", args=[older.pk])}"') < page.index(
        f'href="{reverse("sideeffect_detail", args=[newer.pk])}"'
    )
    assert "Ongoing for 18 days (expected at most 3)" in page
    assert "Grade 3 – Severe or hospitalization" in page


def test_the_review_queue_and_report_list_run_constant_queries(
    make_patient,
    make_signed_treatment,
    make_report,
    physician_client,
    django_assert_num_queries,
    time_machine,
):
    time_machine.move_to(dt.datetime(2026, 6, 20, 12, tzinfo=UTC), tick=False)

    def add(count):
        for _ in range(count):
            treatment = make_signed_treatment(make_patient(), dt.date(2026, 6, 1))
            make_report(treatment, grade=3, onset=dt.date(2026, 6, 2))

    counts = {}
    for total in (5, 50):
        add(total - SideEffectReport.objects.count())
        for name in ("sideeffect_review_queue", "sideeffect_list"):
            with CaptureQueriesContext(connection) as captured:
                response = physician_client.get(reverse(name))
            assert response.status_code == 200
            counts[(name, total)] = len(captured)
    assert counts[("sideeffect_review_queue", 5)] == counts[("sideeffect_review_queue", 50)]
    assert counts[("sideeffect_list", 5)] == counts[("sideeffect_list", 50)]
    with django_assert_num_queries(counts[("sideeffect_list", 50)]):
        physician_client.get(
            reverse("sideeffect_list"), {"needs_review": "on", "grade": "3", "term": "fever"}
        )


def test_the_queue_is_serious_first_then_grade_5_to_1_then_oldest(
    make_patient, make_signed_treatment, make_report, physician_client, time_machine
):
    time_machine.move_to(dt.datetime(2026, 6, 20, 12, tzinfo=UTC), tick=False)
    treatment = make_signed_treatment(make_patient(), dt.date(2026, 6, 1))

    def report(onset_day, grade, **fields):
        fields.setdefault("resolved_on", dt.date(2026, 6, onset_day + 1))
        return make_report(treatment, onset=dt.date(2026, 6, onset_day), grade=grade, **fields)

    long_nausea = report(2, 1, term="nausea", resolved_on=dt.date(2026, 6, 9))  # oldest, grade 1
    grade_3_old = report(3, 3)
    grade_3_new = report(10, 3)
    grade_4 = report(12, 4, term="other", term_other="Anaphylaxis")
    serious_grade_2 = report(15, 2, serious_other=True)
    serious_grade_4 = report(16, 4, serious_life_threatening=True)
    expected = [serious_grade_4, serious_grade_2, grade_4, grade_3_old, grade_3_new, long_nausea]
    queue = list(side_effect_review_queue(today=dt.date(2026, 6, 20)))
    assert [r.pk for r in queue] == [r.pk for r in expected]
    body = physician_client.get(reverse("sideeffect_review_queue")).content.decode()
    links = [body.index(f'href="{reverse("sideeffect_detail", args=[r.pk])}"') for r in expected]
    assert links == sorted(links)
    assert "Serious reports first, then by grade (5 to 1), then the oldest onset" in body


def test_the_review_page_shows_what_the_treatment_gave_with_links(
    make_patient, make_signed_treatment, make_report, make_lot, physician_client, time_machine
):
    time_machine.move_to(dt.datetime(2026, 6, 20, 12, tzinfo=UTC), tick=False)
    knee_lot = make_lot(lot_number="KL-KNEE-7")
    treatment = make_signed_treatment(
        make_patient(),
        dt.date(2026, 6, 1),
        administrations=[
            administration(knee_lot, route="local_injection", dose="2.5", site="left knee"),
            administration(knee_lot, route="iv_drip", dose="5"),
        ],
    )
    report = make_report(treatment, grade=3, onset=dt.date(2026, 6, 2), resolved_on=dt.date(2026, 6, 3))
    body = physician_client.get(reverse("sideeffect_detail", args=[report.pk])).content.decode()
    assert f'href="{treatment.get_absolute_url()}"' in body
    assert "Local injection (left knee), 2.5 billion, lot" in body
    assert "IV drip, 5 billion, lot" in body
    assert f'<a href="{reverse("lot_detail", args=[knee_lot.pk])}">KL-KNEE-7</a>' in body


def test_the_review_page_runs_the_same_queries_whatever_the_administrations(
    make_patient, make_signed_treatment, make_report, lot, physician_client, time_machine
):
    time_machine.move_to(dt.datetime(2026, 6, 20, 12, tzinfo=UTC), tick=False)
    counts = []
    for doses in (["1"], ["1", "1", "1", "1", "1"]):
        treatment = make_signed_treatment(
            make_patient(), dt.date(2026, 6, 1), administrations=[administration(lot, dose=d) for d in doses]
        )
        report = make_report(treatment, grade=3, onset=dt.date(2026, 6, 2), resolved_on=dt.date(2026, 6, 3))
        with CaptureQueriesContext(connection) as captured:
            assert physician_client.get(reverse("sideeffect_detail", args=[report.pk])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 12
