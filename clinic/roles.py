"""The clinic's roles (Django groups) and the permissions each one holds.

One map, applied after every ``migrate`` (and ``flush``) by a ``post_migrate`` handler
(``sync_roles``), so that a fresh database and an upgraded one end up with the same groups, and a
change to the map needs no migration. Permissions of every app are created first.
"""

PHYSICIAN = "Physician"
STAFF = "Staff"
CLINIC_ADMIN = "Clinic admin"
ROLES = (PHYSICIAN, STAFF, CLINIC_ADMIN)

_PATIENT_CARE = [
    "treatments.view_patient",
    "treatments.add_patient",
    "treatments.change_patient",
    "treatments.view_treatment",
    "treatments.add_treatment",
    "treatments.change_treatment",
    "treatments.view_administration",
    "treatments.view_lot",
    "treatments.view_product",
    "treatments.view_protocol",
    "treatments.view_followup",
    "treatments.change_followup",
    "treatments.view_sideeffectreport",
    "treatments.add_sideeffectreport",
    "treatments.change_sideeffectreport",
    "faq.view_entry",
    "faq.view_category",
]

ROLE_PERMISSIONS = {
    PHYSICIAN: _PATIENT_CARE
    + [
        "treatments.void_patient",
        "treatments.sign_treatment",
        "treatments.void_treatment",
        "treatments.review_sideeffectreport",
        "treatments.complete_assessment",
        "treatments.acknowledge_missed",
        "treatments.view_history",
    ],
    STAFF: list(_PATIENT_CARE),
    CLINIC_ADMIN: [
        "treatments.view_product",
        "treatments.add_product",
        "treatments.change_product",
        "treatments.view_lot",
        "treatments.add_lot",
        "treatments.change_lot",
        "treatments.recall_lot",
        "treatments.view_protocol",
        "treatments.add_protocol",
        "treatments.change_protocol",
        "treatments.view_followupstep",
        "treatments.add_followupstep",
        "treatments.change_followupstep",
        "treatments.view_history",
        "faq.view_entry",
        "faq.add_entry",
        "faq.change_entry",
        "faq.view_category",
        "faq.add_category",
        "faq.change_category",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "treatments.view_accessevent",
        # Lifting a login lockout early: the Django admin's access attempts (django-axes).
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
    ],
}


def sync_roles(*, using: str = "default", **signal_kwargs) -> None:
    """Create the groups and give each exactly the permissions in ROLE_PERMISSIONS.

    Connected to ``post_migrate``; it runs with the live models, as the schema is current then.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    # post_migrate reaches the apps one by one: create every app's permissions now, not only those
    # of the apps already handled.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.extend(
                Permission.objects.using(using).filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def roles_of(user) -> set[str]:
    """The role names a user holds (cached on the user object for the request)."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_exolog_roles"):
        load_roles_and_permissions(user)
    return user._exolog_roles


def load_roles_and_permissions(user) -> None:
    """Read a user's role names and permissions in one query and cache them on the user object
    for the request: the names for ``roles_of``, the permissions where Django's ModelBackend keeps
    them (``_group_perm_cache``, ``_user_perm_cache``), so that ``clinic.backends.RoleBackend``
    answers ``has_perm`` from them. Every page asks both; apart they cost three queries.

    Superusers hold every permission: their permissions are left to the ModelBackend.
    """
    from django.contrib.auth.models import Group, Permission
    from django.db.models import CharField, Value

    by_role = Group.objects.filter(user=user).values_list(
        "name", "permissions__content_type__app_label", "permissions__codename"
    )
    # A permission given to the user directly (in the admin) has no role: its name is NULL.
    direct = Permission.objects.filter(user=user).values_list(
        Value(None, output_field=CharField()), "content_type__app_label", "codename"
    )
    roles, group_perms, user_perms = set(), set(), set()
    for role, app_label, codename in by_role.order_by().union(direct.order_by(), all=True):
        if role is None:
            user_perms.add(f"{app_label}.{codename}")
            continue
        roles.add(role)
        if codename is not None:  # a role without permissions
            group_perms.add(f"{app_label}.{codename}")
    user._exolog_roles = roles
    if not user.is_superuser:
        user._group_perm_cache = group_perms
        user._user_perm_cache = user_perms
