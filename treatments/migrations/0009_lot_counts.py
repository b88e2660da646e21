"""Each lot's counts kept with its balance: how many counting administrations it gave and to how many
patients, and the ledger (lot, patient) that keeps the patient count exact; filled set-based from the
administrations already recorded, then the constraints.

Self-contained: the historical models only, and the rule restated as it stands at this migration
(administrations that are not voided, of drafts and signed treatments, count).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import connections, migrations, models
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

COUNTING_STATUSES = ("draft", "signed")

# One statement for every (lot, patient): at 100,000 patients a grouped scan of the administrations,
# not a row-by-row fill from Python.
FILL_LEDGER = (
    "INSERT INTO treatments_lotrecipient (lot_id, patient_id, administration_count) "
    "SELECT a.lot_id, t.patient_id, COUNT(*) FROM treatments_administration a "
    "INNER JOIN treatments_treatment t ON t.id = a.treatment_id "
    "WHERE a.voided_at IS NULL AND t.status IN (%s, %s) "
    "GROUP BY a.lot_id, t.patient_id"
)


def fill_counts(apps, schema_editor):
    Lot = apps.get_model("treatments", "Lot")
    LotRecipient = apps.get_model("treatments", "LotRecipient")
    alias = schema_editor.connection.alias if schema_editor else "default"
    with connections[alias].cursor() as cursor:
        cursor.execute(FILL_LEDGER, list(COUNTING_STATUSES))
    rows = LotRecipient.objects.using(alias).filter(lot=OuterRef("pk")).order_by().values("lot")
    given = rows.annotate(n=Sum("administration_count")).values("n")
    patients = rows.annotate(n=Count("pk", filter=Q(administration_count__gt=0))).values("n")
    Lot.objects.using(alias).update(
        administration_count=Coalesce(Subquery(given, output_field=IntegerField()), 0),
        patient_count=Coalesce(Subquery(patients, output_field=IntegerField()), 0),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0008_followup_window_bound'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LotRecipient',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('administration_count', models.PositiveIntegerField(default=0, verbose_name='administrations held')),
            ],
            options={
                'verbose_name': 'lot recipient',
                'verbose_name_plural': 'lot recipients',
                'ordering': ['lot', 'patient'],
            },
        ),
        migrations.AddField(
            model_name='lot',
            name='administration_count',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='administrations given'),
        ),
        migrations.AddField(
            model_name='lot',
            name='patient_count',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='patients treated'),
        ),
        migrations.AddField(
            model_name='lotrecipient',
            name='lot',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='recipients', to='treatments.lot'),
        ),
        migrations.AddField(
            model_name='lotrecipient',
            name='patient',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='treatments.patient'),
        ),
        migrations.AddConstraint(
            model_name='lotrecipient',
            constraint=models.UniqueConstraint(fields=('lot', 'patient'), name='lot_recipient_unique'),
        ),
        migrations.AddConstraint(
            model_name='lotrecipient',
            constraint=models.CheckConstraint(condition=models.Q(('administration_count__gte', 0)), name='lot_recipient_count_not_negative'),
        ),
        migrations.RunPython(fill_counts, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name='lot',
            constraint=models.CheckConstraint(condition=models.Q(('administration_count__gte', 0), ('patient_count__gte', 0), ('patient_count__lte', models.F('administration_count'))), name='lot_counts_not_negative'),
        ),
    ]
