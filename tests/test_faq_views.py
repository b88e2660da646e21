"""FAQ pages: who reads what, search, unpublished entries, the handout, CSP and query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from faq.models import Category, Entry
from tests.helpers.auth import login_verified

pytestmark = pytest.mark.django_db

INDEX = reverse("faq:index")
HANDOUT = reverse("faq:handout")
TERATOMA = "Is There Any Risk of Them Forming Teratomas, like with embryonic stem cells??"


def make_entry(question, answer="An answer.", **fields) -> Entry:
    category = (
        fields.pop("category", None) or Category.objects.get_or_create(name="Test", defaults={"order": 50})[0]
    )
    return Entry.objects.create(question=question, answer=answer, category=category, **fields)


@pytest.fixture
def draft():
    return make_entry("Is the new protocol ready?", "Not yet: *draft*.", published=False)


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response, response.content.decode()


@pytest.mark.parametrize("role", ["physician", "staff", "clinic_admin"])
def test_every_role_reads_the_faq_grouped_by_category(role_clients, role):
    response, body = page(role_clients[role], INDEX)
    headings = re.findall(r'<h2 class="h5" id="faq-category-\d+">(.*?)</h2>', body)
    assert headings == [
        "About the therapy",
        "Procedure and aftercare",
        "Safety",
        "Follow-up and repeat rounds",
        "Conditions",
    ]
    assert len(response.context["entries"]) == 20
    for entry in Entry.objects.all():
        assert f'href="{entry.get_absolute_url()}"' in body
    assert body.index("What Are Exosomes?") < body.index("How Do They Work?") < body.index("Safety")
    assert "<li>Resume cardio workouts after 3–4 weeks</li>" in body


@pytest.mark.parametrize("url", [INDEX, HANDOUT, reverse("faq:entry", args=["what-are-exosomes"])])
@pytest.mark.security("login_required")
def test_no_role_gets_403_and_anonymous_goes_to_login(role_clients, url):
    assert role_clients["no_role"].get(url).status_code == 403
    response = role_clients["anonymous"].get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_the_nav_links_the_faq_for_roles_that_read_it(staff_client, no_role_client):
    _, body = page(staff_client, INDEX)
    assert re.search(r'<a class="nav-link active" href="/faq/">FAQ</a>', body)
    assert 'href="/faq/"' in page(staff_client, reverse("home"))[1]
    assert 'href="/faq/"' not in page(no_role_client, reverse("home"))[1]


def test_an_entry_has_its_own_page(staff_client):
    entry = Entry.objects.get(question="When Can I Resume Physical Activity After the Procedure?")
    assert entry.get_absolute_url() == "/faq/entries/when-can-i-resume-physical-activity-after-the-procedure/"
    _, body = page(staff_client, entry.get_absolute_url())
    assert '<h1 class="h3">When Can I Resume Physical Activity After the Procedure?' in body
    assert body.count("<li>") == 4
    assert "Procedure and aftercare" in body
    assert f'href="{HANDOUT}?entry={entry.pk}"' in body
    assert "/admin/" not in body.split("<main", 1)[1]
    assert staff_client.get(reverse("faq:entry", args=["no-such-question"])).status_code == 404


def test_unpublished_entries_are_seen_only_by_editors(role_clients, superuser, client, draft):
    for role in ("physician", "staff"):
        response, body = page(role_clients[role], INDEX)
        assert draft not in response.context["entries"]
        assert "Is the new protocol ready?" not in body
        assert role_clients[role].get(draft.get_absolute_url()).status_code == 404
    response, body = page(role_clients["clinic_admin"], INDEX)
    assert draft in response.context["entries"]
    assert re.search(
        r"Is the new protocol ready\?\s*<span class=\"badge text-bg-warning\">unpublished</span>", body
    )
    _, body = page(role_clients["clinic_admin"], draft.get_absolute_url())
    assert "unpublished</span>" in body and "<em>draft</em>" in body
    assert reverse("admin:faq_entry_change", args=[draft.pk]) in body
    login_verified(client, superuser)
    assert client.get(draft.get_absolute_url()).status_code == 200


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("teratoma", [TERATOMA]),
        ("TERATOMAS", [TERATOMA]),
        ("Kimera", ["What Lab Do You Source Them From?"]),
        ("fever headache", ["What Can I Expect After the Procedure? Are There Any Side Effects?"]),
        ("  frozen  ", ["How Are Exosomes Stored?"]),
        ("blood-brain", ["Can Exosomes Benefit Neurodegenerative Diseases?"]),
    ],
)
def test_search_matches_questions_and_answers(staff_client, term, expected):
    response, body = page(staff_client, INDEX, q=term)
    assert [entry.question for entry in response.context["entries"]] == expected
    assert f"{len(expected)} entr" in body
    assert '<details class="faq-entry border rounded px-3 py-2 mb-2" open>' in body


def test_search_with_no_match_says_so_and_hides_drafts(staff_client, admin_client_role, draft):
    response, body = page(staff_client, INDEX, q="protocol ready")
    assert response.context["entries"] == []
    assert "No question or answer matches “protocol ready”." in body
    assert [e.question for e in page(admin_client_role, INDEX, q="protocol ready")[0].context["entries"]] == [
        "Is the new protocol ready?"
    ]


@pytest.mark.security("faq_sanitizer", "escaping")
def test_search_terms_are_escaped(staff_client):
    _, body = page(staff_client, INDEX, q='<script>alert("x")</script>')
    assert '<script>alert("x")</script>' not in body
    assert "&lt;script&gt;" in body


def test_a_hostile_answer_is_shown_sanitized(staff_client):
    entry = make_entry(
        "What about scripts?",
        "<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3)) "
        '<p style="color:red">ok</p>',
    )
    for url in (INDEX, entry.get_absolute_url(), f"{HANDOUT}?entry={entry.pk}"):
        _, body = page(staff_client, url)
        assert "alert(" not in body
        assert "javascript:" not in body
        assert 'style="' not in body


def test_the_handout_prints_the_chosen_entries_in_faq_order(staff_client):
    stored = Entry.objects.get(question="How Are Exosomes Stored?")
    first = Entry.objects.get(question="What Are Exosomes?")
    response, body = page(
        staff_client, f"{HANDOUT}?entry={stored.pk}&entry={first.pk}&entry=abc&entry=999999"
    )
    assert response.context["chosen"] == [first, stored]
    handout = body.split('<article class="faq-handout"', 1)[1]
    assert handout.index("What Are Exosomes?") < handout.index("How Are Exosomes Stored?")
    assert "Exosomes suspended in saline must be kept frozen." in handout
    assert "How Do They Work?" not in handout
    assert '<button type="button" class="btn btn-primary" data-print>Print</button>' in body
    assert '<div class="d-print-none">' in body
    assert re.search(rf'value="{first.pk}" id="handout-entry-{first.pk}" checked', body)
    assert re.search(r'<script src="/static/js/faq\.js"></script>', body)


def test_the_handout_without_a_choice_shows_only_the_picker(staff_client):
    response, body = page(staff_client, HANDOUT)
    assert response.context["chosen"] == []
    assert '<article class="faq-handout"' not in body
    assert body.count('name="entry"') == 20


def test_unpublished_entries_never_reach_a_handout(staff_client, admin_client_role, draft):
    for client in (staff_client, admin_client_role):
        response, body = page(client, f"{HANDOUT}?entry={draft.pk}")
        assert response.context["chosen"] == []
        assert "Is the new protocol ready?" not in body


def test_faq_pages_carry_a_strict_csp_and_no_inline_script_or_style(staff_client):
    entry = Entry.objects.get(question="What Are Exosomes?")
    for url in (INDEX, entry.get_absolute_url(), f"{HANDOUT}?entry={entry.pk}"):
        response, body = page(staff_client, url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", body)
        assert "style=" not in body


def count_queries(client, url) -> int:
    client.get(url)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_pages_run_the_same_number_of_queries_whatever_the_entries(staff_client, admin_client_role):
    extra_category = Category.objects.create(name="Extra", order=60)
    for number in range(5):
        make_entry(f"Extra question {number}?", category=extra_category)
    urls = [INDEX, f"{INDEX}?q=extra", f"{HANDOUT}?entry=1&entry=2"]
    few = {url: count_queries(staff_client, url) for url in urls}
    # session, user, roles and permissions (one query, also for the nav), the entries
    assert set(few.values()) == {4}
    few_admin = count_queries(admin_client_role, INDEX)
    for number in range(5, 50):
        make_entry(f"Extra question {number}?", category=extra_category, published=number % 2 == 0)
    for url, queries in few.items():
        assert count_queries(staff_client, url) == queries
    assert count_queries(admin_client_role, INDEX) == few_admin
