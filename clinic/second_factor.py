"""Second factor: who needs it, enrolment by QR code with recovery codes, and the verify page."""

import logging
from base64 import b32encode
from binascii import unhexlify

import segno
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from clinic.forms import EnrolForm, SecondFactorForm
from clinic.roles import CLINIC_ADMIN, PHYSICIAN, roles_of

log = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
# The secret being enrolled lives in the server-side session until the first code confirms it, so
# that opening the enrolment page writes nothing to the database.
PENDING_KEY_SESSION_KEY = "exolog_pending_totp_key"


def needs_second_factor(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(roles_of(user) & {PHYSICIAN, CLINIC_ADMIN}))


def user_has_totp(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def safe_next(request, default="home"):
    """The ``next`` target if it stays on this site, else the default page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class SecondFactorBaseView(FormView):
    """Shared by enrolment and verification: only users who need a second factor get here."""

    def dispatch(self, request, *args, **kwargs):
        if not needs_second_factor(request.user):
            messages.info(request, "Your role signs in with a password only.")
            return redirect("home")
        if request.user.is_verified():
            return redirect(safe_next(request))
        return self.elsewhere() or super().dispatch(request, *args, **kwargs)

    def elsewhere(self):
        """A redirect when this page is the wrong one for the user's devices, else None."""
        return None

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"next": safe_next(self.request, default="")}

    def complete(self, device):
        """Mark the session verified with this device, and give it a new key (privilege rises)."""
        otp_login(self.request, device)
        self.request.session.cycle_key()
        log.info("Second factor passed by user id %s.", self.request.user.pk)


class VerifyView(SecondFactorBaseView):
    template_name = "registration/second_factor_verify.html"
    form_class = SecondFactorForm

    def elsewhere(self):
        if not user_has_totp(self.request.user):
            return redirect("second_factor_enrol")
        return None

    def form_invalid(self, form):
        log.warning("Second factor refused for user id %s.", self.request.user.pk)
        return super().form_invalid(form)

    def form_valid(self, form):
        self.complete(form.device)
        if isinstance(form.device, StaticDevice):
            left = form.device.token_set.count()
            messages.warning(
                self.request,
                f"You signed in with a recovery code; {left} left. If your phone is lost, ask an "
                "administrator to reset your second factor.",
            )
        return redirect(safe_next(self.request))


class EnrolView(SecondFactorBaseView):
    """Shows the QR code (a data: URI image: no inline script or style) and the secret; the first
    code from the app confirms it and the page then shows the recovery codes, once."""

    template_name = "registration/second_factor_enrol.html"
    form_class = EnrolForm

    def elsewhere(self):
        # Someone with a phone already set up must verify with it, never enrol a second one
        # with only the password: that would make the second factor worthless.
        if user_has_totp(self.request.user):
            return redirect("second_factor_verify")
        return None

    def pending_device(self) -> TOTPDevice:
        key = self.request.session.get(PENDING_KEY_SESSION_KEY)
        if not key:
            key = self.request.session[PENDING_KEY_SESSION_KEY] = random_hex(20)
        return TOTPDevice(user=self.request.user, name="Authenticator app", key=key, confirmed=False)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"device": self.pending_device()}

    def get_context_data(self, **kwargs):
        device = self.pending_device()
        qr = segno.make(device.config_url, error="m")
        return super().get_context_data(**kwargs) | {
            "qr_data_uri": qr.svg_data_uri(scale=5, border=4, light="#fff"),
            "secret": grouped(b32encode(unhexlify(device.key)).decode()),
        }

    def form_valid(self, form):
        user = self.request.user
        with transaction.atomic():
            device = form.device
            device.confirmed = True
            device.save()
            # New recovery codes replace any earlier set.
            StaticDevice.objects.filter(user=user).delete()
            recovery = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
            codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
            StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
        del self.request.session[PENDING_KEY_SESSION_KEY]
        self.complete(device)
        # Rendered in the response to this POST only: the codes are never shown again.
        return render(
            self.request,
            "registration/second_factor_recovery_codes.html",
            {"codes": codes, "next": safe_next(self.request)},
        )
