"""Background tasks (Django's tasks framework; `manage.py db_worker` runs the queue)."""

import datetime as dt

from django.tasks import task
from django.utils import timezone

from treatments.digest import send_digests


@task()
def send_daily_digests(day: str | None = None) -> int:
    """Email each user their reminder digest for ``day`` (ISO date; default: the clinic's today).
    Returns how many messages were sent."""
    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    return send_digests(today)
