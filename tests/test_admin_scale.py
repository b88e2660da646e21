"""The admin's lists and old versions of the big clinical tables: the same queries at 5 rows as at 50,
no date hierarchy grouping the whole table, and never a select of every patient."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from treatments.admin.base import ClinicalAdmin
from treatments.models import FollowUp, Patient, SideEffectReport, Treatment

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC), tick=False),
]

LISTS = ["patient", "treatment", "followup", "sideeffectreport", "lot", "protocol"]
BIG = [Patient, Treatment, FollowUp, SideEffectReport]


@pytest.fixture
def clinic(make_patient, make_signed_treatment, make_report):
    """``grow(n)``: n patients, the first n // 3 (at least 5) with a signed treatment (and its
    follow-ups) and a report (signing is the slow part: 5 vs 50 patients, 5 vs 16 treatments)."""

    def grow(n: int) -> None:
        for _ in range(max(5, n // 3) - Treatment.objects.count()):
            make_report(make_signed_treatment(make_patient(), dt.date(2026, 3, 1)))
        for _ in range(n - Patient.objects.count()):
            make_patient()

    return grow


def queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in captured.captured_queries]


def history_urls(model) -> list[str]:
    """The page of the first version of the first row of a big table."""
    row = model.history.order_by("history_id").first()
    name = model._meta.model_name
    return [reverse(f"admin:treatments_{name}_simple_history", args=[row.id, row.history_id])]


def test_the_big_tables_lists_have_no_date_hierarchy_and_no_full_count():
    for model in BIG:
        model_admin = admin.site.get_model_admin(model)
        assert isinstance(model_admin, ClinicalAdmin)
        assert model_admin.date_hierarchy is None, model
        assert model_admin.show_full_result_count is False, model


def test_lists_and_old_versions_run_the_same_queries_at_5_and_50_rows(superuser_client, clinic):
    clinic(5)
    urls = [reverse(f"admin:treatments_{name}_changelist") for name in LISTS]
    urls += [url for model in BIG for url in history_urls(model)]
    for url in urls:  # caches filled (the content types) before counting
        superuser_client.get(url)
    few = {url: len(queries(superuser_client, url)) for url in urls}
    clinic(50)
    assert (Patient.objects.count(), FollowUp.objects.count()) > (49, 40)
    many = {url: len(queries(superuser_client, url)) for url in urls}
    assert few == many
    assert max(many.values()) <= 12


@pytest.mark.parametrize("name", ["patient", "treatment", "followup", "sideeffectreport"])
def test_a_list_counts_its_rows_once_and_groups_nothing(superuser_client, clinic, name):
    clinic(5)
    sql = queries(superuser_client, reverse(f"admin:treatments_{name}_changelist"))
    table = f'"treatments_{name}"'
    counts = [query for query in sql if "COUNT(" in query.upper() and table in query]
    assert len(counts) == 1  # the paginator's; no second count of the whole table
    assert not [query for query in sql if "GROUP BY" in query.upper() or "DISTINCT" in query.upper()]


@pytest.mark.parametrize("model", BIG)
def test_an_old_version_is_shown_read_only_with_no_select_of_patients(superuser_client, clinic, model):
    clinic(5)
    (url,) = history_urls(model)
    page = superuser_client.get(url).content.decode()
    assert not re.search(r"<select[^>]*name=\"(patient|treatment|physician|created_by)\"", page)
    assert "<option" not in page
    assert "<textarea" not in page  # every field shown as text: an old version is read, never saved
    assert 'name="_save"' not in page


def test_every_link_to_a_big_table_is_a_raw_id_in_the_admin_forms(rf, superuser):
    request = rf.get("/")
    request.user = superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ClinicalAdmin):
            continue
        for field in model._meta.concrete_fields:
            related = field.related_model
            if field.many_to_one and related in BIG:
                widget = model_admin.formfield_for_dbfield(field, request).widget
                assert isinstance(getattr(widget, "widget", widget), ForeignKeyRawIdWidget), (model, field)
                checked += 1
    assert checked >= 4  # treatment.patient, followup.patient and .treatment, report.patient and .treatment


def test_a_treatments_change_page_reads_its_administrations_lots_with_the_rows(
    superuser_client, make_patient, make_signed_treatment, make_lot
):
    """The inline names each administration's lot by product and number: the same queries for one
    administration as for three from three lots, and at most 12."""
    from tests.helpers.records import administration

    one = make_signed_treatment(make_patient(), dt.date(2026, 3, 1))
    lots = [make_lot() for _ in range(3)]
    three = make_signed_treatment(
        make_patient(), dt.date(2026, 3, 1), administrations=[administration(lot, dose="2") for lot in lots]
    )
    url = "admin:treatments_treatment_change"
    superuser_client.get(reverse(url, args=[one.pk]))  # warm the content-type cache
    few = queries(superuser_client, reverse(url, args=[one.pk]))
    many = queries(superuser_client, reverse(url, args=[three.pk]))
    assert len(many) == len(few) <= 12
    page = superuser_client.get(reverse(url, args=[three.pk])).content.decode()
    assert all(lot.lot_number in page for lot in lots)


def test_a_followups_change_page_reads_the_records_it_names_with_it(
    superuser_client, make_patient, make_signed_treatment, physician
):
    """A completed follow-up names its treatment, patient, step and who completed it: read with the
    follow-up in one query (they were one query each, 13 in all on bench-smoke's data)."""
    from treatments.services.followup_actions import followup_complete

    followup = make_signed_treatment(make_patient(), dt.date(2026, 3, 1)).followups.get(kind="check_in")
    followup_complete(followup=followup, user=physician, data={"contact": "call", "pain": 3})
    url = reverse("admin:treatments_followup_change", args=[followup.pk])
    superuser_client.get(url)  # warm the content-type cache
    sql = queries(superuser_client, url)
    names = ("treatments_treatment", "treatments_patient", "treatments_followupstep")
    assert not [q for q in sql if q.startswith("SELECT") and re.search(rf'FROM "({"|".join(names)})"', q)]
    assert len(sql) <= 11
    page = superuser_client.get(url).content.decode()
    assert physician.get_full_name() in page or physician.username in page
