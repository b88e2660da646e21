"""Project middleware: no caching of pages, automatic logoff, the second-factor gate, and a warning
when a TLS proxy's header arrives at an app that trusts no proxy."""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import MiddlewareNotUsed
from django.urls import reverse
from django.utils.cache import patch_cache_control

from clinic.second_factor import needs_second_factor, user_has_totp

log = logging.getLogger(__name__)

LOGIN_AT_KEY = "exolog_login_at"
SEEN_AT_KEY = "exolog_seen_at"
# Last-activity time is written at most this often: a session save on every request would cost a
# database write per page; the idle logoff may come up to this many seconds early, never late.
SEEN_RESOLUTION_SECONDS = 30


class NoStoreMiddleware:
    """Every dynamic page may show patient data, so none may be stored by a browser or proxy.

    Static files never reach this middleware (WhiteNoise answers them earlier).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True, max_age=0)
        return response


def mark_login(sender, request, user, **kwargs):
    """user_logged_in receiver: the absolute timeout counts from here."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[LOGIN_AT_KEY] = now
        request.session[SEEN_AT_KEY] = now


class SessionTimeoutMiddleware:
    """Automatic logoff (HIPAA 164.312(a)(2)(iii)): after SESSION_IDLE_TIMEOUT without a request, or
    SESSION_ABSOLUTE_TIMEOUT after login, the session is flushed on the server and the user is sent
    to the login page, with the page they were on (its path only: a query string may hold data)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session = request.session
            now = time.time()
            login_at = session.setdefault(LOGIN_AT_KEY, now)
            seen_at = session.get(SEEN_AT_KEY, now)
            if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
                hours = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() / 3600
                return self.sign_out(
                    request, f"You were signed out because a session lasts at most {hours:g} hours."
                )
            if now - seen_at > settings.SESSION_IDLE_TIMEOUT.total_seconds():
                minutes = settings.SESSION_IDLE_TIMEOUT.total_seconds() / 60
                return self.sign_out(
                    request, f"You were signed out after {minutes:g} minutes without activity."
                )
            if now - seen_at >= SEEN_RESOLUTION_SECONDS or SEEN_AT_KEY not in session:
                session[SEEN_AT_KEY] = now
        return self.get_response(request)

    def sign_out(self, request, message):
        log.info("Session timed out for user id %s.", request.user.pk)
        path = request.path
        logout(request)  # flushes the session row: the old cookie is worthless from now on
        messages.info(request, f"{message} Sign in again to continue where you were.")
        return redirect_to_login(path)


def second_factor_exempt(view):
    """Mark a view that a signed-in user may open before passing the second factor."""
    view.second_factor_exempt = True
    return view


class SecondFactorMiddleware:
    """Physicians, clinic admins and superusers must pass the second factor after their password
    before any page but the verify, enrolment, login and logout pages. The demo setting (refused in
    production by settings.py) lets them through."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "second_factor_exempt", False) or settings.EXOLOG_DEMO_SKIP_SECOND_FACTOR:
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified() or not needs_second_factor(user):
            return None
        target = "second_factor_verify" if user_has_totp(user) else "second_factor_enrol"
        return redirect_to_login(request.path, login_url=reverse(target))


# Browser features no page of the app uses, all switched off (an injected script or a framed page
# cannot ask for the camera or a payment). Features a browser does not know are ignored by it.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class SecurityHeadersMiddleware:
    """The headers Django has no setting for, on every response: pages, error pages, the health
    checks and the static files WhiteNoise answers (this middleware sits outside it).

    ``Permissions-Policy`` switches off the browser features above; ``Cross-Origin-Resource-Policy:
    same-origin`` keeps other sites from embedding any response (a page, a PDF, a script)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class UntrustedProxyWarningMiddleware:
    """Say in the log, once per process, that a TLS proxy is in front but not trusted.

    With ``EXOLOG_TRUSTED_PROXIES=0`` (the default) the app ignores ``X-Forwarded-Proto``, as it
    must when clients can reach it directly. Behind a proxy that ends TLS, every request then looks
    like plain HTTP, and the HTTPS redirect sends the browser round in a loop ("too many redirects")
    with nothing in the log to say why. The header is never trusted here: it only names the setting
    to change. Not loaded when a proxy is trusted or the HTTPS redirect is off.
    """

    def __init__(self, get_response):
        if settings.EXOLOG_TRUSTED_PROXIES or not settings.SECURE_SSL_REDIRECT:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.warned = False

    def __call__(self, request):
        if not self.warned and request.META.get("HTTP_X_FORWARDED_PROTO", "").lower() == "https":
            self.warned = True
            log.error(
                "A request came through a proxy that ended TLS (X-Forwarded-Proto: https), but "
                "EXOLOG_TRUSTED_PROXIES is 0, so the app sees plain HTTP and redirects to HTTPS, which "
                "the browser repeats until it gives up. If the app runs behind that proxy (and clients "
                "cannot reach gunicorn directly), set EXOLOG_TRUSTED_PROXIES to the number of proxies "
                "in front of it (docs/DEPLOYMENT.md)."
            )
        return self.get_response(request)
