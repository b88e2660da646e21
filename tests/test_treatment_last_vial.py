"""Two people take the last vial of a lot at the same moment: one succeeds, the other is told why."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from treatments.models import Administration

pytestmark = [
    pytest.mark.security("stale_forms"),
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE); SQLite serializes writers instead",
    ),
]


def test_only_one_of_two_simultaneous_treatments_gets_the_last_vial(make_treatment, make_lot, make_patient):
    lot = make_lot(lot_number="LAST-1", quantity_received_ml=Decimal("5"))
    patients = [make_patient(), make_patient()]
    barrier = threading.Barrier(2, timeout=10)
    outcomes = []

    def take_the_last_vial(patient):
        try:
            barrier.wait()
            make_treatment(patient, lot=lot, doses=["5"])
            outcomes.append("saved")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=take_the_last_vial, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [
        "Only 0 ml (0 billion) left in lot LAST-1; this dose needs 5 ml.",
        "saved",
    ]
    assert Administration.objects.filter(lot=lot).count() == 1
    assert lot.current_stock_ml() == Decimal("0")
