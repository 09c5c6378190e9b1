"""Hashtags compare by one Unicode case fold on both databases; the migration that brought the
folded name merges the spellings that were separate tags before."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from pixie.db.migrate import upgrade
from pixie.models.accounts import Account
from pixie.models.statuses import Status, StatusTag, Tag
from pixie.models.tag_follows import FollowedTag
from tests.conftest import Backend
from tests.db.test_search_index import _downgrade, fresh_database

BEFORE_FOLDING = "0012"


async def test_the_migration_merges_tags_that_fold_alike(tmp_path: Path, backend: Backend) -> None:
    async with fresh_database(tmp_path, backend) as db:
        await upgrade(db)
        await _downgrade(db, BEFORE_FOLDING)
        async with db.write() as session:
            author = Account(username="early")
            session.add(author)
            await session.flush()
            posts = [
                Status(account_id=author.id, text=t, content=t) for t in ("#Straße", "#STRASSE", "#Cats")
            ]
            session.add_all(posts)
            await session.flush()
            # Only the columns tags had at that revision; lower() tells these two spellings apart.
            for tag_id, name in ((1, "Straße"), (2, "STRASSE"), (3, "Cats")):
                await session.execute(
                    text("INSERT INTO tags (id, name, created_at) VALUES (:i, :n, :c)"),
                    {"i": tag_id, "n": name, "c": author.created_at},
                )
            session.add_all(
                [
                    StatusTag(status_id=posts[0].id, tag_id=1),
                    StatusTag(status_id=posts[1].id, tag_id=2),
                    StatusTag(status_id=posts[2].id, tag_id=3),
                    FollowedTag(account_id=author.id, tag_id=2),
                ]
            )
        await upgrade(db)
        async with db.read() as session:
            tags = {t.id: (t.name, t.folded) for t in await session.scalars(select(Tag))}
            assert tags == {1: ("Straße", "strasse"), 3: ("Cats", "cats")}
            tagged = set(await session.scalars(select(StatusTag.status_id).where(StatusTag.tag_id == 1)))
            assert tagged == {posts[0].id, posts[1].id}
            assert list(await session.scalars(select(FollowedTag.tag_id))) == [1]
