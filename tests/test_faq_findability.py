"""FAQ findability (issue 11): search keywords admins edit, question matches ranked first, counts that
read right, and a handout that says whose it is, from which clinic, and when."""

import datetime as dt
import importlib
import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from faq.importing import keywords_for
from faq.models import Category, Entry

pytestmark = pytest.mark.django_db

INDEX = reverse("faq:index")
HANDOUT = reverse("faq:handout")
ACTIVITY = "When Can I Resume Physical Activity After the Procedure?"
SIDE_EFFECTS = "What Can I Expect After the Procedure? Are There Any Side Effects?"


def search(client, term):
    response = client.get(INDEX, {"q": term})
    assert response.status_code == 200
    return [entry.question for entry in response.context["entries"]], response.content.decode()


@pytest.mark.parametrize("term", ["ibuprofen", "Ibuprofen", "NSAID", "aspirin", "naproxen"])
def test_a_painkiller_finds_the_entry_on_anti_inflammatory_medication(staff_client, term):
    questions, body = search(staff_client, term)
    assert questions == [ACTIVITY]
    assert f"1 entry matches “{term}”" in body


def test_the_clinics_entries_are_loaded_with_search_keywords():
    activity = Entry.objects.get(question=ACTIVITY)
    assert {"ibuprofen", "nsaid", "aspirin"} <= set(activity.keywords.split(", "))
    assert Entry.objects.get(question=SIDE_EFFECTS).keywords
    # An entry with no synonym rule is not given keywords it does not need.
    assert Entry.objects.get(question="What Are Exosomes?").keywords == ""


def test_keywords_are_stored_lower_case_once_each(clinic_admin):
    category = Category.objects.create(name="Test", order=50)
    entry = Entry.objects.create(
        question="Q?",
        answer="A.",
        category=category,
        keywords=" Ibuprofen,NSAID ,  ibuprofen,, Pain   relief ",
    )
    assert entry.keywords == "ibuprofen, nsaid, pain relief"


def test_question_matches_are_listed_before_answer_matches(staff_client):
    category = Category.objects.create(name="Aaa first category", order=0)
    # In an earlier category and first in reading order, but only its answer says "stored".
    Entry.objects.create(question="Where do samples go?", answer="They are stored cold.", category=category)
    questions, body = search(staff_client, "stored")
    assert questions[0] == "How Are Exosomes Stored?"
    assert questions[-1] == "Where do samples go?"
    assert "best matches first" in body


def test_keyword_matches_come_between_question_and_answer_matches(staff_client):
    category = Category.objects.create(name="Aaa first category", order=0)
    by_answer = Entry.objects.create(
        question="Answer only?", answer="Mentions gadolinium.", category=category
    )
    by_keyword = Entry.objects.create(
        question="Keyword only?", answer="No.", category=category, keywords="gadolinium"
    )
    by_question = Entry.objects.create(
        question="What about gadolinium?", answer="No.", category=category, order=9
    )
    questions, _ = search(staff_client, "gadolinium")
    assert questions == [by_question.question, by_keyword.question, by_answer.question]


def test_counts_read_right_in_the_singular_and_the_plural(staff_client):
    _, one = search(staff_client, "teratoma")
    assert "1 entry matches “teratoma”" in one
    _, many = search(staff_client, "exosomes")
    assert "entries match “exosomes”" in many
    _, none = search(staff_client, "zzzzqx")
    assert "No question or answer matches “zzzzqx”." in none


def test_the_upgrade_gives_existing_entries_the_seed_keywords_with_history():
    """The data migration: an entry without keywords gets the seed's, with a history row; one an
    admin gave keywords keeps them."""
    migration = importlib.import_module("faq.migrations.0002_entry_search_keywords")
    activity = Entry.objects.get(question=ACTIVITY)
    stored = Entry.objects.get(question="How Are Exosomes Stored?")
    activity.keywords = ""
    activity.save()
    stored.keywords = "chosen by the clinic"
    stored.save()
    before = activity.history.count()

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    state = MigrationExecutor(connection).loader.project_state(("faq", "0002_entry_search_keywords"))
    migration.add_seed_keywords(state.apps, editor)
    activity.refresh_from_db()
    stored.refresh_from_db()
    assert activity.keywords == keywords_for(ACTIVITY) != ""
    assert stored.keywords == "chosen by the clinic"
    assert activity.history.count() == before + 1
    assert activity.history.first().history_change_reason == migration.REASON


def test_the_handout_header_names_the_clinic_phone_date_and_patient(staff_client, settings):
    settings.CLINIC_NAME = "Harbour Clinic"
    settings.CLINIC_PHONE = "+44 20 7946 0000"
    entry = Entry.objects.get(question="How Are Exosomes Stored?")
    response = staff_client.post(HANDOUT, {"entry": [entry.pk], "patient_name": "  Ada   Lovelace "})
    assert response.status_code == 200
    body = response.content.decode()
    header = body.split('<header class="faq-handout-header', 1)[1].split("</header>", 1)[0]
    assert "Harbour Clinic" in header
    assert "Phone +44 20 7946 0000" in header
    assert "For: Ada Lovelace" in header
    assert f"Date: {timezone.localdate():%-d %b %Y}" in header
    assert response.context["chosen"] == [entry]
    # The name is kept in the form for a second print, and never in a link on the page.
    assert 'value="Ada Lovelace"' in body
    assert "Ada" not in response.get("Location", "")
    assert not [link for link in re.findall(r'(?:href|action)="([^"]*)"', body) if "Lovelace" in link]


def test_the_handout_without_a_name_leaves_a_line_to_write_it_on(staff_client, settings):
    settings.CLINIC_PHONE = ""
    entry = Entry.objects.get(question="How Are Exosomes Stored?")
    body = staff_client.get(HANDOUT, {"entry": entry.pk}).content.decode()
    assert '<span class="faq-handout-blank">' in body
    assert "No clinic phone is configured (CLINIC_PHONE)" in body


def test_a_name_too_long_is_refused_with_the_limit_not_cut_short(staff_client):
    entry = Entry.objects.get(question="How Are Exosomes Stored?")
    response = staff_client.post(HANDOUT, {"entry": [entry.pk], "patient_name": "A" * 121})
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["chosen"] == []
    assert "at most 120 characters (this one has 121)" in body
    assert '<article class="faq-handout"' not in body


def test_the_handout_form_posts_with_a_csrf_token(staff_client):
    body = staff_client.get(HANDOUT).content.decode()
    form = body.split('id="faq-handout-picker"', 1)[0].rsplit("<form", 1)[1]
    assert 'method="post"' in form
    assert "csrfmiddlewaretoken" in body


def test_the_date_on_the_handout_is_the_clinics_today(staff_client, settings):
    entry = Entry.objects.get(question="How Are Exosomes Stored?")
    response = staff_client.get(HANDOUT, {"entry": entry.pk})
    assert response.context["printed_on"] == timezone.localdate()
    assert isinstance(response.context["printed_on"], dt.date)
