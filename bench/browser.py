"""Signing in over HTTP as a browser would: the login form, then the second-factor form with the
code an authenticator app would show (computed from the device's key)."""

import re
from http.client import HTTPConnection
from urllib.parse import urlencode


class Browser:
    """Just enough of a browser for the login: cookies kept by hand (they are Secure, and this is
    plain HTTP on loopback), CSRF token from the form."""

    def __init__(self, port: int):
        self.port = port
        self.cookies = {}

    def request(self, method: str, path: str, form: dict | None = None):
        connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, response.getheader("Location", ""), content.decode("utf-8", "replace")

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items() if value)

    def post_form(self, path: str, fields: dict):
        status, _, html = self.request("GET", path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if status != 200 or not match:
            raise SystemExit(f"GET {path} answered {status} without a CSRF token; cannot sign in.")
        return self.request("POST", path, fields | {"csrfmiddlewaretoken": match[1]})


def sign_in(browser: Browser, credentials: dict) -> None:
    """Password, then the second factor the site asks for, with the code the device shows now."""
    from binascii import unhexlify

    from django_otp.oath import totp

    status, location, _ = browser.post_form(
        "/login/", {"username": credentials["username"], "password": credentials["password"]}
    )
    for _ in range(3):  # the login page sends home, which sends to the second factor
        if status != 302 or location.startswith("/account/verify/"):
            break
        status, location, _ = browser.request("GET", location)
    if status != 302 or not location.startswith("/account/verify/"):
        raise SystemExit(f"After the password: expected the second-factor page, got {status} {location}")
    code = f"{totp(unhexlify(credentials['key'])):06d}"
    status, location, _ = browser.post_form(location, {"token": code})
    if status != 302 or location.startswith(("/account/", "/login/")):
        raise SystemExit(f"Second factor refused: {status} {location}")
