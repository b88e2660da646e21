"""``full_clean`` checks each CheckConstraint of a clinical record against only the fields its
condition names (``clinic.models.NarrowCheck``), all of a record's checks in one query
(``ClinicalRecord.validate_constraints``): the same refusals, with the same messages, as Django's
check of each constraint against the whole row."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinic.models import ClinicalRecord, NarrowCheck
from tests.helpers.records import administration

pytestmark = pytest.mark.django_db


def clinical_models():
    return [model for model in apps.get_models() if issubclass(model, ClinicalRecord)]


def errors_of(record) -> dict:
    """What ``validate_constraints`` refuses (the narrowed checks)."""
    try:
        record.validate_constraints()
    except ValidationError as error:
        return error.message_dict
    return {}


def plain_errors(record) -> dict:
    """What Django's own checks, each against the whole row, refuse."""
    model = type(record)
    model.get_constraints = models.Model.get_constraints
    try:
        return errors_of(record)
    finally:
        del model.get_constraints


def test_every_check_constraint_is_narrowed_to_fields_of_its_model():
    checked = 0
    for model in clinical_models():
        record = model()
        for owner, constraints in record.get_constraints():
            for constraint in constraints:
                if isinstance(constraint, models.CheckConstraint):
                    assert isinstance(constraint, NarrowCheck)
                    names = {f.name for f in owner._meta.get_fields()} | {"pk"}
                    names |= {f.attname for f in owner._meta.concrete_fields}
                    assert constraint.field_names and constraint.field_names <= names, constraint.name
                    checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"dose_billion": Decimal("0")},
        {"volume_ml": Decimal("0"), "route": "local_injection", "site": ""},
        {"whole_dose_given": False, "not_given_reason": ""},
        {"voided_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "void_reason": ""},
        {"dose_billion": None, "volume_ml": None},
    ],
)
def test_a_record_is_refused_as_by_the_whole_row_check(lot, changes):
    record = administration(lot, volume_ml=Decimal("1"))
    for name, value in changes.items():
        setattr(record, name, value)
    assert errors_of(record) == plain_errors(record)
    if changes and None not in changes.values():
        assert errors_of(record)


def test_a_saved_treatment_passes_both(patient, make_treatment):
    treatment = make_treatment(patient)
    assert errors_of(treatment) == plain_errors(treatment) == {}
    treatment.voided_at = timezone.now()
    assert errors_of(treatment) == plain_errors(treatment) != {}


def test_every_check_of_a_record_is_answered_by_one_query(patient, make_treatment):
    """Django asks each check constraint apart (a savepoint and a query each); the record's checks
    are asked together: one query whatever their number, the unique constraints as before."""
    treatment = make_treatment(patient)
    checks = [
        constraint
        for _, constraints in treatment.get_constraints()
        for constraint in constraints
        if isinstance(constraint, models.CheckConstraint)
    ]
    assert len(checks) >= 6
    with CaptureQueriesContext(connection) as captured:
        treatment.validate_constraints()
    asked = [query["sql"] for query in captured.captured_queries if "COALESCE" in query["sql"].upper()]
    assert len(asked) == 1
    assert all(f'"_check_{number}"' in asked[0] for number in range(len(checks)))


@pytest.mark.parametrize("exclude", [{"dose_billion"}, {"route"}, {"void_reason"}, set()])
def test_excluded_fields_leave_their_checks_out_as_django_does(lot, exclude):
    record = administration(lot, volume_ml=Decimal("1"))
    record.dose_billion = Decimal("0")
    record.route, record.site = "local_injection", ""
    record.voided_at, record.void_reason = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), ""

    def refused(check) -> dict:
        try:
            check(exclude=exclude)
        except ValidationError as error:
            return error.message_dict
        return {}

    batched = refused(record.validate_constraints)
    type(record).get_constraints = models.Model.get_constraints
    try:
        plain = refused(record.validate_constraints)
    finally:
        del type(record).get_constraints
    assert batched == plain
    assert batched  # the checks that name no excluded field still refuse
