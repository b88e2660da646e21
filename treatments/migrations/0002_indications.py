"""Seed the indications the clinic treats (from the clinic FAQ)."""

from django.db import migrations

INDICATIONS = [
    ("joint-musculoskeletal", "Joint / musculoskeletal rejuvenation"),
    ("chronic-inflammation", "Chronic inflammation"),
    ("autoimmune", "Autoimmune disease"),
    ("chronic-infection", "Chronic infection"),
    ("neurodegenerative", "Neurodegenerative disease"),
    ("other", "Other"),
]


def seed(apps, schema_editor):
    Indication = apps.get_model("treatments", "Indication")
    for order, (code, name) in enumerate(INDICATIONS, start=1):
        Indication.objects.update_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("treatments", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
