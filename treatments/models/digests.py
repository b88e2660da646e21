"""Which reminder digests were sent: at most one per user and day, held by the database."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SentDigest(models.Model):
    """A user's reminder digest for a day was sent (or is being sent, inside the sender's
    transaction). The unique constraint makes sending idempotent across workers, app servers and
    reruns: a second sender's insert waits for the first and then fails, so it sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="The day the digest reported on.")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "user_id"]
        verbose_name = "sent digest"
        verbose_name_plural = "sent digests"
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_user_and_day")]

    def __str__(self):
        return f"Digest for user {self.user_id} on {self.day.isoformat()}"
