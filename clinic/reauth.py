"""Asking a signed-in user for their password again, e.g. before signing a treatment (21 CFR 11.200)."""

# Use confirm_password(request.user, password, request=request) in a service or view, or
# clinic.forms.PasswordConfirmForm, which puts a field error on "password" when it fails.

from django.contrib.auth import authenticate


def confirm_password(user, password: str, *, request) -> bool:
    """True if ``password`` is this user's password right now.

    It goes through ``django.contrib.auth.authenticate``, so django-axes counts a wrong password
    as a failed login for this username and address, and a locked-out user cannot confirm at all.
    ``request`` is required because axes needs the client's address to count. Nothing is logged
    in or out and the session is untouched.
    """
    if not user.is_authenticated or not password:
        return False
    confirmed = authenticate(request, username=user.get_username(), password=password)
    return confirmed is not None and confirmed.pk == user.pk
