"""A user's roles and permissions come in one query (clinic.roles.load_roles_and_permissions,
through clinic.backends.RoleBackend) and mean what Django's ModelBackend means."""

import pytest
from django.contrib.auth.models import Group, Permission, User

from clinic.roles import PHYSICIAN, STAFF, roles_of
from tests.helpers.auth import make_user

pytestmark = pytest.mark.django_db


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)  # no caches from earlier checks


def test_roles_and_permissions_come_in_one_query(physician, django_assert_num_queries):
    user = fresh(physician)
    with django_assert_num_queries(1):
        assert roles_of(user) == {PHYSICIAN}
        assert user.has_perm("treatments.sign_treatment")
        assert not user.has_perm("treatments.recall_lot")
        assert user.has_perms(["treatments.view_patient", "treatments.view_history"])
    expected = set(
        Permission.objects.filter(group__name=PHYSICIAN).values_list("content_type__app_label", "codename")
    )
    assert user.get_all_permissions() == {f"{app}.{code}" for app, code in expected}


def test_the_permission_check_first_also_loads_the_roles(staff, django_assert_num_queries):
    user = fresh(staff)
    with django_assert_num_queries(1):
        assert user.has_perm("treatments.view_followup")
        assert roles_of(user) == {STAFF}


def test_a_permission_given_to_the_user_directly_counts_without_a_role(db):
    user = make_user("direct")
    user.user_permissions.add(Permission.objects.get(codename="view_lot"))
    user = fresh(user)
    assert user.has_perm("treatments.view_lot") and not user.has_perm("treatments.view_patient")
    assert user.get_user_permissions() == {"treatments.view_lot"}
    assert user.get_group_permissions() == set()
    assert roles_of(user) == set()


def test_a_role_without_permissions_is_still_a_role(db):
    Group.objects.create(name="Visitor")
    user = make_user("visitor", "Visitor")
    user = fresh(user)
    assert roles_of(user) == {"Visitor"}
    assert user.get_all_permissions() == set()


def test_two_roles_give_both_sets_of_permissions(physician):
    physician.groups.add(Group.objects.get(name=STAFF))
    user = fresh(physician)
    assert roles_of(user) == {PHYSICIAN, STAFF}
    assert user.has_perm("treatments.sign_treatment") and user.has_perm("treatments.view_followup")


def test_inactive_users_hold_no_permission(physician):
    physician.is_active = False
    physician.save()
    assert not fresh(physician).has_perm("treatments.view_patient")


def test_superusers_hold_every_permission(superuser):
    user = fresh(superuser)
    assert user.has_perm("treatments.recall_lot")
    assert len(user.get_all_permissions()) == Permission.objects.count()
    assert roles_of(user) == set()
