"""Physicians complete the 3-month assessment and decide further treatment."""

from django.db import migrations

from clinic.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_roles_for_clinical_records"),
        ("treatments", "0006_history_reason_text_assessment_permission"),
        ("faq", "0004_history_reason_text"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
