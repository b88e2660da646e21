"""Template context shared by every page."""

from clinic.roles import CLINIC_ADMIN, PHYSICIAN, STAFF, roles_of


def roles(request):
    user_roles = roles_of(request.user)
    return {
        "is_physician": PHYSICIAN in user_roles,
        "is_staff_role": STAFF in user_roles,
        "is_clinic_admin": CLINIC_ADMIN in user_roles,
        "is_clinical": bool(user_roles & {PHYSICIAN, STAFF}),
    }
