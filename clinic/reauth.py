"""Re-authentication for signatures: the signer types their password again at the moment of signing."""

from django.contrib.auth import authenticate


def confirm_password(request, password) -> bool:
    """True if ``password`` is the signed-in user's password.

    Goes through ``authenticate`` (not ``check_password``) so that a failed attempt sends
    ``user_login_failed`` and any lockout backend counts it like a failed login.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not password:
        return False
    confirmed = authenticate(request, username=user.get_username(), password=password)
    return confirmed is not None and confirmed.pk == user.pk
