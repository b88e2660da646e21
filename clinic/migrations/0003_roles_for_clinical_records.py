"""Give the roles the permissions on treatments, lots, follow-ups and side-effect reports."""

from django.db import migrations

from clinic.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0002_roles"),
        ("treatments", "0004_default_protocol"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
