"""The access log: who opened which patient's record (HIPAA accounting of access)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from clinic.formats import moment


class AccessEvent(models.Model):
    """One opening of a patient's record. Append-only: never edited, never deleted."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed record"
        EXPORT = "export", "Exported data"
        PRINT = "print", "Printed document"
        # A list page showed the patient's name and contact details (the follow-up worklist).
        LIST = "list", "Listed on a worklist"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("treatments.Patient", on_delete=models.PROTECT, related_name="access_events")
    action = models.CharField(max_length=10, choices=Action, default=Action.VIEW)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "access event"
        verbose_name_plural = "access events"
        indexes = [
            # "Who opened this patient's record?" lists one patient's events newest first.
            models.Index(fields=["patient", "-at"], name="access_patient_at_idx"),
            # The access log filtered by user, paged newest first by (at, id) (selectors.access_log):
            # without it a user's page walks the time index past every other user's events.
            models.Index(fields=["user", "-at", "-id"], name="access_user_at_idx"),
        ]

    def __str__(self):
        action = self.get_action_display().lower()
        return f"{self.user} {action} patient #{self.patient_id} at {moment(self.at)}"

    def delete(self, *args, **kwargs):
        raise PermissionError("Access events are never deleted.")
