"""The FAQ importer and the new clinic's seed: the clinic's real file, idempotence, malformed files."""

import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from faq import importing
from faq.links import AFTERCARE, CHECK_IN, THREE_MONTH
from faq.models import Category, Entry
from faq.parsing import parse_faq
from faq.rendering import render_answer
from faq.seeding import seed_clinic_faq

pytestmark = pytest.mark.django_db

SEED = Path(settings.BASE_DIR) / "faq" / "seed" / "clinic-faq.txt"
ACTIVITY = "When Can I Resume Physical Activity After the Procedure?"
SIDE_EFFECTS = "What Can I Expect After the Procedure? Are There Any Side Effects?"
EXPECTED_CATEGORIES = {
    "About the therapy": 5,
    "Procedure and aftercare": 3,
    "Safety": 4,
    "Follow-up and repeat rounds": 5,
    "Conditions": 3,
}
THREE_MONTH_QUESTIONS = {
    "How Long Do Exosomes Work in the Body? What Is the Timeline?",
    "When Can a Person Expect to See the Benefits?",
    "Will People Need Multiple Rounds of Exosomes, and if so, How Should They Be Spaced Apart?",
    "Is There a Follow-Up Appointment After Exosomes Therapy (100 Day That Follows SVF)?",
    "If I Get Exosomes and Return in 4 Months, Can I Get a Second Round of Exosomes?",
}


def run_import(path) -> str:
    out = StringIO()
    call_command("import_faq", str(path), stdout=out)
    return out.getvalue()


@pytest.fixture
def empty_faq():
    """A database without the entries the seed loaded (the base manager may delete)."""
    Entry._base_manager.all().delete()
    Category.objects.all().delete()


def clinic_segments() -> dict[str, str]:
    """Each question of the clinic's file with its answer exactly as written, cut with a regex."""
    text = SEED.read_text(encoding="utf-8")
    parts = re.split(r"^Q\? ?(.*)$", text, flags=re.MULTILINE)
    return {
        question.strip(): answer.strip("\n")
        for question, answer in zip(parts[1::2], parts[2::2], strict=True)
    }


def test_the_seed_file_is_the_clinics_file_byte_for_byte():
    shared = Path(settings.BASE_DIR).parent / "shared" / "seeds" / "clinic-faq.txt"
    if shared.exists():
        assert SEED.read_bytes() == shared.read_bytes()
    assert SEED.read_bytes().count(b"\nQ? ") + SEED.read_bytes().startswith(b"Q? ") == 20


def test_the_real_file_parses_into_20_entries_with_the_text_unchanged():
    parsed = parse_faq(SEED.read_text(encoding="utf-8"))
    segments = clinic_segments()
    assert len(parsed) == 20
    assert [entry.question for entry in parsed] == list(segments)
    for entry in parsed:
        expected = segments[entry.question]
        if entry.question == ACTIVITY:
            # The one change: the clinic's "  • " bullets become Markdown list items.
            expected = expected.replace("  • ", "- ")
        assert entry.answer == expected


def test_the_bullets_stay_a_list():
    activity = Entry.objects.get(question=ACTIVITY)
    html = str(render_answer(activity.answer))
    assert html.count("<ul>") == 1
    items = re.findall(r"<li>(.*?)</li>", html)
    assert items == [
        "Refraining from taking anti-inflammatory medication",
        "No overly strenuous activity for the first 24–48 hours",
        "Resume cardio workouts after 3–4 weeks",
        "After four weeks, resume any weightlifting and running activity if they are part of your "
        "prior routine",
    ]
    assert (
        "<p>In order to gain an optimal response from exosome therapy, we recommend the following:</p>"
        in html
    )


def test_a_fresh_install_holds_the_clinics_20_entries_with_history():
    entries = Entry.objects.select_related("category").in_reading_order()
    assert entries.count() == 20
    assert Counter(entry.category.name for entry in entries) == EXPECTED_CATEGORIES
    assert [c.name for c in Category.objects.all()] == list(EXPECTED_CATEGORIES)
    assert sorted(Entry.objects.values_list("order", flat=True)) == list(range(1, 21))
    assert all(entry.published for entry in entries)
    created = Entry.history.filter(history_type="+")
    assert created.count() == 20
    assert set(created.values_list("history_change_reason", flat=True)) == {"Loaded from the clinic's FAQ"}
    assert Category.history.filter(history_type="+").count() == 5


def test_the_clinics_entries_get_their_first_link_tags():
    aftercare = set(Entry.objects.tagged(AFTERCARE).values_list("question", flat=True))
    assert aftercare == {SIDE_EFFECTS, ACTIVITY}
    assert set(Entry.objects.tagged(CHECK_IN).values_list("question", flat=True)) == aftercare
    assert set(Entry.objects.tagged(THREE_MONTH).values_list("question", flat=True)) == THREE_MONTH_QUESTIONS


def test_the_roles_get_their_faq_permissions():
    def codenames(role):
        return set(
            Group.objects.get(name=role)
            .permissions.filter(content_type__app_label="faq")
            .values_list("codename", flat=True)
        )

    assert codenames("Staff") == {"view_entry", "view_category"}
    assert codenames("Physician") == {"view_entry", "view_category"}
    assert codenames("Clinic admin") == {
        "view_entry",
        "add_entry",
        "change_entry",
        "view_category",
        "add_category",
        "change_category",
    }


def test_importing_into_an_empty_faq_creates_the_20_entries(empty_faq):
    out = run_import(SEED)
    assert "FAQ import: 20 created, 0 updated, 0 unchanged." in out
    assert f"Created: {ACTIVITY} (Procedure and aftercare)" in out
    assert "Created category: Safety" in out
    assert Counter(Entry.objects.values_list("category__name", flat=True)) == EXPECTED_CATEGORIES
    first = Entry.objects.get(order=1)
    assert (first.question, first.slug) == ("What Are Exosomes?", "what-are-exosomes")
    history = first.history.get()
    assert (history.history_type, history.history_change_reason) == ("+", "Imported from clinic-faq.txt")


def test_running_the_import_again_changes_nothing():
    before = (Entry.history.count(), list(Entry.objects.values_list("id", "answer", "last_edited_at")))
    assert "FAQ import: 0 created, 0 updated, 20 unchanged." in run_import(SEED)
    assert "FAQ import: 0 created, 0 updated, 20 unchanged." in run_import(SEED)
    assert (
        Entry.history.count(),
        list(Entry.objects.values_list("id", "answer", "last_edited_at")),
    ) == before


def test_a_changed_answer_is_updated_and_the_admins_choices_are_kept(tmp_path, clinic_admin):
    stored = Entry.objects.get(question="How Are Exosomes Stored?")
    stored.published = False
    stored.tags = "storage"
    stored.category = Category.objects.get(name="Safety")
    stored.save()
    changed = tmp_path / "faq.txt"
    changed.write_text(
        SEED.read_text(encoding="utf-8").replace("must be kept frozen.", "must be kept frozen at -80 °C."),
        encoding="utf-8",
    )
    out = run_import(changed)
    assert "FAQ import: 0 created, 1 updated, 19 unchanged." in out
    assert "Updated: How Are Exosomes Stored?" in out
    stored.refresh_from_db()
    assert stored.answer == "Exosomes suspended in saline must be kept frozen at -80 °C."
    assert (stored.published, stored.tags, stored.category.name) == (False, "storage", "Safety")
    assert stored.history.latest().history_change_reason == "Imported from faq.txt"


def test_a_new_question_is_created_in_its_category_or_general(tmp_path):
    extra = tmp_path / "more.txt"
    extra.write_text(
        "Q? What Are Exosomes?\n\n" + clinic_segments()["What Are Exosomes?"] + "\n\n"
        "Q? Do Exosomes Help Autoimmune Thyroid Disease?\n\nAsk your physician.\n\n"
        "Q? Where Do I Park?\n\nBehind the clinic.\n",
        encoding="utf-8",
    )
    out = run_import(extra)
    assert "FAQ import: 2 created, 0 updated, 1 unchanged." in out
    assert Entry.objects.get(question__startswith="Do Exosomes Help Autoimmune").category.name == "Conditions"
    parking = Entry.objects.get(question="Where Do I Park?")
    assert (parking.category.name, parking.category.order, parking.order, parking.tags) == (
        "General",
        99,
        3,
        "",
    )


def test_questions_match_with_whitespace_normalised(tmp_path):
    spaced = tmp_path / "spaced.txt"
    spaced.write_text(
        "Q?    How Are   Exosomes Stored?  \n\nExosomes suspended in saline must be kept frozen.\n"
    )
    assert "0 created, 0 updated, 1 unchanged" in run_import(spaced)


def test_windows_line_endings_and_a_byte_order_mark_are_read(tmp_path):
    windows = tmp_path / "windows.txt"
    windows.write_bytes(
        "\ufeffQ? How Are Exosomes Stored?\r\n\r\n"
        "Exosomes suspended in saline must be kept frozen.\r\n".encode()
    )
    assert "0 created, 0 updated, 1 unchanged" in run_import(windows)


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("Welcome to our FAQ\nQ? A new question?\nAn answer.\n", 1, "comes before the first question"),
        ("Q? A new question?\nAn answer.\n\nQ?   \nAnother answer.\n", 4, "the question is empty"),
        ("Q? A new question?\n\n\nQ? Another question?\nAn answer.\n", 1, "has no answer"),
        ("Q? A new question?\nAn answer.\nQ? Another question?\n  \n", 3, "has no answer"),
        ("Q? A new question?\nOne.\nQ? A new question?\nTwo.\n", 3, "already asked on line 1"),
        ("Q? A new question?\nWe recommend:\n  •\n", 3, "list item is empty"),
        ("", 1, "holds no question"),
        ("Q? " + "Why? " * 70 + "\nBecause.\n", 1, "at most 300 allowed"),
    ],
)
def test_a_malformed_file_is_rejected_with_its_line_and_nothing_imported(tmp_path, content, line, message):
    bad = tmp_path / "bad.txt"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run_import(bad)
    assert f"bad.txt, line {line}: " in str(error.value)
    assert message in str(error.value)
    assert Entry.objects.count() == 20
    assert not Entry.objects.filter(question="A new question?").exists()


def test_the_error_says_what_is_allowed(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("Intro\n", encoding="utf-8")
    with pytest.raises(CommandError, match="a question is a line starting with 'Q\\?'"):
        run_import(bad)


def test_a_file_that_is_not_utf8_is_rejected_with_its_line(tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Q? A new question?\nAn answer.\nCafé au lait.\n".encode("latin-1"))
    with pytest.raises(CommandError, match=r"latin1.txt, line 3: byte 0xe9 is not UTF-8 text"):
        run_import(latin1)
    assert not Entry.objects.filter(question="A new question?").exists()


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "missing.txt")


def test_a_failed_write_leaves_nothing_half_imported(tmp_path, monkeypatch):
    two = tmp_path / "two.txt"
    two.write_text("Q? First new question?\nOne.\n\nQ? Second new question?\nTwo.\n", encoding="utf-8")
    calls = []

    def failing_tags(question):
        calls.append(question)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return ""

    monkeypatch.setattr(importing, "tags_for", failing_tags)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(two)
    assert not Entry.objects.filter(question__endswith="new question?").exists()


def test_the_seed_never_overwrites_admin_edits():
    stored = Entry.objects.get(question="How Are Exosomes Stored?")
    stored.answer = "Frozen at -80 °C, thawed just before use."
    stored.published = False
    stored.save()
    history_rows = Entry.history.count()
    seed_clinic_faq()
    stored.refresh_from_db()
    assert (stored.answer, stored.published) == ("Frozen at -80 °C, thawed just before use.", False)
    assert Entry.objects.count() == 20
    assert Entry.history.count() == history_rows


def test_the_seed_leaves_a_faq_with_entries_alone_even_when_a_question_was_renamed():
    renamed = Entry.objects.get(question="How Are Exosomes Stored?")
    renamed.question = "Where and how are the exosomes stored?"
    renamed.save()
    seed_clinic_faq()
    assert Entry.objects.count() == 20
    assert not Entry.objects.filter(question="How Are Exosomes Stored?").exists()


def test_the_seed_loads_an_empty_faq_with_history(empty_faq):
    seed_clinic_faq()
    assert Counter(Entry.objects.values_list("category__name", flat=True)) == EXPECTED_CATEGORIES
    activity = Entry.objects.get(question=ACTIVITY)
    assert activity.tags == "aftercare,check-in"
    assert activity.history.filter(
        history_type="+", history_change_reason="Loaded from the clinic's FAQ"
    ).exists()
    assert set(Category.history.filter(history_type="+").values_list("history_change_reason", flat=True)) == {
        "Loaded from the clinic's FAQ"
    }


def test_migrate_runs_the_seed_after_the_schema_is_current(empty_faq):
    call_command("migrate", verbosity=0)
    assert Entry.objects.count() == 20


def test_bullets_get_the_blank_lines_markdown_needs_around_a_list():
    [entry] = parse_faq(
        "Q? What should I bring?\nPlease bring:\n  • your ID\n• your medication list\nThank you."
    )
    assert entry.answer == "Please bring:\n\n- your ID\n- your medication list\n\nThank you."
    html = str(render_answer(entry.answer))
    assert html.count("<li>") == 2 and html.endswith("<p>Thank you.</p>")


def test_a_directory_is_not_a_file(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        run_import(tmp_path)


def test_a_question_whose_link_name_is_taken_gets_a_numbered_one(tmp_path):
    similar = tmp_path / "similar.txt"
    similar.write_text(
        "Q? What are exosomes\nThe same question, without its question mark.\n", encoding="utf-8"
    )
    run_import(similar)
    assert Entry.objects.get(question="What are exosomes").slug == "what-are-exosomes-2"
