"""Users with a known password, and clients past the second factor."""

import time

from django.contrib.auth.models import Group, User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.second_factor import needs_second_factor

# Every user the tests create has this password (tests.settings hashes it with fast MD5).
PASSWORD = "correct horse battery staple"


def make_user(username: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def login_verified(client: Client, user) -> Client:
    """Log the client in as a user who has passed the second factor where their role needs one:
    the session holds a confirmed TOTP device, as after a real verification. Production behaviour
    (the second factor required) stays on in tests; use this instead of ``client.force_login``."""
    client.force_login(user)
    if needs_second_factor(user):
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="test phone", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def client_for(user, **client_options) -> Client:
    """A new client logged in as ``user`` (past the second factor)."""
    return login_verified(Client(**client_options), user)


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the user's authenticator app shows now (or ``offset_steps`` steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"
