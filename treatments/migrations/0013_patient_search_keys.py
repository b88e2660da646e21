"""Patient search by phone, record number without its prefix, date of birth and e-mail: the two
search keys the model keeps (Patient.set_search_keys) and an index for each kind of term.

The keys of existing patients are filled in one UPDATE (set-based, whatever the clinic's size), with
the same rules as treatments.models.patients.phone_key and record_number: on PostgreSQL in SQL, on
SQLite by those very functions registered on the connection for the statement.
"""

import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

POSTGRESQL_BACKFILL = (
    "UPDATE treatments_patient SET "
    "phone_key = reverse(ltrim(regexp_replace(phone, '[^0-9]', '', 'g'), '0')), "
    "mrn_number = CASE WHEN mrn ~ '[0-9]$' "
    "THEN COALESCE(NULLIF(ltrim(substring(mrn from '[0-9]+$'), '0'), ''), '0') ELSE '' END"
)
SQLITE_BACKFILL = (
    "UPDATE treatments_patient SET phone_key = exolog_phone_key(phone), mrn_number = exolog_record_number(mrn)"
)


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKFILL)
        return
    from treatments.models.patients import phone_key, record_number

    connection.ensure_connection()
    raw = connection.connection
    raw.create_function("exolog_phone_key", 1, phone_key, deterministic=True)
    raw.create_function("exolog_record_number", 1, record_number, deterministic=True)
    schema_editor.execute(SQLITE_BACKFILL)


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0012_missed_followups_seen'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalpatient',
            name='mrn_number',
            field=models.CharField(blank=True, editable=False, help_text='record_number(mrn)', max_length=32, verbose_name="record number's number"),
        ),
        migrations.AddField(
            model_name='historicalpatient',
            name='phone_key',
            field=models.CharField(blank=True, editable=False, help_text='phone_key(phone)', max_length=40, verbose_name='phone search key'),
        ),
        migrations.AddField(
            model_name='patient',
            name='mrn_number',
            field=models.CharField(blank=True, editable=False, help_text='record_number(mrn)', max_length=32, verbose_name="record number's number"),
        ),
        migrations.AddField(
            model_name='patient',
            name='phone_key',
            field=models.CharField(blank=True, editable=False, help_text='phone_key(phone)', max_length=40, verbose_name='phone search key'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['date_of_birth', 'id'], name='patient_dob_idx'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(django.db.models.functions.text.Lower('email'), name='patient_email_lower_idx'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['phone_key'], name='patient_phone_key_idx'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['mrn_number'], name='patient_mrn_number_idx'),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(django.db.models.functions.text.Lower("mrn"), name="patient_mrn_lower_idx"),
        ),
    ]
