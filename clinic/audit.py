"""The audit trail: who made each change and why, and users named in it are deactivated, never deleted."""

from django.apps import apps
from django.db.models import ProtectedError


def historical_models():
    """simple-history's generated tables (they carry ``history_user``), whatever app they are in."""
    return [
        model
        for model in apps.get_models()
        if hasattr(model, "history_user") and hasattr(model, "history_id")
    ]


def refuse_deleting_audited_users(sender, instance, **kwargs):
    """pre_delete receiver for the user model. simple-history sets ``history_user`` to NULL when
    its user is deleted, which would erase *who* made a change; the record's own PROTECT foreign
    keys only cover the user who created it (and the access log's PROTECT key covers its users)."""
    for model in historical_models():
        rows = model.objects.filter(history_user=instance)
        if rows.exists():
            raise ProtectedError(
                f"{instance} appears in the audit history of {model._meta.verbose_name_plural}: "
                "deactivate the account (untick 'active') instead of deleting it.",
                set(rows[:10]),
            )


def attribute(instance, *, user, reason: str = "") -> None:
    """Make the next save's history row name this user and reason (also outside a request)."""
    instance._history_user = user
    if reason:
        instance._change_reason = reason
