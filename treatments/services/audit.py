"""Attribution for simple-history: who made a change and why, set on the instance before save."""


def attribute(instance, *, user, reason: str = "") -> None:
    """Make the next save's history row name this user and reason (also outside a request)."""
    instance._history_user = user
    if reason:
        instance._change_reason = reason
