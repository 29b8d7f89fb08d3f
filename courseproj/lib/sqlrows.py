"""Model instances from rows that plain SQL read, converted as the ORM converts them.

For the reads every request makes (the session's user, the access check), where building the ORM
query costs more than running it. The database's and the fields' converters still apply (SQLite
returns naive datetimes and 0/1 for booleans; a field with `from_db_value` converts its own).
"""

from __future__ import annotations

import functools

from django.db import connection


def columns(model, alias: str) -> list[str]:
    """The model's concrete columns as `alias`."column"`, in field order."""
    quote = connection.ops.quote_name
    return [f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields]


@functools.cache
def _converted(model, vendor: str) -> tuple[tuple[int, object, object], ...]:
    """(index, field, column expression) of the fields whose values need converting here."""
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        if connection.ops.get_db_converters(col) + field.get_db_converters(connection):
            found.append((index, field, col))
    return tuple(found)


def instance(model, values):
    """`model` from its concrete fields' values in field order, as a query would have made it."""
    values = list(values)
    for index, field, col in _converted(model, connection.vendor):
        for convert in connection.ops.get_db_converters(col) + field.get_db_converters(connection):
            values[index] = convert(values[index], col, connection)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], values)
