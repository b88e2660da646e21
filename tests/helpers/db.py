"""Database state for tests: a snapshot to compare, and a savepoint rolled back after a block."""

from contextlib import contextmanager

from django.apps import apps
from django.db import transaction
from django.db.models import Sum

# Opening a page may write these: a session, the access log, axes' login log.
SNAPSHOT_SKIPS = {"sessions.session", "clinic.accessevent", "axes.accesslog"}


def db_state() -> dict[str, tuple]:
    """Row count of every table (and the sum of record versions), except SNAPSHOT_SKIPS."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in SNAPSHOT_SKIPS:
            continue
        rows = model._base_manager.all()
        versions = rows.aggregate(total=Sum("version"))["total"] if hasattr(model, "version") else None
        state[label] = (rows.count(), versions)
    return state


@contextmanager
def rolled_back():
    """Run the block in a savepoint that is always rolled back, so whatever it wrote is gone after.

    A Hypothesis test runs many examples inside one test (one database transaction): wrap each
    example in this so every example starts from the fixtures' state, not from what the previous
    example saved.
    """
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
