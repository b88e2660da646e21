"""Many rows fast, for PostgreSQL query-plan tests: one ``INSERT ... SELECT ... FROM
generate_series(1, n) AS g`` per table, every column filled from a SQL expression of ``g`` or,
when none is given, from the field's own default (NULL, or an empty text)."""

from django.db import connection
from django.utils import timezone


def _default(field) -> tuple[str, list]:
    if field.has_default():
        if callable(field.default) and field.get_internal_type() == "DateTimeField":
            return "now()", []
        return "%s", [field.get_db_prep_save(field.get_default(), connection)]
    if field.null:
        return "NULL", []
    if field.get_internal_type() in ("CharField", "TextField", "SlugField", "EmailField"):
        return "''", []
    if field.get_internal_type() == "DateTimeField":
        return "now()", []
    raise ValueError(f"{field.model.__name__}.{field.name} needs a value")


def insert_series(model, count: int, values: dict[str, str]) -> None:
    """``values`` maps a column to a SQL expression (of ``g``, 1 … count; write ``mod(g, n)``, not
    ``%``, which is the parameters' marker); the rest get defaults."""
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.column in values:
            expressions.append(values[field.column])
        else:
            expression, extra = _default(field)
            expressions.append(expression)
            params += extra
    unknown = set(values) - {field.column for field in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column {', '.join(sorted(unknown))}")
    # Test data only: the table, columns and expressions are written in the tests, never typed by anyone.
    sql = (
        f'INSERT INTO "{model._meta.db_table}" ({", ".join(columns)}) '  # noqa: S608
        f"SELECT {', '.join(expressions)} FROM generate_series(1, {int(count)}) AS g"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Fresh statistics, so that the next table's foreign-key checks (plans this connection
        # cached while the table was small, as a sequential scan) are planned again: without
        # this, inserting 100k rows that refer to it can scan it once per row (minutes).
        cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def today_sql() -> str:
    """The clinic's today as a SQL date literal (the selectors compute dates in its time zone)."""
    return f"DATE '{timezone.localdate().isoformat()}'"
