"""The full-text index of statuses: SQLite's FTS5 on embedded defaults, PostgreSQL's full-text search
(a tsvector per status under a GIN index, the 'simple' configuration, so every language is split
into words the same way and none is stemmed) in production.

The index holds one document per status (its content warning, text and image descriptions) and
answers which statuses match a query, with a rank; who may find what is decided by the caller's
SQL around it. Its table is made by migration 0008, outside the ORM's tables.

Queries are never handed to a search syntax as the user typed them: ``parse_query`` reads words,
"quoted phrases" and -exclusions, and each index writes them in its own syntax with every term
quoted, so no input (``"``, ``*``, ``(``, ``NEAR``, ``OR``, ``:``) is an error or an operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import BigInteger, Float, Subquery, text
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.engine import Database

MAX_TERMS = 16
# Quotation marks that keyboards and phones type for '"'.
_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\uff02", '"'))
_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Query:
    """What a search asks for: every ``include`` phrase, and none of the ``exclude`` ones."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()


def parse_query(raw: str) -> Query | None:
    """Words and "quoted phrases" must all appear; a leading '-' excludes one. Terms without a
    letter or digit in them (punctuation alone) are dropped. None when nothing is left to find."""
    include: list[str] = []
    exclude: list[str] = []
    for match in _TERM.finditer(raw.translate(_QUOTES)):
        negated, phrase, word = match.group(1), match.group(2), match.group(3)
        if word is not None:
            negated = "-" if word.startswith("-") and len(word) > 1 else ""
            phrase = word[1:] if negated else word
        phrase = " ".join(phrase.replace('"', " ").split())
        if not _WORD.search(phrase):
            continue
        (exclude if negated else include).append(phrase)
    if not include:
        return None
    return Query(tuple(dict.fromkeys(include))[:MAX_TERMS], tuple(dict.fromkeys(exclude))[:MAX_TERMS])


class SearchIndex(Protocol):
    async def put(self, session: AsyncSession, status_id: int, document: str) -> None:
        """Adds a status's document, or replaces the one it had."""
        ...

    async def remove(self, session: AsyncSession, status_id: int) -> None: ...

    def matches(self, query: Query) -> Subquery:
        """The matching statuses as a subquery with ``status_id`` and ``rank`` (best first when
        ordered ascending)."""
        ...


class Fts5Index:
    """SQLite: an FTS5 table whose rowid is the status id (unicode61 words, diacritics folded)."""

    @staticmethod
    def expression(query: Query) -> str:
        def quoted(phrase: str) -> str:
            return '"' + phrase.replace('"', '""') + '"'

        found = "(" + " AND ".join(quoted(p) for p in query.include) + ")"
        return found + "".join(f" NOT {quoted(p)}" for p in query.exclude)

    async def put(self, session: AsyncSession, status_id: int, document: str) -> None:
        await self.remove(session, status_id)
        await session.execute(
            text("INSERT INTO status_search (rowid, document) VALUES (:id, :document)"),
            {"id": status_id, "document": document},
        )

    async def remove(self, session: AsyncSession, status_id: int) -> None:
        await session.execute(text("DELETE FROM status_search WHERE rowid = :id"), {"id": status_id})

    def matches(self, query: Query) -> Subquery:
        return (
            text(
                "SELECT rowid AS status_id, bm25(status_search) AS rank"
                " FROM status_search WHERE status_search MATCH :expression"
            )
            .bindparams(expression=self.expression(query))
            .columns(status_id=BigInteger, rank=Float)
            .subquery("matches")
        )


class PostgresIndex:
    """PostgreSQL: a tsvector per status under a GIN index, queried with websearch_to_tsquery,
    which never fails on what it is given; every term reaches it quoted."""

    @staticmethod
    def expression(query: Query) -> str:
        found = " ".join(f'"{p}"' for p in query.include)
        return found + "".join(f' -"{p}"' for p in query.exclude)

    async def put(self, session: AsyncSession, status_id: int, document: str) -> None:
        await session.execute(
            text(
                "INSERT INTO status_search (status_id, document)"
                " VALUES (:id, to_tsvector('simple', :document))"
                " ON CONFLICT (status_id) DO UPDATE SET document = excluded.document"
            ),
            {"id": status_id, "document": document},
        )

    async def remove(self, session: AsyncSession, status_id: int) -> None:
        await session.execute(text("DELETE FROM status_search WHERE status_id = :id"), {"id": status_id})

    def matches(self, query: Query) -> Subquery:
        return (
            text(
                "SELECT status_search.status_id AS status_id,"
                " -ts_rank(status_search.document, q.query) AS rank"
                " FROM status_search, websearch_to_tsquery('simple', :expression) AS q(query)"
                " WHERE status_search.document @@ q.query"
            )
            .bindparams(expression=self.expression(query))
            .columns(status_id=BigInteger, rank=Float)
            .subquery("matches")
        )


def search_index_for(db: Database) -> SearchIndex:
    return Fts5Index() if db.is_sqlite else PostgresIndex()
