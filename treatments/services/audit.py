"""Attribution for simple-history: who made a change and why, set on the instance before save."""


def attribute(instance, *, user, reason: str = "") -> None:
    """Make the next save's history row name this user and reason (also outside a request)."""
    instance._history_user = user
    if reason:
        instance._change_reason = reason


# simple-history keeps the change reason in a 100-character column (longer fails on PostgreSQL).
CHANGE_REASON_MAX = 100


def brief(reason: str) -> str:
    """A change reason that fits the history column; the full text stays on the record itself."""
    reason = " ".join((reason or "").split())
    return reason if len(reason) <= CHANGE_REASON_MAX else reason[: CHANGE_REASON_MAX - 1] + "…"
