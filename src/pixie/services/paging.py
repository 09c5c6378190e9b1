"""Mastodon's paging: max_id, since_id, min_id and limit over a time-sortable id column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVarTuple

from sqlalchemy import Select
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
