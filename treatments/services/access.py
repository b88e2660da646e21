"""Access events: who opened or exported which patient's record (one row per view, never merged).

Written on the hot read path of every patient page, so each write is one INSERT from ids alone: no
read of the user or the patient, no lock, no history row. The row is written at once, on the
request's connection (in its transaction when there is one), so a view that ran is never left
without its event.
"""

from collections.abc import Iterable

from treatments.models import AccessEvent


def access_record(*, user, patient_id: int, action: str = AccessEvent.Action.VIEW) -> None:
    """One access event for one patient: a single INSERT."""
    AccessEvent.objects.create(user_id=user.pk, patient_id=patient_id, action=action)


def access_record_many(*, user, patient_ids: Iterable[int], action: str) -> int:
    """One access event per patient (an export that lists many): as few INSERTs as the database
    allows (one on PostgreSQL, one per ~8,000 rows on SQLite, whose statements take at most 32,766
    parameters). Returns how many were written."""
    events = [AccessEvent(user_id=user.pk, patient_id=pk, action=action) for pk in patient_ids]
    AccessEvent.objects.bulk_create(events)
    return len(events)
