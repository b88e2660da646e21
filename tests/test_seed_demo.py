"""The demo command: DEBUG only, idempotent, realistic."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from treatments.models import Lot, Patient, Treatment

pytestmark = pytest.mark.django_db


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("seed_demo", "--patients", "3")
    assert not User.objects.filter(username="dr.ross").exists()


def test_it_is_idempotent_and_varied(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "25")
    call_command("seed_demo", "--patients", "25")
    assert Patient.objects.count() == 25
    assert User.objects.filter(username__in=["dr.ross", "nurse.kim", "admin.clinic"]).count() == 3
    indications = set(Patient.indications.through.objects.values_list("indication__code", flat=True))
    assert len(indications) >= 4
    out = capsys.readouterr().out
    assert "dr.ross" in out and "0 created, 25 already there" in out
    assert "Demo treatments: already there." in out
    assert Patient.objects.first().history.count() == 1


def test_it_records_treatments_and_lots_through_the_rules(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--patients", "30")
    statuses = set(Treatment.objects.values_list("status", flat=True))
    assert statuses == {"draft", "signed", "amended", "voided"}
    signed = Treatment.objects.signed()
    assert signed.count() >= 20
    assert all(t.followups.exists() for t in signed)
    assert {lot.status for lot in Lot.objects.all()} == {"released", "quarantine", "recalled", "depleted"}
    assert all(lot.stock_on_hand_ml >= 0 for lot in Lot.objects.with_stock())
    assert Lot.objects.get(status="depleted").current_stock_ml() == 0
    assert User.objects.get(username="admin.clinic").is_staff
    assert not User.objects.get(username="dr.ross").is_staff
