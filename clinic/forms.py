"""Forms of the project pages: second factor and password confirmation."""

import re
import time

from django import forms
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.reauth import confirm_password

TOTP_RE = re.compile(r"^\d{6}$")
RECOVERY_RE = re.compile(r"^[a-z2-7]{8}$")


def normalise_code(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").lower()


class SecondFactorForm(forms.Form):
    """A 6-digit code from the authenticator app, or one of the 8-character recovery codes."""

    token = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None

    def clean_token(self):
        token = normalise_code(self.cleaned_data["token"])
        # Each kind of code goes only to its own device, so that a recovery code never counts
        # as a failed app code (django-otp slows down a device after each failure).
        if TOTP_RE.match(token):
            devices = TOTPDevice.objects.filter(user=self.user, confirmed=True)
        elif RECOVERY_RE.match(token):
            devices = StaticDevice.objects.filter(user=self.user, confirmed=True)
        else:
            raise forms.ValidationError("Enter the 6 digits from your app, or a recovery code of 8 letters.")
        for device in devices:
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                raise forms.ValidationError("Too many wrong codes. Wait a minute, then try again.")
            self.device = verify_token(self.user, device.persistent_id, token)
            if self.device is not None:
                return token
        raise forms.ValidationError("That code is not valid. Codes change every 30 seconds; try the new one.")


class EnrolForm(forms.Form):
    """Confirms a new authenticator: the first code it shows must match the pending secret."""

    token = forms.CharField(
        label="Code from your app",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, user, device: TOTPDevice, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = device

    def clean_token(self):
        token = normalise_code(self.cleaned_data["token"])
        if not TOTP_RE.match(token):
            raise forms.ValidationError("Enter the 6 digits your app shows.")
        device = self.device
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        if not totp.verify(int(token), device.tolerance):
            raise forms.ValidationError(
                "That code does not match. Check that the phone's clock is right and try the new code."
            )
        # The code just used may not be used again to verify.
        device.last_t = totp.t()
        return token


class PasswordConfirmForm(forms.Form):
    """Password again before a signature; wrong passwords count towards the login lockout."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Signing is your legally binding signature: confirm it with your password.",
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not confirm_password(self.request.user, password, request=self.request):
            raise forms.ValidationError("That is not your password.")
        return password
