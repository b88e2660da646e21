"""CSV and XLSX downloads of the list pages: every row the filters select (past the pager's first
page), the same rows as the page, formula cells neutralised, an export access event per patient, the
page's permission, a flat query count, and the page's message for a bad filter."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.helpers.downloads import csv_rows, paged, xlsx_cells
from treatments.filters.patients import SEARCH_SESSION_KEY
from treatments.models import AccessEvent

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example")'


@pytest.fixture
def patients(make_patient):
    def make(count, **fields):
        return [make_patient(**fields) for _ in range(count)]

    return make


@pytest.fixture
def signed_for(make_treatment):
    """One signed treatment for each of ``count`` new patients (yesterday, an hour ago...)."""

    def make(patients, **fields):
        fields.setdefault("doses", ("1",))
        return [make_treatment(patient, sign=True, **fields) for patient in patients]

    return make


def export(client, name, fmt="csv", **params):
    return client.get(reverse(name), {**params, "format": fmt})


def exported_column(response, index):
    return [row[index] for row in csv_rows(response)[1:]]


# Patients --------------------------------------------------------------------------------------


def test_the_patient_download_holds_every_patient_of_the_page_in_its_order(
    physician_client, physician, patients
):
    patients(30)  # more than a page of 25
    page_mrns = paged(
        physician_client, reverse("patient_list"), {"sort": "-mrn"}, lambda c: [p.mrn for p in c["patients"]]
    )
    response = export(physician_client, "patient_list_export", sort="-mrn")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="patients-')
    rows = csv_rows(response)
    assert rows[0][:3] == ["Record no.", "Family name", "Given name"]
    assert [row[0] for row in rows[1:]] == page_mrns
    assert len(page_mrns) == 30
    events = AccessEvent.objects.filter(user=physician, action=AccessEvent.Action.EXPORT)
    assert events.count() == 30


def test_the_patient_download_keeps_the_search_of_the_session(physician_client, make_patient, patients):
    patients(3)
    wanted = make_patient(family_name="Zebedee", mrn="MRN-ZZZ")
    physician_client.post(reverse("patient_list"), {"q": "Zebedee"})
    rows = csv_rows(export(physician_client, "patient_list_export"))
    assert [row[0] for row in rows[1:]] == [wanted.mrn]


def test_a_search_the_page_refuses_sends_the_download_back_to_the_page(physician_client, physician):
    session = physician_client.session
    session[SEARCH_SESSION_KEY] = "31/02/1990"  # looks like a date, is none
    session.save()
    response = export(physician_client, "patient_list_export")
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_list")
    page = physician_client.get(response["Location"])
    assert "Nothing searched" in page.content.decode()
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()


def test_a_formula_in_a_name_is_text_in_both_formats(physician_client, make_patient):
    make_patient(family_name=EVIL, mrn="MRN-EVIL")
    rows = csv_rows(export(physician_client, "patient_list_export"))
    assert rows[1][1] == "'" + EVIL
    cells = xlsx_cells(export(physician_client, "patient_list_export", "xlsx"))
    name = cells[1][1]
    assert name.value == EVIL and name.data_type == "s"
    assert cells[1][3].is_date  # dates stay dates


def test_an_unknown_format_is_refused_with_what_is_allowed(physician_client):
    response = export(physician_client, "patient_list_export", "pdf")
    assert response.status_code == 400
    assert "choose format=csv or format=xlsx" in response.content.decode()


def test_the_export_is_logged_without_patient_data(physician_client, make_patient, captured_logs):
    make_patient(family_name="Canarysson", mrn="MRN-CANARY")
    physician_client.post(reverse("patient_list"), {"q": "Canarysson"})
    export(physician_client, "patient_list_export").getvalue()
    line = next(line for line in captured_logs.lines if "List exported" in line)
    assert "patients as csv" in line and "search=yes" in line and "1 rows" in line
    assert "Canarysson" not in "\n".join(captured_logs.lines)


# Treatments of a period ------------------------------------------------------------------------


def test_the_treatment_download_holds_the_period_and_filters_of_the_page(
    staff_client, staff, patients, signed_for, make_treatment, make_lot
):
    signed_for(patients(28))
    other_lot = make_lot("KL-OTHER")
    odd = make_treatment(patients(1)[0], sign=True, lot=other_lot)
    make_treatment(
        patients(1)[0], sign=True, doses=("1",), when=timezone.now() - dt.timedelta(days=40)
    )  # before
    params = {}
    page = paged(staff_client, reverse("treatment_list"), params, lambda c: [t.pk for t in c["treatments"]])
    rows = csv_rows(export(staff_client, "treatment_list_export"))
    assert len(rows) - 1 == len(page) == 29
    mrns = [row[1] for row in rows[1:]]
    assert odd.patient.mrn in mrns
    assert AccessEvent.objects.filter(user=staff, action=AccessEvent.Action.EXPORT).count() == 29
    by_lot = csv_rows(export(staff_client, "treatment_list_export", lot=other_lot.pk))
    assert [row[1] for row in by_lot[1:]] == [odd.patient.mrn]
    assert by_lot[1][8] == "KL-OTHER" and by_lot[1][9] == "5.00"


def test_a_bad_period_sends_the_treatment_download_back_to_the_page(staff_client):
    response = export(staff_client, "treatment_list_export", start="31/02/2026")
    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    assert page.status_code == 200
    assert "Enter a date like" in page.content.decode()


# Lots ------------------------------------------------------------------------------------------


def test_the_lot_download_holds_every_lot_of_the_status_without_patients(admin_client_role, make_lot, lot):
    for number in range(55):  # more than a page of 50
        make_lot(f"LOT-{number:03d}", storage_location=EVIL if number == 0 else "Freezer A")
    make_lot("Q-1", status="quarantine")
    page = paged(
        admin_client_role,
        reverse("lot_list"),
        {"status": "released"},
        lambda c: [x.lot_number for x in c["lots"]],
    )
    rows = csv_rows(export(admin_client_role, "lot_list_export", status="released"))
    assert [row[0] for row in rows[1:]] == page
    assert len(page) == 56 and "Q-1" not in page
    assert "'" + EVIL in [row[7] for row in rows]
    assert not AccessEvent.objects.exists()  # no patient in a lot list


# Follow-up worklist ----------------------------------------------------------------------------


def test_the_worklist_download_holds_the_whole_section_the_page_shows(
    staff_client, staff, patients, signed_for
):
    signed_for(patients(30))
    first = staff_client.get(reverse("followup_list"))
    section = first.context["section"].key
    page = paged(
        staff_client,
        reverse("followup_list"),
        {"section": section},
        lambda c: [row.patient.mrn for row in c["section"].rows],
    )
    assert len(page) == 30  # two pages of 25
    by_default = csv_rows(export(staff_client, "followup_list_export"))
    asked = csv_rows(export(staff_client, "followup_list_export", section=section))
    assert [row[1] for row in by_default[1:]] == [row[1] for row in asked[1:]] == page
    assert AccessEvent.objects.filter(user=staff, action=AccessEvent.Action.EXPORT).count() == 60


def test_a_physician_downloads_their_own_patients_by_default_as_the_page_shows(
    physician_client, other_physician, patients, signed_for
):
    mine = signed_for(patients(2))
    signed_for(patients(3), physician=other_physician)
    page = physician_client.get(reverse("followup_list"))
    shown = [row.patient.mrn for row in page.context["section"].rows]
    rows = csv_rows(export(physician_client, "followup_list_export"))
    assert sorted(row[1] for row in rows[1:]) == sorted(shown) == sorted(t.patient.mrn for t in mine)
    everyone = csv_rows(export(physician_client, "followup_list_export", physician=""))
    assert len(everyone) - 1 == 5


def test_a_bad_worklist_filter_sends_the_download_back_to_the_page(staff_client):
    response = export(staff_client, "followup_list_export", kind="no-such-step")
    assert response.status_code == 302
    page = staff_client.get(response["Location"])
    assert "Select a valid choice" in page.content.decode()


# Side effects and the review queue -------------------------------------------------------------


def test_the_side_effect_download_holds_every_filtered_report(
    staff_client, staff, patients, signed_for, make_report
):
    treatments = signed_for(patients(3))
    for number in range(30):
        make_report(treatments[number % 3], grade=2, term="headache")
    make_report(treatments[0], grade=1, term="other", term_other=EVIL)
    page = paged(
        staff_client, reverse("sideeffect_list"), {"grade": "2"}, lambda c: [r.pk for r in c["reports"]]
    )
    rows = csv_rows(export(staff_client, "sideeffect_list_export", grade="2"))
    assert len(rows) - 1 == len(page) == 30
    assert {row[5] for row in rows[1:]} == {"2"}
    every = csv_rows(export(staff_client, "sideeffect_list_export"))
    assert "'" + EVIL in [row[4] for row in every]
    assert AccessEvent.objects.filter(user=staff, action=AccessEvent.Action.EXPORT).count() == 6


def test_a_bad_side_effect_filter_sends_the_download_back_to_the_page(staff_client):
    response = export(staff_client, "sideeffect_list_export", grade="9")
    assert response.status_code == 302
    assert staff_client.get(response["Location"]).status_code == 200


def test_the_review_queue_download_holds_every_report_waiting(
    physician_client, physician, patients, signed_for, make_report
):
    treatments = signed_for(patients(2))
    for number in range(55):  # more than a page of 50
        make_report(treatments[number % 2], grade=3)
    page = paged(
        physician_client,
        reverse("sideeffect_review_queue"),
        {},
        lambda c: [(r.onset.isoformat(), r.patient.mrn) for r in c["reports"]],
    )
    rows = csv_rows(export(physician_client, "sideeffect_review_queue_export"))
    assert [(row[0], row[1]) for row in rows[1:]] == page
    assert len(page) == 55
    assert rows[1][7].startswith("Grade 3")
    assert AccessEvent.objects.filter(user=physician, action=AccessEvent.Action.EXPORT).count() == 2


# Permissions: exactly the page's -----------------------------------------------------------------

PAGES = {
    "patient_list_export": "patient_list",
    "treatment_list_export": "treatment_list",
    "lot_list_export": "lot_list",
    "followup_list_export": "followup_list",
    "sideeffect_list_export": "sideeffect_list",
    "sideeffect_review_queue_export": "sideeffect_review_queue",
}


@pytest.mark.parametrize("download", PAGES)
def test_a_download_has_exactly_the_permission_of_its_page(role_clients, download):
    for role, client in role_clients.items():
        page = client.get(reverse(PAGES[download]))
        response = client.get(reverse(download), {"format": "xlsx"})
        if role == "anonymous":
            assert response.status_code == 302 and reverse("login") in response["Location"]
        else:
            assert response.status_code == page.status_code, (role, download)
        assert response.status_code != 500


def test_clinic_admins_download_no_patient_list(admin_client_role):
    for download in set(PAGES) - {"lot_list_export"}:
        assert admin_client_role.get(reverse(download)).status_code == 403


# Queries: flat in the number of rows -------------------------------------------------------------


def queries_for(client, name, **params):
    with CaptureQueriesContext(connection) as captured:
        response = export(client, name, **params)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    # The session's "last seen" time is saved at most once a minute (clinic.middleware): a slow
    # test's request may save it, a quick one not; that is not the download's cost.
    return len([query for query in captured.captured_queries if "django_session" not in query["sql"]])


FORMATS = ("csv", "xlsx")


def test_each_download_runs_the_same_queries_for_5_and_50_rows(
    physician_client, patients, signed_for, make_report, make_lot
):
    """Every download, as CSV and as XLSX; both formats share one build of the 50 rows."""
    names = list(PAGES)

    def grow(count):
        treatments = signed_for(patients(count))
        for treatment in treatments:
            make_report(treatment, grade=3)
        for _ in range(count):
            make_lot()

    def counts():
        return {
            (name, fmt): queries_for(physician_client, name, fmt=fmt) for name in names for fmt in FORMATS
        }

    grow(5)
    small = counts()
    grow(45)
    large = counts()
    assert small == large
