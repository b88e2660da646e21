"""Private, revocable iCalendar feed links: one secret token per user."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "calendar feed"
        verbose_name_plural = "calendar feeds"
        constraints = [
            # At most one live link per user; revoking and re-creating gives a fresh token.
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(revoked_at__isnull=True), name="one_live_feed_per_user"
            ),
        ]

    def __str__(self):
        return f"Calendar feed of {self.user} ({'revoked' if self.revoked_at else 'active'})"
