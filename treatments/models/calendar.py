"""Private, revocable iCalendar feed links: one secret token per user."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CalendarFeed(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    # The SHA-256 digest of the link's token (services.calendar): the token itself is shown once and
    # never stored, so a copy of the database opens no feed.
    token_digest = models.CharField("token digest", max_length=64, unique=True, editable=False)
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
