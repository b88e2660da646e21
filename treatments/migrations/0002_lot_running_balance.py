"""Each lot's stock as a running balance: the two balance columns, filled from the ledger of the
administrations already recorded, then the constraints that keep the balance from running out.

Self-contained: the historical models only, and the rule restated as it stands at this migration
(administrations of drafts and signed treatments count; an open amendment's original counts twice).
"""

from decimal import Decimal

import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models
from django.db.models import Sum

COUNTING_STATUSES = ("draft", "signed")


def fill_balances(apps, schema_editor):
    Lot = apps.get_model("treatments", "Lot")
    Administration = apps.get_model("treatments", "Administration")
    active = Administration.objects.filter(voided_at__isnull=True)
    used = dict(
        active.filter(treatment__status__in=COUNTING_STATUSES)
        .order_by()
        .values("lot_id")
        .annotate(ml=Sum("volume_ml"))
        .values_list("lot_id", "ml")
    )
    # Signed originals whose amendment is still a draft: their volume is counted twice for now.
    amending = dict(
        active.filter(treatment__status="signed", treatment__amended_by__status="draft")
        .order_by()
        .values("lot_id")
        .annotate(ml=Sum("volume_ml"))
        .values_list("lot_id", "ml")
    )
    for lot_id in sorted(set(used) | set(amending)):
        Lot.objects.filter(pk=lot_id).update(
            used_ml=used.get(lot_id) or Decimal("0"), amending_ml=amending.get(lot_id) or Decimal("0")
        )


class Migration(migrations.Migration):

    dependencies = [
        ('treatments', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='lot',
            name='amending_ml',
            field=models.DecimalField(decimal_places=3, default=Decimal('0'), editable=False, max_digits=9, verbose_name='counted twice while an amendment is open (ml)'),
        ),
        migrations.AddField(
            model_name='lot',
            name='used_ml',
            field=models.DecimalField(decimal_places=3, default=Decimal('0'), editable=False, max_digits=9, verbose_name='used (ml)'),
        ),
        migrations.RunPython(fill_balances, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name='lot',
            constraint=models.CheckConstraint(condition=models.Q(('amending_ml__gte', 0), ('amending_ml__lte', models.F('used_ml')), ('used_ml__gte', 0)), name='lot_balance_not_negative'),
        ),
        migrations.AddConstraint(
            model_name='lot',
            constraint=models.CheckConstraint(condition=models.Q(('used_ml__lte', django.db.models.expressions.CombinedExpression(models.F('quantity_received_ml'), '+', models.F('amending_ml')))), name='lot_used_within_received', violation_error_message='More was administered from this lot than it received.'),
        ),
    ]
