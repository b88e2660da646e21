"""Daily reminder digests: who gets what, no patient data in mail, and the job through the real
task queue and worker, or run from cron."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django_tasks_db.models import DBTaskResult

from clinic.roles import PHYSICIAN
from tests.helpers.auth import make_user
from treatments.models import SentDigest
from treatments.selectors.digest import digest_recipients, reminder_digest
from treatments.tasks import send_daily_digests, send_digests

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 2)
NAME, FAMILY, PHONE = "Zebulon", "Quixote-Marlowe", "+1 555 777 4242"


@pytest.fixture
def clinic(make_patient, make_signed_treatment, make_report, physician, staff, settings):
    """Dr Ross treated Zebulon (call due today, week 6-8 overdue) and has a grade 3 report waiting;
    Dr Weber treated another patient whose call is due on Thursday."""
    settings.EXOLOG_BASE_URL = "https://exolog.clinic.example"
    for user, email in ((physician, "ross@clinic.example"), (staff, "kim@clinic.example")):
        user.email = email
        user.save()
    weber = make_user("dr.weber", PHYSICIAN, email="weber@clinic.example", first_name="Jonas")
    zebulon = make_patient(
        given_name=NAME, family_name=FAMILY, phone=PHONE, email="zq@example.com", mrn="DEMO-000123"
    )
    make_signed_treatment(zebulon, dt.date(2026, 1, 2))  # week 6-8 window closed 27 Feb
    ross_today = make_signed_treatment(
        make_patient(mrn="DEMO-000200"), dt.date(2026, 2, 28)
    )  # call due 2 Mar
    make_signed_treatment(make_patient(mrn="DEMO-000300"), dt.date(2026, 3, 3), by=weber)  # call due 5 Mar
    make_report(ross_today, grade=3, onset=dt.date(2026, 3, 1), narrative=f"{NAME} had a fever of 39.5")
    return {"zebulon": zebulon, "weber": weber}


def test_staff_get_every_due_and_overdue_followup_but_no_review_section(clinic, staff):
    digest = reminder_digest(user=staff, today=TODAY)
    counts = {section.title: section.count for section in digest.sections}
    assert counts == {"Overdue": 2, "Due today": 1, "Due this week": 1}
    assert digest.subject == "Exolog reminders: 2 overdue, 1 due today, 1 due this week"


def test_a_physician_gets_their_own_patients_and_the_review_queue(clinic, physician):
    digest = reminder_digest(user=physician, today=TODAY)
    counts = {section.title: section.count for section in digest.sections}
    assert counts == {"Overdue": 2, "Due today": 1, "Due this week": 0, "Side-effect reports to review": 1}
    weber = reminder_digest(user=clinic["weber"], today=TODAY)
    assert {s.title: s.count for s in weber.sections}["Due this week"] == 1
    assert {s.title: s.count for s in weber.sections}["Overdue"] == 0


def test_the_mail_names_no_patient_and_no_clinical_detail(clinic, physician, staff):
    assert send_digests(TODAY) == 3
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"ross@clinic.example", "kim@clinic.example", "weber@clinic.example"}
    ross = by_recipient["ross@clinic.example"]
    text = ross.subject + ross.body
    for secret in (NAME, FAMILY, PHONE, "zq@example.com", "fever", "39.5", "Grade", "Fever"):
        assert secret not in text, secret
    assert "record DEMO-000123" in ross.body
    assert (
        "Week 6–8 check, due 20 Feb 2026 (window 13 Feb 2026 to 27 Feb 2026), record DEMO-000123" in ross.body
    )
    assert "https://exolog.clinic.example/followups/" in ross.body
    assert "- Record DEMO-000200, reported" in ross.body
    assert "https://exolog.clinic.example/side-effects/review/" in ross.body
    kim = by_recipient["kim@clinic.example"]
    assert "Side-effect reports" not in kim.body and "record DEMO-000300" in kim.body


def test_a_user_with_nothing_due_gets_no_mail(make_patient, make_signed_treatment, staff):
    staff.email = "kim@clinic.example"
    staff.save()
    make_signed_treatment(make_patient(), dt.date(2026, 1, 2))
    assert send_digests(dt.date(2025, 12, 1)) == 0  # before anything was due
    assert mail.outbox == []


def test_recipients_are_active_clinical_users_with_an_email(clinic, staff, clinic_admin, superuser, no_role):
    clinic_admin.email = "admin@clinic.example"
    clinic_admin.save()
    no_role.email = "nobody@clinic.example"
    no_role.save()
    assert {u.username for u in digest_recipients()} == {"physician", "staff", "dr.weber"}
    staff.is_active = False
    staff.save()
    assert "staff" not in {u.username for u in digest_recipients()}


def test_long_sections_list_fifty_lines_and_say_how_many_more(make_patient, make_signed_treatment, staff):
    staff.email = "kim@clinic.example"
    staff.save()
    for _ in range(27):  # two overdue follow-ups each: 54
        make_signed_treatment(make_patient(), dt.date(2026, 1, 2))
    digest = reminder_digest(user=staff, today=TODAY)
    overdue = digest.sections[0]
    assert (overdue.count, len(overdue.lines), overdue.more) == (54, 50, 4)
    send_digests(TODAY)
    assert "- and 4 more" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_the_task_runs_through_the_real_queue_and_worker(clinic):
    result = send_daily_digests.enqueue(TODAY.isoformat())
    assert mail.outbox == []  # queued, not sent
    assert DBTaskResult.objects.get(id=result.id).status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    stored = DBTaskResult.objects.get(id=result.id)
    assert stored.status == "SUCCESSFUL"
    assert stored.task_result.return_value == 3
    assert len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_the_command_queues_the_job_for_the_worker(clinic, capsys):
    call_command("send_digests", "--enqueue", "--date", TODAY.isoformat())
    assert "Digest job queued" in capsys.readouterr().out
    assert mail.outbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert len(mail.outbox) == 3


def test_the_command_runs_inline_for_cron(clinic, capsys):
    call_command("send_digests", "--date", TODAY.isoformat())
    assert "Digests sent: 3." in capsys.readouterr().out
    assert len(mail.outbox) == 3
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_digests", "--date", "tomorrow")


# -- idempotent: at most one digest per user and day, whoever sends it ------------------------------


def test_a_second_run_for_the_same_day_sends_nothing(clinic):
    assert send_digests(TODAY) == 3
    assert send_digests(TODAY) == 0
    assert len(mail.outbox) == 3
    assert SentDigest.objects.filter(day=TODAY).count() == 3
    # The next day is another digest.
    assert send_digests(TODAY + dt.timedelta(days=1)) == 3


def test_the_database_refuses_a_second_digest_for_a_user_and_day(physician):
    SentDigest.objects.create(user=physician, day=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        SentDigest.objects.create(user=physician, day=TODAY)


def test_a_claim_made_by_another_sender_is_respected_even_when_read_too_late(clinic, physician, monkeypatch):
    """Two senders read "nobody has it yet" at once: the other one claims the physician's digest
    while this one is still composing it; this one's claim fails on the constraint and it sends
    nothing for that user."""
    from treatments import tasks

    compose = tasks.reminder_digest

    def raced(*, user, today):
        if user == physician:
            SentDigest.objects.create(user=user, day=today)  # the other sender got there first
        return compose(user=user, today=today)

    monkeypatch.setattr(tasks, "reminder_digest", raced)
    assert send_digests(TODAY) == 2
    assert physician.email not in [message.to[0] for message in mail.outbox]
    assert SentDigest.objects.filter(day=TODAY).count() == 3


def test_a_mail_that_fails_is_not_marked_sent_and_goes_out_on_the_next_run(clinic, monkeypatch):
    from django.core.mail.backends import locmem

    def refuse(self, messages):
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
    with pytest.raises(OSError):
        send_digests(TODAY)
    assert SentDigest.objects.count() == 0
    monkeypatch.undo()
    assert send_digests(TODAY) == 3


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent sessions")
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_digest_once(clinic):
    """Two threads (two database sessions, like two workers) send the same day at once."""
    import threading

    from django.db import connections

    results, errors = [], []
    start = threading.Barrier(2)

    def sender():
        try:
            start.wait(timeout=30)
            results.append(send_digests(TODAY))
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(results) == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted({m.to[0] for m in mail.outbox})
    assert len(mail.outbox) == 3
