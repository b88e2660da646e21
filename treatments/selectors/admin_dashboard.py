"""The clinic admin's dashboard cards: lots to release, lots running out of date, open recalls, FAQ
entries waiting to be published and users locked out, each a count read along an index, by what
the user may handle (one query per kind of record, whatever the clinic's size)."""

import datetime as dt

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, F, Q
from django.utils import timezone

from faq.models import Entry
from treatments.models import Lot, LotStatus

EXPIRING_WITHIN_DAYS = 30


def lot_cards(*, today: dt.date) -> dict[str, int]:
    """Lots in quarantine (to release or reject), released lots with stock left that expire within
    EXPIRING_WITHIN_DAYS (to use first or write off) and recalled lots not yet destroyed (the open
    recalls), in one query: three ranges of lot_status_expiry_idx (status, expires_on), so only the
    lots counted are read, however many expired and depleted lots the years leave behind."""
    quarantine = Q(status=LotStatus.QUARANTINE)
    recalled = Q(status=LotStatus.RECALLED)
    expiring = Q(
        status=LotStatus.RELEASED,
        expires_on__gte=today,
        expires_on__lte=today + dt.timedelta(days=EXPIRING_WITHIN_DAYS),
        used_ml__lt=F("quantity_received_ml"),
    )
    counts = (
        Lot.objects.active()
        .filter(quarantine | recalled | expiring)
        .aggregate(
            lots_in_quarantine=Count("pk", filter=quarantine),
            lots_expiring=Count("pk", filter=expiring),
            recalls_open=Count("pk", filter=recalled),
        )
    )
    return {**counts, "expiring_within_days": EXPIRING_WITHIN_DAYS}


def unpublished_faq_count() -> int:
    """FAQ entries waiting to be published: a range of faq_entry_listing_idx (published, ...)."""
    return Entry.objects.filter(published=False).count()


def locked_out_count(*, now: dt.datetime | None = None) -> int:
    """Usernames locked out now: django-axes attempts at the failure limit within the cool-off.
    axes deletes the attempts older than the cool-off at every login (failed or not), so the table
    holds at most the last AXES_COOLOFF_TIME of failed logins: a small table, read once."""
    now = now or timezone.now()
    return (
        AccessAttempt.objects.filter(
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
            attempt_time__gte=now - settings.AXES_COOLOFF_TIME,
        )
        .values("username")
        .distinct()
        .count()
    )


def admin_cards(*, user, today: dt.date) -> dict[str, int]:
    """Each card the user may act on, keyed as templates/includes/dashboard_admin.html names them:
    lot cards for those who change lots, FAQ drafts for FAQ editors, lockouts for those who may
    lift them (in the admin's access attempts)."""
    cards = {}
    if user.has_perm("treatments.change_lot"):
        cards.update(lot_cards(today=today))
    if user.has_perm("faq.change_entry"):
        cards["faq_unpublished"] = unpublished_faq_count()
    # A lock is lifted in the Django admin's access attempts: only for admin users who may.
    if user.is_staff and user.has_perm("axes.delete_accessattempt"):
        cards["users_locked_out"] = locked_out_count()
    return cards
