"""Background tasks (Django's tasks framework; `manage.py db_worker` runs the queue) and the
sending of the daily reminder digests they run."""

import datetime as dt

from django.core.mail import EmailMessage, mailers
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from treatments.links import absolute_url
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
    """Send today's digest to every recipient with something due; returns how many were sent."""
    today = today or timezone.localdate()
    messages = []
    for user in digest_recipients():
        digest = reminder_digest(user=user, today=today)
        if not digest.is_empty:
            messages.append(render_digest(digest))
    if not messages:
        return 0
    return mailers.default.send_messages(messages) or 0


@task()
def send_daily_digests(day: str | None = None) -> int:
    """Email each user their reminder digest for ``day`` (ISO date; default: the clinic's today).
    Returns how many messages were sent."""
    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    return send_digests(today)
