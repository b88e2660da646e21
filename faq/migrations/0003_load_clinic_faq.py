"""Load the clinic's own FAQ (faq/seed/clinic-faq.txt) so that every install starts with its 20 entries.

It goes through the import command's parser and loader, but only creates questions that are missing:
running it again never overwrites what clinic admins have edited since.
"""

from pathlib import Path

from django.db import migrations

from faq.importing import load_entries, record_creation
from faq.parsing import decode_faq, parse_faq

SEED = Path(__file__).resolve().parent.parent / "seed" / "clinic-faq.txt"
REASON = "Loaded from the clinic's FAQ"


def load_clinic_faq(apps, schema_editor):
    Category = apps.get_model("faq", "Category")
    Entry = apps.get_model("faq", "Entry")
    parsed = parse_faq(decode_faq(SEED.read_bytes()))
    result = load_entries(parsed, Category=Category, Entry=Entry, update_answers=False, reason=REASON)
    for category in result.categories_created:
        record_creation(apps.get_model("faq", "HistoricalCategory"), category, REASON)
    for entry in result.created:
        record_creation(apps.get_model("faq", "HistoricalEntry"), entry, REASON)


class Migration(migrations.Migration):
    dependencies = [("faq", "0002_roles")]
    operations = [migrations.RunPython(load_clinic_faq, migrations.RunPython.noop)]
