"""Background tasks (Django's tasks framework; `manage.py db_worker` runs the queue) and the
sending of the daily reminder digests they run."""

import datetime as dt

from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from treatments.links import absolute_url
from treatments.models import SentDigest
from treatments.selectors.digest import Digest, digest_recipients, reminder_digest


def render_digest(digest: Digest) -> EmailMessage:
    body = render_to_string(
        "treatments/email/digest.txt",
        {
            "digest": digest,
            "worklist_url": absolute_url(reverse("followup_list")),
            "review_url": absolute_url(reverse("sideeffect_review_queue")),
        },
    )
    return EmailMessage(subject=digest.subject, body=body, to=[digest.user.email])


def send_digests(today: dt.date | None = None) -> int:
    """Send today's digest to every recipient with something due who has not had it yet; returns
    how many were sent. Safe to run twice, from two workers or two servers at once: each user's
    mail is sent at most once per day (``send_once``)."""
    today = today or timezone.localdate()
    already = set(SentDigest.objects.filter(day=today).values_list("user_id", flat=True))
    mailer = mailers.default
    sent = 0
    mailer.open()  # one connection for the whole run (SMTP), not one per mail
    try:
        for user in digest_recipients():
            if user.pk in already:
                continue
            digest = reminder_digest(user=user, today=today)
            if not digest.is_empty and send_once(mailer, user=user, day=today, message=render_digest(digest)):
                sent += 1
    finally:
        mailer.close()
    return sent


def send_once(mailer, *, user, day: dt.date, message: EmailMessage) -> bool:
    """Claim the user's digest for the day (a row under a unique constraint), send, then commit.

    Another sender's claim of the same row waits for this transaction: when it commits, the other
    gets an IntegrityError and sends nothing; when the mail fails, the claim is rolled back and a
    later run sends it. A crash between the mail leaving and the commit can send it once more (the
    mail server may have it; nothing here can know), never lose it."""
    try:
        with transaction.atomic():
            SentDigest.objects.create(user=user, day=day)
            if mailer.send_messages([message]):
                return True
            transaction.set_rollback(True)  # not sent: leave it to the next run
            return False
    except IntegrityError:
        return False


@task()
def send_daily_digests(day: str | None = None) -> int:
    """Email each user their reminder digest for ``day`` (ISO date; default: the clinic's today).
    Returns how many messages were sent."""
    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    return send_digests(today)
