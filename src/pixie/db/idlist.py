"""``column IN (ids)`` with the whole list as one bound parameter.

SQLAlchemy's ``in_()`` expands a list into one parameter per value and re-renders the SQL on every
execution; for the 20-100 ids of a timeline page that costs more than running the query. Here the
list travels as one value: a ``BIGINT[]`` compared with ``= ANY`` on PostgreSQL, a JSON array read
with ``json_each`` on SQLite. The SQL text is then the same for every page and stays cached.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Dialect,
    ScalarSelect,
    Select,
    String,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine


class _Array(TypeDecorator[list[Any]]):
    """A list as one parameter: an array of ``items`` ("ids": BIGINT, "names": text) on
    PostgreSQL, a JSON array elsewhere."""

    impl = String
    cache_ok = True
    _ITEMS: dict[str, type[TypeEngine[Any]]] = {"ids": BigInteger, "names": String}

    def __init__(self, items: str) -> None:
        super().__init__()
        self.items = items

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(self._ITEMS[self.items]()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return json.dumps(value)


class _OneOf(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    # A comparison already: SQLite must not get "= 1" appended, which would hide it from indexes.
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], values: ColumnElement[Any]) -> None:
        self.column = column
        self.values = values


@compiles(_OneOf)
def _json_each(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    # Both parts are SQL the compiler rendered (a column and a bound parameter), never values.
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"  # noqa: S608


@compiles(_OneOf, "postgresql")
def _any(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.values, **kw)})"


def one_of(column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN ids`` as a single parameter (ids are integers: status, account, poll ids)."""
    return _OneOf(column, bindparam(None, [int(i) for i in ids], type_=_Array("ids")))


def one_of_param(column: Any, name: str) -> ColumnElement[bool]:
    """``column IN :name`` for a statement built once; the ids are given at execution."""
    return _OneOf(column, bindparam(name, type_=_Array("ids")))


def one_of_names_param(column: Any, name: str) -> ColumnElement[bool]:
    """``column IN :name`` for text (types, keys), the list given at execution."""
    return _OneOf(column, bindparam(name, type_=_Array("names")))


def joined_ids(query: Select[Any]) -> ScalarSelect[str | None]:
    """The ids of a one-column query as one comma-separated string (None when there are none):
    for the thousand followers of a post's author, one value crosses from the database instead
    of a thousand rows through the ORM, which cost more than the query."""
    rows = query.subquery()
    return select(joined(next(iter(rows.c)))).scalar_subquery()


def joined(column: Any) -> ColumnElement[str | None]:
    """The aggregate of ``joined_ids``, for a query that groups rows itself."""
    return func.aggregate_strings(cast(column, String), ",")  # type: ignore[return-value]


def split_ids(joined: str | None) -> list[int]:
    return [int(i) for i in joined.split(",")] if joined else []
