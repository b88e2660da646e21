"""The authentication backend: Django's ModelBackend, with a user's roles and permissions read in
one query (``clinic.roles.load_roles_and_permissions``) instead of three."""

from django.contrib.auth.backends import ModelBackend

from clinic.roles import load_roles_and_permissions


class RoleBackend(ModelBackend):
    """Checks passwords and permissions as ModelBackend does. The first permission check of a
    request loads the user's permissions together with their role names; ModelBackend then reads
    its own per-user caches, which the loader filled."""

    def _load(self, user_obj, obj) -> None:
        if not user_obj.is_active or user_obj.is_anonymous or user_obj.is_superuser or obj is not None:
            return  # ModelBackend answers these without the roles (superusers hold every permission)
        if not (hasattr(user_obj, "_group_perm_cache") and hasattr(user_obj, "_user_perm_cache")):
            load_roles_and_permissions(user_obj)

    def get_user_permissions(self, user_obj, obj=None):
        self._load(user_obj, obj)
        return super().get_user_permissions(user_obj, obj)

    def get_group_permissions(self, user_obj, obj=None):
        self._load(user_obj, obj)
        return super().get_group_permissions(user_obj, obj)
