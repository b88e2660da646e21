"""{% faq_links %}: pages show the published entries carrying a link tag, as set in the admin."""

import re

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from faq.links import AFTERCARE, CHECK_IN, KNOWN_TAGS, THREE_MONTH
from faq.models import Entry
from tests.helpers.auth import login_verified

pytestmark = pytest.mark.django_db

SIDE_EFFECTS = "What Can I Expect After the Procedure? Are There Any Side Effects?"
ACTIVITY = "When Can I Resume Physical Activity After the Procedure?"
STORED = "How Are Exosomes Stored?"


def render(tag: str, user) -> str:
    return (
        Template('{% load faq_links %}{% faq_links "' + tag + '" %}').render(Context({"user": user})).strip()
    )


def linked_questions(html: str) -> list[str]:
    return re.findall(r'<a href="/faq/entries/[\w-]+/">(.*?)</a>', html)


def edit_in_admin(editor, entry, **changes):
    """Change an entry the way a clinic admin does: through the admin's change form."""
    editor.is_staff = True
    editor.save()
    client = Client()
    login_verified(client, editor)
    data = {
        "question": entry.question,
        "slug": entry.slug,
        "category": entry.category_id,
        "order": entry.order,
        "published": "on" if entry.published else "",
        "tags": entry.tags,
        "answer": entry.answer,
    }
    data.update(changes)
    data = {key: value for key, value in data.items() if value != ""}
    response = client.post(reverse("admin:faq_entry_change", args=[entry.pk]), data)
    assert response.status_code == 302


def test_the_tag_names_are_the_documented_ones():
    assert (AFTERCARE, CHECK_IN, THREE_MONTH) == ("aftercare", "check-in", "three-month")
    assert set(KNOWN_TAGS) == {AFTERCARE, CHECK_IN, THREE_MONTH}


@pytest.mark.parametrize("tag", [AFTERCARE, CHECK_IN])
def test_the_aftercare_sheet_and_check_in_link_side_effects_and_activity(staff, tag):
    html = render(tag, staff)
    assert "Patient questions on this" in html
    assert linked_questions(html) == [SIDE_EFFECTS, ACTIVITY]
    for question in (SIDE_EFFECTS, ACTIVITY):
        assert f'href="{Entry.objects.get(question=question).get_absolute_url()}"' in html


def test_the_three_month_assessment_links_timeline_and_repeat_rounds(physician):
    assert linked_questions(render(THREE_MONTH, physician)) == [
        "How Long Do Exosomes Work in the Body? What Is the Timeline?",
        "When Can a Person Expect to See the Benefits?",
        "Will People Need Multiple Rounds of Exosomes, and if so, How Should They Be Spaced Apart?",
        "Is There a Follow-Up Appointment After Exosomes Therapy (100 Day That Follows SVF)?",
        "If I Get Exosomes and Return in 4 Months, Can I Get a Second Round of Exosomes?",
    ]


def test_the_card_offers_a_handout_of_its_entries(staff):
    html = render(AFTERCARE, staff)
    ids = [Entry.objects.get(question=q).pk for q in (SIDE_EFFECTS, ACTIVITY)]
    assert f'href="/faq/handout/?entry={ids[0]}&amp;entry={ids[1]}"' in html


def test_a_tag_no_entry_carries_renders_nothing(staff):
    assert render("no-such-tag", staff) == ""


def test_the_links_follow_the_tags_set_in_the_admin(clinic_admin, staff):
    side_effects = Entry.objects.get(question=SIDE_EFFECTS)
    stored = Entry.objects.get(question=STORED)
    edit_in_admin(clinic_admin, side_effects, tags="check-in")
    edit_in_admin(clinic_admin, stored, tags="Aftercare")
    # In FAQ reading order: "About the therapy" comes before "Procedure and aftercare".
    assert linked_questions(render(AFTERCARE, staff)) == [STORED, ACTIVITY]
    assert linked_questions(render(CHECK_IN, staff)) == [SIDE_EFFECTS, ACTIVITY]


def test_unpublished_entries_are_not_linked(clinic_admin, staff):
    edit_in_admin(clinic_admin, Entry.objects.get(question=ACTIVITY), published="")
    assert linked_questions(render(AFTERCARE, staff)) == [SIDE_EFFECTS]
    assert linked_questions(render(AFTERCARE, clinic_admin)) == [SIDE_EFFECTS]


def test_a_tag_matches_whole_tags_only(staff):
    stored = Entry.objects.get(question=STORED)
    stored.tags = "pre-aftercare, aftercare-extra"
    stored.save()
    assert STORED not in linked_questions(render(AFTERCARE, staff))
    stored.tags = "storage, aftercare, cold-chain"
    stored.save()
    assert stored.tags == "storage,aftercare,cold-chain"
    assert STORED in linked_questions(render(AFTERCARE, staff))


def test_users_who_cannot_read_the_faq_get_no_card(no_role, django_assert_num_queries):
    no_role.has_perm("faq.view_entry")  # the page the card sits on has already loaded the permissions
    with django_assert_num_queries(0):
        assert render(AFTERCARE, no_role) == ""


def test_the_card_runs_one_query(staff, django_assert_num_queries):
    staff.has_perm("faq.view_entry")  # the page the card sits on has already loaded the permissions
    with django_assert_num_queries(1):
        render(THREE_MONTH, staff)


def test_the_request_user_is_used_when_the_context_has_no_user(staff):
    class Request:
        user = staff

    html = Template('{% load faq_links %}{% faq_links "aftercare" %}').render(Context({"request": Request()}))
    assert linked_questions(html) == [SIDE_EFFECTS, ACTIVITY]
    assert Template('{% load faq_links %}{% faq_links "aftercare" %}').render(Context({})).strip() == ""


def test_a_page_may_give_the_card_its_own_title(staff):
    html = Template('{% load faq_links %}{% faq_links "three-month" "Questions at 3 months" %}').render(
        Context({"user": staff})
    )
    assert "Questions at 3 months" in html and "Patient questions on this" not in html
