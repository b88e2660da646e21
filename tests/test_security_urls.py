"""Every URL needs a login: an anonymous sweep of the whole URLconf, the admin included."""

from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.test import Client
from django.urls import path, reverse

from tests.helpers.urlwalk import concrete_urls

pytestmark = [pytest.mark.django_db, pytest.mark.security("login_required")]

# The only pages an anonymous visitor may reach, and what each answers. Static files never reach
# the URLconf (WhiteNoise serves them); the lockout page is the login page's own answer.
PUBLIC = {
    "login": {"GET": 200, "POST": 200},
    # The private calendar feed: calendar apps cannot sign in, so the unguessable token in the URL is
    # the only credential. The sweep's made-up token is unknown: 404 (a known one is tested in
    # test_calendar_feed.py and test_followup_access.py). The feed is read-only: POST is 405.
    "calendar_feed": {"GET": 404, "POST": 405},
}


def ends_at_login(client, response, *, max_hops=3):
    """Follow redirects (the admin first sends to its login URL, which redirects to the site's);
    the chain must end on the login page with an on-site ``next``."""
    login = reverse("login")
    for _ in range(max_hops):
        if response.status_code != 302:
            return False
        location = urlsplit(response["Location"])
        if location.netloc:
            return False
        if location.path == login:
            nxt = parse_qs(location.query).get("next", ["/"])[0]
            return nxt.startswith("/") and not nxt.startswith("//")
        response = client.get(response["Location"])
    return False


@pytest.fixture
def swept(patient):
    return concrete_urls(pk=patient.pk)


def test_the_sweep_reaches_the_whole_urlconf(swept):
    names = {url.qualified_name for url in swept}
    assert {"home", "patient_detail", "access_log", "admin:index", "admin:treatments_patient_change"} <= names
    assert len(swept) >= 70


def anonymous_problems(urls, figures) -> list[str]:
    client = Client()
    problems = []
    for url in urls:
        for method in ("GET", "POST"):
            response = client.generic(method, url.url)
            expected = PUBLIC.get(url.qualified_name, {}).get(method, "login")
            ok = ends_at_login(client, response) if expected == "login" else response.status_code == expected
            if not ok:
                problems.append(f"{method} {url.url} ({url.qualified_name}): {response.status_code}")
            figures["anonymous_requests"] += 1
    return problems


def test_every_url_but_the_public_ones_sends_anonymous_visitors_to_login(swept, security_figures):
    assert anonymous_problems(swept, security_figures) == []
    security_figures["urls_swept"] += len(swept)


@login_not_required
def forgotten_view(request, **kwargs):
    return HttpResponse("patient list")


urlpatterns = [
    path("login/", forgotten_view, name="login"),
    path("open/<int:pk>/", forgotten_view, name="open_by_mistake"),
]


def test_the_sweep_reports_a_view_left_open(settings, patient):
    settings.ROOT_URLCONF = __name__
    problems = anonymous_problems(concrete_urls(pk=patient.pk), Counter())
    assert problems == [
        f"GET /open/{patient.pk}/ (open_by_mistake): 200",
        f"POST /open/{patient.pk}/ (open_by_mistake): 200",
    ]


def test_the_login_page_shows_nothing_of_the_records(patient):
    body = Client().get(reverse("login")).content.decode()
    assert patient.family_name not in body and patient.mrn not in body
