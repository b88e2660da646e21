"""PostgreSQL query plans at a large clinic's size: 60,000 patients, 60,000 treatments over ten
years, 180,000 follow-ups and 60,000 administrations from 400 lots, inserted with SQL and
ANALYZEd: the planner still prefers every index it did at 100,000 patients, and the data is built in
a third of the time (the plans are costed from these honest statistics: a much smaller clinic,
where a sequential scan is cheaper, would not prove the indexes). Each hot read runs through its
real selector; the SQL it sent is EXPLAINed, and the plan must read the big table through the
index named for that read, never by a sequential scan."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.helpers.auth import make_user
from tests.helpers.bulk_sql import insert_series
from treatments.filters.access_log import AccessLogFilter, Position
from treatments.filters.patients import PatientFilter
from treatments.models import (
    AccessEvent,
    Administration,
    FollowUp,
    FollowUpStep,
    Indication,
    Lot,
    Patient,
    Product,
    Treatment,
)
from treatments.selectors.access_log import access_log_page
from treatments.selectors.dashboard import dashboard_figures
from treatments.selectors.followups import followup_worklist, section_keys
from treatments.selectors.lots import lot_recall_list
from treatments.selectors.outcomes import outcome_series
from treatments.selectors.patients import patient_list, patient_records
from treatments.selectors.side_effect_figures import default_period, side_effect_figures

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="query plans are PostgreSQL's (CI runs the suite on PostgreSQL too)",
)

PATIENTS = 60_000
LOTS = 400  # 150 administrations a lot: the lot page at 25 rows a page has a third page
ACCESS_EVENTS = 6 * PATIENTS
BIG_TABLES = (
    "treatments_patient",
    "treatments_treatment",
    "treatments_followup",
    "treatments_administration",
    "treatments_accessevent",
)


@pytest.fixture(scope="module")
def clinic(django_db_setup, django_db_blocker):
    """The large clinic, committed for the module's tests and removed after them."""
    with django_db_blocker.unblock():
        user = make_user("plans.physician")
        product = Product.objects.create(name="Plan product", manufacturer="Lab")
        indication = Indication.objects.order_by("pk").first()
        step = FollowUpStep.objects.order_by("pk").first()
        today = f"DATE '{timezone.localdate().isoformat()}'"
        insert_series(
            Lot,
            LOTS,
            {
                "product_id": str(product.pk),
                "lot_number": "'PL-' || g",
                "received_on": "DATE '2015-01-01'",
                "expires_on": "DATE '2099-01-01'",
                "concentration": "1",
                "quantity_received_ml": "100000",
                "status": "'released'",
            },
        )
        first_lot = Lot.objects.filter(product=product).order_by("pk").values_list("pk", flat=True)[0]
        insert_series(
            Patient,
            PATIENTS,
            {
                "mrn": "'PLAN-' || lpad(g::text, 6, '0')",
                "given_name": "initcap(substr(md5('given' || g), 1, 7))",
                "family_name": "initcap(substr(md5('family' || g), 1, 9))",
                "date_of_birth": "DATE '1950-01-01' + mod(g, 18000)",
                "phone": "'+44 20 ' || lpad(g::text, 8, '0')",
                "email": "'patient' || g || '@example.com'",
                # Patient.set_search_keys, as migration 0013 fills them in SQL.
                "phone_key": "reverse('4420' || lpad(g::text, 8, '0'))",
                "mrn_number": "g::text",
                "created_by_id": str(user.pk),
            },
        )
        first_patient = Patient.objects.order_by("pk").values_list("pk", flat=True)[0]
        # One treatment per patient, one every hour or so over ten years; one in twenty a draft.
        insert_series(
            Treatment,
            PATIENTS,
            {
                "patient_id": f"{first_patient} - 1 + g",
                "performed_at": "now() - make_interval(days => mod(g * 7919, 3650), hours => mod(g, 9))",
                "physician_id": str(user.pk),
                "indication_id": str(indication.pk),
                "status": "CASE WHEN mod(g, 20) = 0 THEN 'draft' ELSE 'signed' END",
                "signed_at": "CASE WHEN mod(g, 20) = 0 THEN NULL ELSE now() END",
                "signed_by_id": f"CASE WHEN mod(g, 20) = 0 THEN NULL ELSE {user.pk} END",
                "created_by_id": str(user.pk),
            },
        )
        first_treatment = Treatment.objects.order_by("pk").values_list("pk", flat=True)[0]
        insert_series(
            Administration,
            PATIENTS,
            {
                "treatment_id": f"{first_treatment} - 1 + g",
                "route": "'iv_drip'",
                "lot_id": f"{first_lot} + mod(g, {LOTS})",
                "dose_billion": "1",
                "volume_ml": "1",
                "created_by_id": str(user.pk),
            },
        )
        # Three follow-ups per treatment, due 30, 90 and 180 days after it, with a 7-day window
        # either side: completed once the window has closed (one in ten missed, one in fifty never
        # worked: overdue), scheduled until then.
        nth = "((g - 1) / 3)"
        after = "CASE mod(g - 1, 3) WHEN 0 THEN 30 WHEN 1 THEN 90 ELSE 180 END"
        due = f"({today} - mod(({nth} + 1) * 7919, 3650) + {after})"
        closed = f"({due} + 7 < {today})"
        done = f"({closed} AND mod(g, 10) <> 0)"
        insert_series(
            FollowUp,
            3 * PATIENTS,
            {
                "treatment_id": f"{first_treatment} + {nth}",
                "patient_id": f"{first_patient} + {nth}",
                "physician_id": str(user.pk),
                "step_id": str(step.pk),
                "step_name": "'Check'",
                "due_on": due,
                "window_start": f"{due} - 7",
                "window_end": f"{due} + 7",
                "status": f"CASE WHEN {done} THEN 'completed' "
                f"WHEN {closed} AND mod(g, 50) <> 0 THEN 'missed' ELSE 'scheduled' END",
                "completed_at": f"CASE WHEN {done} THEN {due}::timestamptz + interval '10 hours' END",
                "contact": f"CASE WHEN {done} THEN 'call' ELSE '' END",
                "created_by_id": str(user.pk),
            },
        )
        # VACUUM as autovacuum would have by then: the visibility map lets the planner cost the
        # index-only scans of the figures' covering indexes as they are, not as heap reads.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        yield {"user_pk": user.pk, "lot_pk": first_lot + 7, "patient_pk": first_patient + 41}
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE treatments_followup, treatments_administration, treatments_treatment, "
                "treatments_patient, treatments_lot, treatments_product CASCADE"
            )
        User.objects.filter(pk=user.pk).delete()


def plans_of(run) -> list[tuple[str, str]]:
    """Run ``run()`` (a real selector), then EXPLAIN every SELECT it sent: (sql, plan) pairs."""
    with CaptureQueriesContext(connection) as captured:
        run()
    found = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + sql)
            found.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    assert found, "the selector sent no query"
    return found


def assert_indexed(plan: str, sql: str, indexes: tuple[str, ...]) -> None:
    scans = [table for table in BIG_TABLES if re.search(rf"Seq Scan on {table}\b", plan)]
    assert not scans, f"sequential scan of {scans}:\n{plan}\n\n{sql}"
    assert any(f" on {index}" in plan or f"using {index}" in plan.lower() for index in indexes), (
        f"none of {indexes} used:\n{plan}\n\n{sql}"
    )


def reads(plans, table: str) -> list[tuple[str, str]]:
    return [(sql, plan) for sql, plan in plans if f'FROM "{table}"' in sql or f'JOIN "{table}"' in sql]


@pytest.mark.parametrize("term", ["Ab", "abc", "PLAN-0000", "PLAN-000042", "Ab Cd"])
def test_the_name_search_reads_the_prefix_indexes(clinic, db, term):
    def search():
        patients = patient_list(filters=PatientFilter({"q": term, "sort": "name"}))
        patients.count()
        list(patients[:25])

    plans = reads(plans_of(search), "treatments_patient")
    assert len(plans) == 2  # the count and the page
    for sql, plan in plans:
        # The prefix indexes, or, for a short prefix that many names share, the name-order index
        # walked until a page of matches is found (patient_name_order_idx: the list's own order).
        assert_indexed(
            plan,
            sql,
            (
                "patient_search_family_idx",
                "patient_search_given_idx",
                "patient_search_mrn_idx",
                "patient_name_order_idx",
            ),
        )


@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("000042", "patient_mrn_number_idx"),  # a record number without its prefix
        ("+44 20 0000 0042", "patient_phone_key_idx"),  # a phone number, any format
        ("020 0000 0042", "patient_phone_key_idx"),
        ("1993-11-21", "patient_dob_idx"),
        ("21/11/1993", "patient_dob_idx"),
        ("Patient42@Example.com", "patient_email_lower_idx"),
    ],
)
def test_every_kind_of_search_term_reads_its_index(clinic, db, term, index):
    def search():
        patients = patient_list(filters=PatientFilter({"q": term, "sort": "name"}))
        patients.count()
        list(patients[:25])

    plans = reads(plans_of(search), "treatments_patient")
    assert len(plans) == 2  # the count and the page
    for sql, plan in plans:
        assert_indexed(plan, sql, (index,))


@pytest.mark.parametrize("section", [None, *section_keys()])
def test_the_worklist_sections_read_the_status_indexes(clinic, db, section):
    today = timezone.localdate()
    plans = reads(
        plans_of(lambda: followup_worklist(filters=None, today=today, section=section, page=2)),
        "treatments_followup",
    )
    for sql, plan in plans:
        assert_indexed(
            plan,
            sql,
            (
                "followup_status_due_idx",
                "followup_worklist_overdue_idx",
                "followup_status_done_idx",
                "followup_missed_unseen_idx",  # "Missed": the missed ones not yet seen
                "treatments_followup_pkey",
            ),
        )


@pytest.mark.parametrize("page", [1, 20])
def test_due_today_reads_a_bounded_range_of_due_dates(clinic, db, page):
    """A window closes at most WINDOW_AFTER_MAX_DAYS after its due date (followup_window_bound), so
    the rows and the count of "due today" read the scheduled follow-ups due in those days only: an
    index range bounded on both sides, never a walk of every past due date (followup_due_idx)."""
    today = timezone.localdate()
    plans = reads(
        plans_of(lambda: followup_worklist(filters=None, today=today, section="due_today", page=page)),
        "treatments_followup",
    )
    assert len(plans) == 2  # the counts and the page
    for sql, plan in plans:
        assert " followup_due_idx" not in plan, plan
        assert_indexed(plan, sql, ("followup_dashboard_cards_idx", "followup_status_due_idx"))
        assert re.search(r"Index Cond: .*due_on >= .*due_on <= ", plan), plan


def test_the_patient_pages_records_read_the_patients_rows_only(clinic, db):
    patient = Patient.objects.get(pk=clinic["patient_pk"])
    plans = plans_of(lambda: patient_records(patient=patient))
    # A patient's rows only, through an index led by the patient: with a handful of rows the planner
    # may take the foreign key's own index over (patient, status, completed_at).
    expected = {
        "treatments_followup": (
            "followup_patient_done_idx",
            "followup_patient_due_idx",
            "treatments_followup_patient_id",
        ),
        "treatments_treatment": ("treatment_patient_date_idx", "treatments_treatment_patient_id"),
        # The foreign key's index, or the lot walk's partial (treatment, lot) index of active rows.
        "treatments_administration": (
            "treatments_administration_treatment_id",
            "administration_used_lot_idx",
        ),
    }
    for table, indexes in expected.items():
        ((sql, plan),) = [(s, p) for s, p in plans if f'FROM "{table}"' in s]
        assert_indexed(plan, sql, indexes)
    # The outcome chart read on its own: the patient's completed follow-ups by completion.
    ((sql, plan),) = reads(plans_of(lambda: outcome_series(patient=patient)), "treatments_followup")
    assert_indexed(plan, sql, expected["treatments_followup"])


PERIOD_INDEXES = ("treatment_period_patient_idx", "treatment_status_date_idx")


def assert_period_read(plans) -> None:
    """The period's treatments through (status, performed_at[, patient]); a query that reaches
    treatments from another table's rows (the reports) may join them by primary key instead."""
    treated = [plan for sql, plan in plans if 'SELECT DISTINCT "treatments_treatment"."patient_id"' in sql]
    assert len(treated) == 1 and any(index in treated[0] for index in PERIOD_INDEXES), treated
    for sql, plan in plans:
        assert_indexed(plan, sql, (*PERIOD_INDEXES, "treatments_treatment_pkey"))


def test_the_figures_read_the_period_through_the_status_date_index(clinic, db):
    start, end = default_period()
    assert_period_read(
        reads(plans_of(lambda: side_effect_figures(start=start, end=end)), "treatments_treatment")
    )


def test_the_dashboard_reads_the_period_through_the_status_date_index(clinic, db):
    user = User.objects.get(pk=clinic["user_pk"])
    user._exolog_roles, user._perm_cache = set(), {"treatments.view_sideeffectreport"}
    today = timezone.localdate()
    assert_period_read(
        reads(plans_of(lambda: dashboard_figures(user=user, today=today)), "treatments_treatment")
    )


def test_the_dashboard_cards_read_the_scheduled_followups_only(clinic, db):
    user = User.objects.get(pk=clinic["user_pk"])
    user._exolog_roles, user._perm_cache = set(), {"treatments.view_followup"}
    today = timezone.localdate()
    ((sql, plan),) = reads(plans_of(lambda: dashboard_figures(user=user, today=today)), "treatments_followup")
    # Only scheduled follow-ups are read: SQLite takes the covering index's range (due by the end of
    # the week); with this clinic's few scheduled follow-ups PostgreSQL may take any status-led index.
    assert_indexed(
        plan,
        sql,
        (
            "followup_dashboard_cards_idx",
            "followup_status_due_idx",
            "followup_worklist_overdue_idx",
            "followup_status_done_idx",
            "followup_missed_unseen_idx",  # the "missed, not yet seen" card
        ),
    )


@pytest.mark.parametrize("number", [1, 3])
def test_a_lot_pages_administrations_read_the_lot_index(clinic, db, number):
    lot = Lot.objects.get(pk=clinic["lot_pk"])
    # The lot's kept counts, as the services would have moved them (one administration a patient
    # here); the page reads them from the lot row and never counts the lot's administrations.
    given = Administration.objects.from_lot(lot).count()
    Lot.objects.filter(pk=lot.pk).adjust_balance(administrations=given, patients=given)
    lot.refresh_from_db()
    plans = reads(
        plans_of(lambda: lot_recall_list(lot=lot, with_names=True, page=number)), "treatments_administration"
    )
    assert len(plans) == 1  # the page only
    for sql, plan in plans:
        # administration_lot_idx (lot, treatment) or the foreign key's own index: the lot's rows only.
        assert_indexed(plan, sql, ("administration_lot_idx", "treatments_administration_lot_id"))


@pytest.fixture(scope="module")
def access_log(clinic, django_db_blocker):
    """360,000 openings of the clinic's records, one a minute back over eight months: two busy users
    and one who opens a record once in a hundred times."""
    with django_db_blocker.unblock():
        busy, rare = make_user("plans.nurse"), make_user("plans.rare")
        first_patient = Patient.objects.order_by("pk").values_list("pk", flat=True)[0]
        insert_series(
            AccessEvent,
            ACCESS_EVENTS,
            {
                "at": "now() - make_interval(mins => g)",
                "user_id": f"CASE WHEN mod(g, 100) = 0 THEN {rare.pk} "
                f"WHEN mod(g, 2) = 0 THEN {busy.pk} ELSE {clinic['user_pk']} END",
                "patient_id": f"{first_patient} + mod(g::bigint * 7919, {PATIENTS})",
                "action": "'view'",
            },
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE treatments_accessevent")
        middle = AccessEvent.objects.order_by("-at", "-id")[ACCESS_EVENTS // 2]
        yield {
            "busy": busy.pk,
            "rare": rare.pk,
            "patient": clinic["patient_pk"],
            "position": Position(at=middle.at, pk=middle.pk),
            "day": timezone.localtime(middle.at).date().isoformat(),
        }
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE treatments_accessevent")
        User.objects.filter(pk__in=[busy.pk, rare.pk]).delete()


ACCESS_LOG_INDEXES = {
    "": ("treatments_accessevent_at_f8ce27b2",),
    "user": ("access_user_at_idx",),
    "patient": ("access_patient_at_idx", "treatments_accessevent_patient_id_f1e2ccc9"),
}


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"user": "busy"},
        {"user": "rare"},
        {"patient": "patient"},
        {"date_from": "day"},
        {"date_to": "day"},
        {"user": "rare", "date_to": "day"},
        {"patient": "patient", "user": "busy"},
    ],
)
@pytest.mark.parametrize("where", [None, "before", "after"])
def test_an_access_log_page_reads_an_index_in_the_logs_order(access_log, db, filters, where):
    data = {name: str(access_log[value]) for name, value in filters.items()}
    position = {where: access_log["position"]} if where else {}
    page = plans_of(lambda: access_log_page(filters=AccessLogFilter(data), **position))
    ((sql, plan),) = reads(page, "treatments_accessevent")  # and the filter's check of the user id
    expected = ACCESS_LOG_INDEXES["patient" if "patient" in data else "user" if "user" in data else ""]
    # A user who made half the events (or a date) may be read along the time index, filtered: both
    # are in the log's order, and a page is found within a few rows. The rare user needs their own.
    if filters.get("user") == "busy" or "date_from" in data or "date_to" in data:
        expected = (*expected, *ACCESS_LOG_INDEXES[""])
    assert_indexed(plan, sql, expected)
    if "patient" not in data:
        # Read in order and stopped after a page: no sort of every matching event (an incremental
        # sort only orders the events of one instant by id).
        assert not re.search(r"(^|->  )Sort\b", plan, re.MULTILINE), plan


def test_connections_run_without_jit(db):
    """clinic.settings turns JIT compilation off for the app's connections (the reports' aggregates
    spent longer compiling than running at 100k patients)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
