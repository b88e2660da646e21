"""Demo accounts, one or more per role."""

from django.contrib.auth.models import Group, User

from clinic.roles import CLINIC_ADMIN, PHYSICIAN, STAFF

# Shown by `make run`; they only ever exist on a machine where seed_demo ran with DEBUG on.
DEMO_PASSWORD = "exolog-demo-2026"  # noqa: S105 (demo accounts exist only with DEBUG on)
DEMO_USERS = [
    ("dr.ross", "Helen", "Ross", PHYSICIAN),
    ("dr.weber", "Jonas", "Weber", PHYSICIAN),
    ("nurse.kim", "Mina", "Kim", STAFF),
    ("frontdesk.lee", "Sam", "Lee", STAFF),
    ("admin.clinic", "Alex", "Morgan", CLINIC_ADMIN),
]


def seed_users(stdout=None) -> dict[str, User]:
    users = {}
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@clinic.example"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        # Clinic admins work in the Django admin (products, lots, protocol), which needs staff status.
        user.is_staff = role == CLINIC_ADMIN
        user.save()
        user.groups.add(Group.objects.get(name=role))
        if role == CLINIC_ADMIN and not user.is_staff:
            # The Django admin, where clinic admins edit lots, the protocol and the FAQ, admits staff only.
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        users[username] = user
    return users
