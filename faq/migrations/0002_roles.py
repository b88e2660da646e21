"""Give the clinic's roles their FAQ permissions, now that the FAQ models exist."""

from django.db import migrations

from clinic.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("faq", "0001_initial"),
        ("clinic", "0002_roles"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
