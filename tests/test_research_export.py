"""The de-identified research export: no direct identifier of a canary patient anywhere in the zip,
stable keyed pseudonyms, ages and day offsets computed by hand, voided records and other periods
left out, who may download it, its access events, flat queries, the command and the key's check."""

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinic.checks import check_research_key
from clinic.form_parts import DATE_ALLOWED
from tests.helpers.records import administration, sign_treatment
from treatments.models import AccessEvent, FollowUp
from treatments.research import TABLES, age_in_years, pseudonym, research_zip
from treatments.services.followup_actions import followup_cancel, followup_complete, followup_record_attempt
from treatments.services.patients import patient_void
from treatments.services.side_effects import side_effect_report, side_effect_review, side_effect_void
from treatments.services.signing import treatment_amend, treatment_void

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
FILES = ["README.txt", *(table.filename for table in TABLES)]
CANARY_PK = 987_654_321
CANARY_DOB = dt.date(1961, 3, 29)
CANARY_STRINGS = {
    "given name": "Zebulonia",
    "family name": "Quixotewright",
    "record number": "CANARY-MRN-7781",
    "phone": "+44 20 7946 0958",
    "phone digits": "2079460958",
    "email": "zq.canary@mail.example",
    "address": "17 Wisteria Canary Lane",
    "patient notes": "CANARY patient note",
    "allergies": "CANARY allergy",
    "medication": "CANARY medication",
    "treatment notes": "CANARY treatment note",
    "site": "CANARY left knee",
    "not given reason": "CANARY vial cracked",
    "amendment reason": "CANARY amendment reason",
    "void reason": "CANARY void reason",
    "follow-up notes": "CANARY follow-up note",
    "home care": "CANARY home care",
    "attempt notes": "CANARY attempt note",
    "cancel reason": "CANARY cancel reason",
    "term other": "CANARY odd rash",
    "action taken": "CANARY action taken",
    "narrative": "CANARY narrative",
    "review assessment": "CANARY review assessment",
    "review action": "CANARY review action",
    "signer name": "Ross",
    "staff name": "Mina",
}
DOB_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y", "%B %d, %Y", "%d-%m-%Y"]


def _unzip(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def _export(**options) -> dict[str, str]:
    return _unzip(b"".join(research_zip(**options)))


def _table(files: dict[str, str], name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[name])))


def _download(client, **params) -> dict[str, str]:
    response = client.get(reverse("research_export_download"), params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    return _unzip(b"".join(response.streaming_content))


@pytest.fixture
def canary(make_patient, make_draft_treatment, make_report, lot, physician, staff):
    """A patient whose every identifier and free-text field holds a distinctive string, with a
    treatment amended (reason), follow-ups completed, attempted and cancelled with text, side
    effects reported, reviewed and voided with text, and a voided treatment."""
    patient = make_patient(
        id=CANARY_PK,
        given_name=CANARY_STRINGS["given name"],
        family_name=CANARY_STRINGS["family name"],
        mrn=CANARY_STRINGS["record number"],
        phone=CANARY_STRINGS["phone"],
        email=CANARY_STRINGS["email"],
        address=CANARY_STRINGS["address"],
        notes=CANARY_STRINGS["patient notes"],
        allergies=CANARY_STRINGS["allergies"],
        current_medication=CANARY_STRINGS["medication"],
        date_of_birth=CANARY_DOB,
    )
    day = timezone.localdate() - dt.timedelta(days=40)
    given = [
        administration(lot, "local_injection", "2", site=CANARY_STRINGS["site"]),
        administration(
            lot, "iv_drip", "1", whole_dose_given=False, not_given_reason=CANARY_STRINGS["not given reason"]
        ),
    ]
    first = sign_treatment(
        make_draft_treatment(patient, day, administrations=given, notes=CANARY_STRINGS["treatment notes"])
    )
    report = side_effect_report(
        patient=patient,
        treatment=first,
        user=staff,
        data={
            "term": "other",
            "term_other": CANARY_STRINGS["term other"],
            "onset": day + dt.timedelta(days=1),
            "grade": 3,
            "serious_hospitalization": True,
            "outcome": "not_resolved",
            "causality": "possible",
            "action_taken": CANARY_STRINGS["action taken"],
            "narrative": CANARY_STRINGS["narrative"],
        },
    )
    side_effect_review(
        report=report,
        user=physician,
        assessment=CANARY_STRINGS["review assessment"],
        action=CANARY_STRINGS["review action"],
    )
    voided_report = make_report(first, term="headache")
    side_effect_void(report=voided_report, user=physician, reason=CANARY_STRINGS["void reason"])
    amendment = sign_treatment(
        treatment_amend(treatment=first, user=physician, reason=CANARY_STRINGS["amendment reason"])
    )
    followups = list(FollowUp.objects.filter(treatment=amendment).order_by("due_on"))
    followup_record_attempt(
        followup=followups[0],
        user=staff,
        contact="call",
        outcome="no_answer",
        notes=CANARY_STRINGS["attempt notes"],
    )
    followup_complete(
        followup=followups[0],
        user=staff,
        data={
            "contact": "call",
            "pain": 4,
            "energy": 6,
            "global_impression": 2,
            "notes": CANARY_STRINGS["follow-up notes"],
            "home_care_protocol": CANARY_STRINGS["home care"],
        },
        completed_at=timezone.make_aware(dt.datetime.combine(followups[0].window_start, dt.time(11, 0))),
    )
    followup_cancel(followup=followups[-1], user=staff, reason=CANARY_STRINGS["cancel reason"])
    gone = make_draft_treatment(patient, day + dt.timedelta(days=5))
    treatment_void(treatment=sign_treatment(gone), user=physician, reason=CANARY_STRINGS["void reason"])
    return {"patient": patient, "original": first, "amendment": amendment, "voided": gone, "report": report}


def test_no_identifier_of_the_canary_patient_appears_anywhere_in_the_zip(canary):
    files = _export()
    assert sorted(files) == sorted(FILES)
    everything = "\n".join(files.values())
    found = {label: text for label, text in CANARY_STRINGS.items() if text.lower() in everything.lower()}
    assert found == {}
    for fmt in DOB_FORMATS:
        assert CANARY_DOB.strftime(fmt) not in everything, fmt
    assert str(CANARY_PK) not in everything
    cells = {cell for name in FILES[1:] for row in csv.reader(io.StringIO(files[name])) for cell in row}
    assert not cells & {"physician", "staff"}  # the signer's and reporter's usernames
    # The patient is in the export, only as a code.
    [row] = _table(files, "patients.csv")
    assert row["patient_id"].startswith("P-") and len(row["patient_id"]) == 18


def test_no_column_holds_an_internal_id(canary, physician):
    files = _export()
    ids = {
        str(pk) for pk in (canary["original"].pk, canary["amendment"].pk, canary["report"].pk, physician.pk)
    }
    for name in FILES[1:]:
        for row in _table(files, name):
            for column in ("patient_id", "treatment_id", "practitioner"):
                if column in row:
                    assert row[column] not in ids and row[column][:2] in {"P-", "T-", "D-"}


def test_voided_records_and_superseded_originals_are_left_out(canary, make_patient, make_signed_treatment):
    voided_patient = make_patient()
    make_signed_treatment(voided_patient, timezone.localdate() - dt.timedelta(days=3))
    patient_void(patient=voided_patient, user=canary["patient"].created_by, reason="Duplicate record")
    files = _export()
    key = b"test-only-research-key-" + b"r" * 20
    treatments = {row["treatment_id"] for row in _table(files, "treatments.csv")}
    assert treatments == {pseudonym("treatment", canary["amendment"].pk, key=key)}
    assert {row["treatment_id"] for row in _table(files, "administrations.csv")} == treatments
    # The report filed against the original follows the visit to its signed amendment.
    given = _table(files, "administrations.csv")
    assert [(a["sequence"], a["route"], a["whole_dose_given"]) for a in given] == [
        ("1", "local_injection", "yes"),
        ("2", "iv_drip", "no"),
    ]
    [report] = _table(files, "side_effects.csv")  # the voided headache is left out
    assert report["treatment_id"] in treatments and report["term"] == "other"
    assert report["serious"] == "yes" and report["serious_hospitalization"] == "yes"
    assert report["reviewed_day"] != ""
    assert len(_table(files, "patients.csv")) == 1


def test_pseudonyms_are_stable_across_exports_and_change_with_the_key(canary, settings):
    first, second = _export(), _export()
    assert first["patients.csv"] == second["patients.csv"]
    assert first["side_effects.csv"] == second["side_effects.csv"]
    code = _table(first, "patients.csv")[0]["patient_id"]
    settings.EXOLOG_RESEARCH_KEY = "another-research-key-of-the-clinic-" + "z" * 10
    other = _table(_export(), "patients.csv")[0]["patient_id"]
    assert other != code and other.startswith("P-")
    key = b"k" * 32
    assert pseudonym("patient", 1, key=key)[2:] != pseudonym("treatment", 1, key=key)[2:]


def test_ages_and_day_offsets_are_counted_from_the_first_treatment(
    make_patient, make_signed_treatment, make_report, staff
):
    first_day = timezone.localdate() - dt.timedelta(days=60)
    if (first_day + dt.timedelta(days=1)).strftime("%m-%d") == "02-29":
        first_day -= dt.timedelta(days=2)
    # 45 tomorrow: 44 on the day of the first treatment.
    birthday = first_day + dt.timedelta(days=1)
    patient = make_patient(date_of_birth=birthday.replace(year=birthday.year - 45), sex="male")
    first = make_signed_treatment(patient, first_day, baseline_pain=7)
    second = make_signed_treatment(patient, first_day + dt.timedelta(days=10), course_position="booster")
    make_report(
        second, onset=first_day + dt.timedelta(days=12), resolved_on=first_day + dt.timedelta(days=14)
    )
    files = _export()
    assert _table(files, "patients.csv")[0]["age_at_first_treatment"] == "44"
    assert _table(files, "patients.csv")[0]["sex"] == "male"
    treatments = _table(files, "treatments.csv")
    assert [(t["day"], t["course_position"], t["baseline_pain"]) for t in treatments] == [
        ("0", "initial", "7"),
        ("10", "booster", ""),
    ]
    assert [t["total_dose_billion"] for t in treatments] == ["1.00", "1.00"]
    assert [a["day"] for a in _table(files, "administrations.csv")] == ["0", "10"]
    [report] = _table(files, "side_effects.csv")
    assert (report["onset_day"], report["resolved_day"], report["grade"]) == ("12", "14", "1")
    expected = sorted(
        (f.due_on - first_day).days for f in FollowUp.objects.filter(treatment__in=[first, second])
    )
    assert sorted(int(f["due_day"]) for f in _table(files, "followups.csv")) == expected
    assert {t["practitioner"] for t in treatments} == {
        pseudonym("doctor", first.signed_by_id, key=b"test-only-research-key-" + b"r" * 20)
    }


def test_ages_of_90_and_over_are_one_group():
    assert age_in_years(dt.date(1936, 6, 15), dt.date(2026, 6, 14)) == "89"
    assert age_in_years(dt.date(1936, 6, 15), dt.date(2026, 6, 15)) == "90+"
    assert age_in_years(dt.date(1920, 1, 1), dt.date(2026, 6, 15)) == "90+"


def test_the_period_selects_treatments_and_their_patients(make_patient, make_signed_treatment):
    today = timezone.localdate()
    early, late = make_patient(), make_patient()
    make_signed_treatment(early, today - dt.timedelta(days=90))
    make_signed_treatment(early, today - dt.timedelta(days=20))
    make_signed_treatment(late, today - dt.timedelta(days=5))
    files = _export(start=today - dt.timedelta(days=30), end=today - dt.timedelta(days=10))
    [patient] = _table(files, "patients.csv")
    [treatment] = _table(files, "treatments.csv")
    # The day still counts from the patient's first treatment, outside the period.
    assert treatment["day"] == "70"
    assert {f["patient_id"] for f in _table(files, "followups.csv")} == {patient["patient_id"]}
    assert "Treatments dated from" in files["README.txt"]


@pytest.mark.security("role_matrix")
def test_physicians_and_clinic_admins_download_it_staff_are_refused(role_clients, canary):
    for role in ("physician", "clinic_admin"):
        assert role_clients[role].get(reverse("research_export")).status_code == 200
        assert "patients.csv" in _download(role_clients[role])
    for role in ("staff", "no_role"):
        assert role_clients[role].get(reverse("research_export")).status_code == 403
        assert role_clients[role].get(reverse("research_export_download")).status_code == 403


@pytest.mark.security("audit_trail")
def test_each_exported_patient_gets_an_export_access_event(physician_client, physician, canary, make_patient):
    untreated = make_patient()
    before = AccessEvent.objects.count()
    _download(physician_client)
    events = AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT)
    assert AccessEvent.objects.count() == before + 1
    assert list(events.values_list("user_id", "patient_id")) == [(physician.pk, canary["patient"].pk)]
    assert not events.filter(patient=untreated).exists()


def test_a_bad_period_is_explained_and_nothing_is_exported(physician_client):
    response = physician_client.get(
        reverse("research_export_download"), {"start": "2026-05-01", "end": "2026-04-01"}
    )
    assert response.status_code == 400
    assert "The end of the period must be on or after its start." in response.content.decode()
    response = physician_client.get(reverse("research_export_download"), {"start": "31.31.2026"})
    assert response.status_code == 400
    assert str(DATE_ALLOWED) in response.content.decode()
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()


def test_the_page_says_what_is_and_is_not_in_it(physician_client):
    html = physician_client.get(reverse("research_export")).content.decode()
    assert "Not in the export" in html and "days since the patient" in html
    for table in TABLES:
        assert table.filename in html


def test_without_a_key_the_export_is_refused_with_a_message(physician_client, settings):
    settings.EXOLOG_RESEARCH_KEY = ""
    assert (
        "EXOLOG_RESEARCH_KEY is not set" in physician_client.get(reverse("research_export")).content.decode()
    )
    response = physician_client.get(reverse("research_export_download"))
    assert response.status_code == 400 and "EXOLOG_RESEARCH_KEY" in response.content.decode()


def _queries(count, make_patient, make_signed_treatment) -> int:
    day = timezone.localdate() - dt.timedelta(days=30)
    for _ in range(count):
        make_signed_treatment(make_patient(), day)
    with CaptureQueriesContext(connection) as queries:
        b"".join(research_zip(on_patients=lambda ids: None))
    return len(queries)


def test_queries_do_not_grow_with_the_patients(make_patient, make_signed_treatment):
    small = _queries(5, make_patient, make_signed_treatment)
    large = _queries(45, make_patient, make_signed_treatment)  # 50 in all
    assert small == large


def test_queries_are_fixed_per_page_of_patients(make_patient, make_signed_treatment):
    day = timezone.localdate() - dt.timedelta(days=30)
    for _ in range(6):
        make_signed_treatment(make_patient(), day)
    with CaptureQueriesContext(connection) as queries:
        files = _unzip(b"".join(research_zip(page_size=2)))
    # Five tables, each over three pages of two patients: a page query and a rows query per page
    # (the patients table needs only the page), and a last, empty page query per table.
    assert len(queries) == 5 * 4 + 4 * 3
    assert len(_table(files, "patients.csv")) == 6


def test_the_command_writes_the_zip_and_the_access_events(tmp_path, canary, physician):
    out = tmp_path / "research.zip"
    call_command("research_export", out=str(out), user="physician", stdout=io.StringIO())
    files = _unzip(out.read_bytes())
    assert sorted(files) == sorted(FILES)
    assert files["patients.csv"] == _export()["patients.csv"]
    assert AccessEvent.objects.filter(user=physician, action=AccessEvent.Action.EXPORT).count() == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"user": "nobody"}, "No user named 'nobody'"),
        ({"user": "physician", "start": "2026-13-01"}, "is not a date"),
        ({"user": "physician", "start": "2026-02-01", "end": "2026-01-01"}, "--end must be on or after"),
    ],
)
def test_the_command_refuses_bad_options(tmp_path, physician, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("research_export", out=str(tmp_path / "r.zip"), **options)


def test_the_command_refuses_without_a_key(tmp_path, physician, settings):
    settings.EXOLOG_RESEARCH_KEY = ""
    with pytest.raises(CommandError, match="EXOLOG_RESEARCH_KEY is not set"):
        call_command("research_export", out=str(tmp_path / "r.zip"), user="physician")
    assert not (tmp_path / "r.zip").exists()


@pytest.mark.security("deploy_check")
@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "is not set"),
        ("short-key", "shorter than 32"),
        ("SECRET", "the same as SECRET_KEY"),
        ("dev-only-research-key-never-use-in-production", "the development key"),
    ],
)
def test_the_deployment_check_wants_a_key_of_its_own(settings, key, problem):
    settings.EXOLOG_RESEARCH_KEY = settings.SECRET_KEY if key == "SECRET" else key
    [error] = check_research_key()
    assert error.id == "exolog.E003" and problem in error.msg
    assert "EXOLOG_RESEARCH_KEY" in error.hint
    ids = [e.id for e in checks.run_checks(include_deployment_checks=True, tags=["exolog"])]
    assert "exolog.E003" in ids


def test_a_key_of_its_own_passes(settings):
    settings.EXOLOG_RESEARCH_KEY = "a-research-key-of-the-clinic-" + "x" * 20
    assert check_research_key() == []


def test_the_docs_describe_every_column():
    docs = (ROOT / "docs" / "RESEARCH_EXPORT.md").read_text()
    for table in TABLES:
        assert table.filename in docs
        for name, _ in table.columns:
            assert f"`{name}`" in docs, (table.filename, name)
