"""Editing the FAQ in the Django admin: list, search, filter, editable columns, preview, audit, no delete."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from faq.models import Category, Entry
from tests.helpers.auth import login_verified, make_user

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:faq_entry_changelist")
STORED = "How Are Exosomes Stored?"


@pytest.fixture
def editor(clinic_admin):
    """A clinic admin with a staff account: the Django admin only lets staff accounts in."""
    clinic_admin.is_staff = True
    clinic_admin.save()
    return clinic_admin


@pytest.fixture
def editor_client(editor):
    client = Client()
    login_verified(client, editor)
    return client


def change_url(entry):
    return reverse("admin:faq_entry_change", args=[entry.pk])


def form_data(entry, **overrides):
    data = {
        "question": entry.question,
        "slug": entry.slug,
        "category": entry.category_id,
        "order": entry.order,
        "published": "on" if entry.published else "",
        "tags": entry.tags,
        "keywords": entry.keywords,
        "answer": entry.answer,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def test_a_clinic_admin_without_a_staff_account_cannot_enter_the_admin(admin_client_role):
    response = admin_client_role.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_list_shows_every_entry_with_editable_order_and_published(editor_client):
    response = editor_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 20
    body = response.content.decode()
    assert 'name="form-0-order"' in body and 'name="form-0-published"' in body
    assert "delete_selected" not in body
    assert 'value="unpublish"' in body


def test_the_list_searches_questions_and_answers_and_filters_by_category(editor_client):
    results = editor_client.get(CHANGELIST, {"q": "Kimera"}).context["cl"].result_list
    assert [entry.question for entry in results] == ["What Lab Do You Source Them From?"]
    safety = Category.objects.get(name="Safety")
    filtered = editor_client.get(CHANGELIST, {"category__id__exact": safety.pk}).context["cl"].result_list
    assert {entry.category for entry in filtered} == {safety}
    assert len(filtered) == 4


def test_the_editable_columns_save_order_and_published_with_attribution(editor_client, editor):
    formset = editor_client.get(CHANGELIST).context["cl"].formset
    data = {
        "form-TOTAL_FORMS": str(len(formset.forms)),
        "form-INITIAL_FORMS": str(len(formset.forms)),
        "_save": "Save",
    }
    target = Entry.objects.get(question=STORED)
    for form in formset.forms:
        entry = form.instance
        data[f"{form.prefix}-id"] = entry.pk
        data[f"{form.prefix}-order"] = 42 if entry == target else entry.order
        if entry.published and entry != target:
            data[f"{form.prefix}-published"] = "on"
    response = editor_client.post(CHANGELIST, data)
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.order, target.published, target.last_edited_by) == (42, False, editor)
    latest = target.history.latest()
    assert (latest.history_user, latest.published, latest.order) == (editor, False, 42)
    assert Entry.objects.filter(published=True).count() == 19


def test_the_change_form_previews_the_sanitized_answer(editor_client):
    entry = Entry.objects.get(question=STORED)
    entry.answer = (
        "Keep *frozen*:\n\n- at -80 °C\n- thaw before use\n\n"
        "<script>alert(1)</script>[x](javascript:alert(2))"
    )
    entry.save()
    body = editor_client.get(change_url(entry)).content.decode()
    preview = re.search(r'<div class="faq-answer-preview">(.*?)</div>', body, re.DOTALL).group(1)
    assert "<em>frozen</em>" in preview and preview.count("<li>") == 2
    assert "alert(" not in preview and "javascript:" not in preview
    assert '<a rel="noopener noreferrer">x</a>' in preview


@pytest.mark.security("audit_trail")
def test_an_edit_is_attributed_normalised_and_audited(editor_client, editor):
    entry = Entry.objects.get(question=STORED)
    response = editor_client.post(
        change_url(entry),
        form_data(
            entry,
            answer="Frozen at -80 °C.",
            tags=" Aftercare, Check In,aftercare ",
            question="  How Are   Exosomes Stored?",
        ),
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.question, entry.answer, entry.tags) == (STORED, "Frozen at -80 °C.", "aftercare,check-in")
    assert entry.last_edited_by == editor
    latest = entry.history.latest()
    assert (latest.history_type, latest.history_user, latest.answer) == ("~", editor, "Frozen at -80 °C.")
    history_page = editor_client.get(reverse("admin:faq_entry_history", args=[entry.pk])).content.decode()
    assert "Loaded from the clinic&#x27;s FAQ" in history_page


def test_a_new_entry_can_be_added(editor_client, editor):
    data = {
        "question": "Can I fly after a treatment?",
        "slug": "can-i-fly",
        "category": Category.objects.get(name="Procedure and aftercare").pk,
        "order": 6,
        "published": "on",
        "tags": "aftercare",
        "answer": "Yes, after **24 hours**.",
    }
    add_page = editor_client.get(reverse("admin:faq_entry_add")).content.decode()
    assert "Save the entry to see its answer as staff will see it." in add_page
    assert editor_client.post(reverse("admin:faq_entry_add"), data).status_code == 302
    entry = Entry.objects.get(slug="can-i-fly")
    assert (entry.last_edited_by, entry.tags, entry.history.get().history_user) == (
        editor,
        "aftercare",
        editor,
    )


def test_a_duplicate_question_is_refused_with_a_clear_message(editor_client):
    entry = Entry.objects.get(question=STORED)
    other = Entry.objects.get(question="What Are Exosomes?")
    response = editor_client.post(change_url(other), form_data(other, question=STORED, slug="copy"))
    assert response.status_code == 200
    assert "Another entry already asks this question." in response.content.decode()
    other.refresh_from_db()
    assert other.question == "What Are Exosomes?" and entry.question == STORED


@pytest.mark.security("no_delete")
def test_entries_cannot_be_deleted_only_unpublished(editor_client, superuser):
    entry = Entry.objects.get(question=STORED)
    assert editor_client.get(reverse("admin:faq_entry_delete", args=[entry.pk])).status_code == 403
    assert 'class="deletelink"' not in editor_client.get(change_url(entry)).content.decode()
    root = Client()
    login_verified(root, superuser)
    assert root.get(reverse("admin:faq_entry_delete", args=[entry.pk])).status_code == 403
    assert root.post(reverse("admin:faq_entry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    response = root.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert response.status_code == 302  # back to the list: "delete_selected" is no action here
    assert Entry.objects.filter(pk=entry.pk).exists()

    response = editor_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [entry.pk]})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.published is False
    assert entry.history.latest().published is False

    editor_client.post(CHANGELIST, {"action": "publish", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.published is True
    assert [row.published for row in entry.history.order_by("-history_date", "-history_id")[:2]] == [
        True,
        False,
    ]


@pytest.mark.security("audit_trail")
def test_entries_refuse_bulk_writes_that_would_skip_the_history():
    from clinic.models import BulkWriteForbidden

    with pytest.raises(BulkWriteForbidden):
        Entry.objects.all().update(published=False)
    with pytest.raises(BulkWriteForbidden):
        Entry.objects.all().delete()
    with pytest.raises(BulkWriteForbidden):
        Entry.objects.get(question=STORED).delete()
    assert Entry.objects.filter(published=True).count() == 20


def test_staff_with_a_staff_account_can_read_but_not_change(db):
    reader = make_user("reader", "Staff", is_staff=True)
    client = Client()
    login_verified(client, reader)
    entry = Entry.objects.get(question=STORED)
    response = client.post(change_url(entry), form_data(entry, answer="Changed by staff."))
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.answer == "Exosomes suspended in saline must be kept frozen."


def test_categories_are_listed_with_their_entry_counts(editor_client):
    response = editor_client.get(reverse("admin:faq_category_changelist"))
    assert response.status_code == 200
    rows = {category.name: category.entry_count for category in response.context["cl"].result_list}
    assert rows == {
        "About the therapy": 5,
        "Procedure and aftercare": 3,
        "Safety": 4,
        "Follow-up and repeat rounds": 5,
        "Conditions": 3,
    }


def test_admins_edit_the_search_keywords_and_the_faq_search_finds_them(editor_client, editor):
    entry = Entry.objects.get(question=STORED)
    assert 'name="keywords"' in editor_client.get(change_url(entry)).content.decode()
    response = editor_client.post(change_url(entry), form_data(entry, keywords="Cryo,  Liquid Nitrogen"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.keywords == "cryo, liquid nitrogen"
    latest = entry.history.latest()
    assert (latest.history_user, latest.keywords) == (editor, "cryo, liquid nitrogen")
    found = editor_client.get(reverse("faq:index"), {"q": "nitrogen"}).context["entries"]
    assert [e.question for e in found] == [STORED]
    assert [
        e.question for e in editor_client.get(CHANGELIST, {"q": "nitrogen"}).context["cl"].result_list
    ] == [STORED]
