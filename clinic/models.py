"""The shared record base: who made a record, its version, and voiding instead of deleting.

Every app's audited records build on this (clinical records in ``treatments``, FAQ entries in ``faq``).
"""

from contextlib import nullcontext

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, Q
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE
from django.utils import timezone


class BulkWriteForbidden(Exception):
    """Raised by bulk paths that would bypass validation and the audit history."""


class StaleRecord(Exception):
    """Someone else saved the record since this form was loaded."""

    def __init__(self, record):
        self.record = record
        super().__init__(
            f"This {record._meta.verbose_name} was changed by someone else while you were editing. "
            "Nothing was saved: reload the page to see their change, then apply yours again."
        )


class ClinicalQuerySet(models.QuerySet):
    def active(self):
        return self.filter(voided_at__isnull=True)

    def voided(self):
        return self.filter(voided_at__isnull=False)

    # simple-history does not see queryset-level writes, so they are closed on clinical records.
    def update(self, **kwargs):
        raise BulkWriteForbidden(
            f"Bulk update of {self.model._meta.verbose_name_plural} is forbidden: "
            "save each record so the change is validated and audited."
        )

    def delete(self):
        raise BulkWriteForbidden(
            f"{self.model._meta.verbose_name_plural} are never deleted: void them with a reason."
        )

    def bulk_update(self, *args, **kwargs):
        raise BulkWriteForbidden("Bulk update of clinical records is forbidden.")


class NarrowCheck(models.CheckConstraint):
    """A model's ``CheckConstraint``, validated by ``full_clean`` against only the fields its condition
    names. Django's check puts every field of the row into each constraint's query (about 1.5 ms a
    constraint for a treatment, six of them at every save and signing); the fields the condition does
    not name never reach the SQL, so the query, the answer and the error are the same. Made by
    ``ClinicalRecord.get_constraints`` for validation only: migrations see the model's own constraints."""

    def __init__(self, constraint: models.CheckConstraint, model):
        super().__init__(
            condition=constraint.condition,
            name=constraint.name,
            violation_error_code=constraint.violation_error_code,
            violation_error_message=constraint.violation_error_message,
        )
        self.field_names = {reference[0] for reference in model._get_expr_references(constraint.condition)}

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        super().validate(model, _NamedFieldsOnly(instance, self.field_names), exclude=exclude, using=using)


class _NamedFieldsOnly:
    """The instance as ``CheckConstraint.validate`` reads it: its field values, only those named."""

    def __init__(self, instance, names):
        self.instance, self.names = instance, names

    def _get_field_expression_map(self, meta, exclude=None):
        values = self.instance._get_field_expression_map(meta=meta, exclude=exclude)
        return {name: value for name, value in values.items() if name in self.names}


def _failed_checks(instance, checks, exclude, using) -> set[int] | None:
    """The ids of the ``NarrowCheck``s in ``checks`` ((model, check) pairs) that ``instance`` fails,
    all answered by one query: ``SELECT COALESCE(<condition>, TRUE), ...`` over the values of the
    fields the conditions name, in one savepoint. Django asks each constraint apart, a savepoint and
    a query each (three round trips a constraint, six to ten constraints at every save of a
    treatment). The conditions, their values and the UNKNOWN-passes rule are Django's
    (``CheckConstraint.validate``), so the answers are the same. None when the database cannot say
    (no boolean comparison, or an error): each check is then asked apart, as Django does."""
    connection = connections[using]
    if not checks or not connection.features.supports_comparing_boolean_expr:
        return None
    query = Query(None)
    present, asked, values_of = set(), [], {}
    for model, check in checks:
        # Constraints naming an excluded field are not checked (as CheckConstraint.validate).
        if exclude and check._expression_refs_exclude(model, check.condition, exclude):
            continue
        # The record's field values, read once per model (not once per constraint).
        if model not in values_of:
            values_of[model] = instance._get_field_expression_map(meta=model._meta, exclude=exclude)
        for name, value in values_of[model].items():
            if name in check.field_names and name not in present:
                query.add_annotation(value, name, select=False)
                present.add(name)
        query.add_annotation(
            Coalesce(Q(check.condition), True, output_field=BooleanField()), f"_check_{len(asked)}"
        )
        asked.append(id(check))
    if not asked:
        return set()
    compiler = query.get_compiler(using=using)
    try:
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            row = compiler.execute_sql(SINGLE)
    except DatabaseError:
        return None
    return {check for check, passed in zip(asked, row, strict=True) if not passed}


# (model, constraint name) -> NarrowCheck: a model's constraints are fixed when its class is made.
_narrow_checks: dict = {}


def _narrow(model, constraint):
    if type(constraint) is not models.CheckConstraint:
        return constraint
    key = (model, constraint.name)
    if key not in _narrow_checks:
        _narrow_checks[key] = NarrowCheck(constraint, model)
    return _narrow_checks[key]


class ClinicalRecord(models.Model):
    """Abstract base: attribution, optimistic-lock version, and void-with-reason."""

    created_at = models.DateTimeField("created", default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        editable=False,
        verbose_name="created by",
    )
    updated_at = models.DateTimeField("last changed", auto_now=True)
    # Incremented on each save; a form carries the version it was loaded with so that a save
    # from a stale form is refused instead of silently overwriting someone else's change.
    version = models.PositiveIntegerField(default=1, editable=False)
    voided_at = models.DateTimeField("voided", null=True, blank=True, editable=False)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
        verbose_name="voided by",
    )
    void_reason = models.TextField("reason for voiding", blank=True, editable=False)

    objects = ClinicalQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            # A voided record always says why (and an active one carries no reason).
            models.CheckConstraint(
                condition=(
                    models.Q(voided_at__isnull=True, void_reason="")
                    | (models.Q(voided_at__isnull=False) & ~models.Q(void_reason=""))
                ),
                name="%(app_label)s_%(class)s_void_has_reason",
            ),
        ]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)

    def get_constraints(self):
        """The constraints ``validate_constraints`` checks: the model's, each check constraint as a
        ``NarrowCheck`` (the same check, a smaller query)."""
        return [
            (model, [_narrow(model, constraint) for constraint in constraints])
            for model, constraints in super().get_constraints()
        ]

    def validate_constraints(self, exclude=None):
        """Django's ``Model.validate_constraints`` (the same constraints, order, errors and messages),
        with every check constraint answered by one query (``_failed_checks``) rather than one
        savepoint and query each; unique constraints are asked as Django asks them."""
        constraints = self.get_constraints()
        using = router.db_for_write(self.__class__, instance=self)
        checks = [
            (model, constraint)
            for model, model_constraints in constraints
            for constraint in model_constraints
            if isinstance(constraint, NarrowCheck)
        ]
        failed = _failed_checks(self, checks, exclude, using)
        errors = {}
        for model, model_constraints in constraints:
            for constraint in model_constraints:
                try:
                    if failed is not None and isinstance(constraint, NarrowCheck):
                        if id(constraint) in failed:
                            raise ValidationError(
                                constraint.get_violation_error_message(), code=constraint.violation_error_code
                            )
                        continue
                    constraint.validate(model, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def delete(self, *args, **kwargs):
        raise BulkWriteForbidden(f"A {self._meta.verbose_name} is never deleted: void it with a reason.")

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    def check_version(self, expected_version) -> None:
        """Refuse a save from a stale form: the row must still be at the version the form loaded.

        Call inside ``transaction.atomic``; the row is locked until the transaction ends.
        """
        if expected_version is None:
            return
        current = (
            type(self)._base_manager.select_for_update().values_list("version", flat=True).get(pk=self.pk)
        )
        if int(expected_version) != current:
            raise StaleRecord(self)

    def mark_voided(self, *, user, reason: str):
        """Set the void fields; the caller saves (inside its transaction, with the audit reason)."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": "Say why this record is voided."})
        if self.is_voided:
            raise ValidationError(f"This {self._meta.verbose_name} is already voided.")
        self.voided_at = timezone.now()
        self.voided_by = user
        self.void_reason = reason
