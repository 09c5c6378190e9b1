"""Mastodon's paging: max_id, since_id, min_id and limit over a time-sortable id column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import BigInteger, Integer, Select, bindparam
from sqlalchemy.orm import InstrumentedAttribute

Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class Paging:
    max_id: int | None = None  # older than this
    since_id: int | None = None  # newer than this (the newest page)
    min_id: int | None = None  # newer than this (the page right after it)
    limit: int = 40

    def apply(self, query: Select[*Ts], column: InstrumentedAttribute[int], *, most: int) -> Select[*Ts]:
        """Filters and orders ``query``; min_id pages are read oldest-first (see ``newest_first``)."""
        if self.max_id is not None:
            query = query.where(column < self.max_id)
        if self.since_id is not None:
            query = query.where(column > self.since_id)
        if self.min_id is not None:
            query = query.where(column > self.min_id).order_by(column.asc())
        else:
            query = query.order_by(column.desc())
        return query.limit(min(max(self.limit, 1), most))

    def newest_first(self, rows: list[Any]) -> list[Any]:
        return rows[::-1] if self.min_id is not None else rows

    # Statements built once and kept (the hot read path) take the cursors as bound parameters:
    # ``shape`` says which the statement has, ``bound`` gives their values.
    @property
    def shape(self) -> Shape:
        return (self.max_id is not None, self.since_id is not None, self.min_id is not None)

    def bound(self, *, most: int) -> dict[str, int]:
        values = {"max_id": self.max_id, "since_id": self.since_id, "min_id": self.min_id}
        return {k: v for k, v in values.items() if v is not None} | {"limit": min(max(self.limit, 1), most)}


Shape = tuple[bool, bool, bool]


def apply_shape(
    query: Select[*Ts], column: InstrumentedAttribute[int] | Any, shape: Shape, *, grouped: bool = False
) -> Select[*Ts]:
    """``Paging.apply`` with bound parameters, for a statement of this shape kept for reuse.
    ``grouped``: ``column`` is an aggregate of the groups (the bounds go in HAVING)."""
    has_max, has_since, has_min = shape
    bound = query.having if grouped else query.where
    conditions = []
    if has_max:
        conditions.append(column < bindparam("max_id", type_=BigInteger))
    if has_since:
        conditions.append(column > bindparam("since_id", type_=BigInteger))
    if has_min:
        conditions.append(column > bindparam("min_id", type_=BigInteger))
    query = bound(*conditions) if conditions else query
    query = query.order_by(column.asc() if has_min else column.desc())
    return query.limit(bindparam("limit", type_=Integer))
