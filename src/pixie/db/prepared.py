"""Statements of the hot read path, compiled once and run on the driver's own connection.

SQLAlchemy computes a statement's cache key on every execution by walking the whole statement;
for the home timeline's page (the home rule, the viewer's marks: some thirty subqueries) that
walk and the parameter handling around it cost more than PostgreSQL spends running the query.
A ``Prepared`` statement is compiled once per dialect; on PostgreSQL its SQL text goes to
asyncpg as is (asyncpg keeps it prepared per connection), with the parameters put in order and
through their types' bind processing as SQLAlchemy would. Elsewhere (SQLite), and for any
statement whose SQL still depends on its values, it runs through SQLAlchemy unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Compiled, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection


class Prepared:
    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[Compiled, list[tuple[str, Callable[[Any], Any] | None]]] | None] = {}

    def _compile(
        self, dialect: Dialect
    ) -> tuple[Compiled, list[tuple[str, Callable[[Any], Any] | None]]] | None:
        if dialect.name not in self._compiled:
            compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            order = compiled.positiontup
            if dialect.name != "postgresql" or not order or "__[POSTCOMPILE" in compiled.string:
                self._compiled[dialect.name] = None
            else:
                processors = compiled._bind_processors
                self._compiled[dialect.name] = (compiled, [(name, processors.get(name)) for name in order])
        return self._compiled[dialect.name]

    async def rows(self, connection: AsyncConnection, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        """The statement's rows as tuples, with ``params`` for its bound parameters."""
        prepared = self._compile(connection.dialect)
        if prepared is None:
            return list(await connection.execute(self.statement, params))
        compiled, order = prepared
        values = compiled.construct_params(params) or {}
        args = [values[name] if process is None else process(values[name]) for name, process in order]
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        return await driver.fetch(compiled.string, *args)  # type: ignore[no-any-return]
