"""How django-axes identifies a client: the real address behind the proxy, and a log-safe label."""

import hashlib
import hmac

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with N trusted proxies the N-th address from the right
    of X-Forwarded-For (each proxy appends the address it saw, so the left part is client-forged)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.EXOLOG_TRUSTED_PROXIES
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def username_tag(username: str | None) -> str:
    """A short keyed hash of a typed username: the same name gives the same tag in every log line,
    but the line never carries what was typed (sometimes a password or a patient's name)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), (username or "").encode(), hashlib.sha256)
    return digest.hexdigest()[:12]


def client_str(username, ip_address, user_agent, path_info, request) -> str:
    """AXES_CLIENT_STR_CALLABLE: what axes writes into its log lines about a login attempt."""
    if isinstance(path_info, list | tuple):
        path_info = path_info[0]
    return f"{{user: {username_tag(username)}, ip_address: {ip_address}, path: {path_info}}}"
