"""Follow-ups carry their treating physician (copied from the treatment, as the patient is), so a
physician's own worklist is an index range; the existing rows and their history get their
treatment's physician. Also the index of the missed follow-ups a physician has seen."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


BACKFILL = [
    "UPDATE treatments_followup SET physician_id = (SELECT t.physician_id FROM treatments_treatment t "
    "WHERE t.id = treatments_followup.treatment_id)",
    "UPDATE treatments_historicalfollowup SET physician_id = (SELECT t.physician_id FROM "
    "treatments_treatment t WHERE t.id = treatments_historicalfollowup.treatment_id)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0014_sent_digests"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="physician",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="treating physician",
                db_index=False,
            ),
        ),
        migrations.AddField(
            model_name="historicalfollowup",
            name="physician",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="treating physician",
            ),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop, elidable=False),
        migrations.AlterField(
            model_name="followup",
            name="physician",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="treating physician",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(
                    ("missed_seen_at__isnull", False), ("status", "missed"), ("voided_at__isnull", True)
                ),
                fields=["window_end", "due_on", "id"],
                name="followup_missed_seen_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                fields=["physician", "status", "due_on", "window_end", "voided_at"],
                name="followup_physician_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                fields=["physician", "status", "window_end", "due_on", "voided_at"],
                name="followup_physician_window_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                fields=["physician", "status", "completed_at", "voided_at"],
                name="followup_physician_done_idx",
            ),
        ),
    ]
