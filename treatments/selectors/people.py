"""The people a page names (who treated, completed, voided, changed): read by name only."""

from django.contrib.auth import get_user_model

# A page shows a user by name (``get_full_name()`` or the username, ``str(user)``): the rest of the
# row (password hash, dates, flags) is neither read nor turned into Python values.
USER_NAME_FIELDS = {"id", "username", "first_name", "last_name"}


def user_names_only(path: str) -> list[str]:
    """``defer()`` arguments that leave only the names of the user reached through ``path``
    (a ``select_related`` path such as ``"physician"`` or ``"treatment__physician"``)."""
    return [
        f"{path}__{field.name}"
        for field in get_user_model()._meta.concrete_fields
        if field.name not in USER_NAME_FIELDS
    ]
