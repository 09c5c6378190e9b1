"""Editing a status, and the history of its versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete as delete_rows
from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.types import utcnow
from pixie.errors import Forbidden, Invalid
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.polls import Poll
from pixie.models.statuses import Mention, Status, StatusEdit, StatusTag
from pixie.services import events, media, notifying, statuses
from pixie.services.status_views import (
    StatusView,
    views_of,
    visible_status,
)


@dataclass(frozen=True)
class StatusChanges:
    """What PUT /api/v1/statuses/:id may change; None leaves a field as it is."""

    text: str | None = None
    spoiler_text: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    media_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Version:
    """One entry of a post's edit history (Mastodon's StatusEdit)."""

    account: Account
    content: str
    spoiler_text: str
    sensitive: bool
    created_at: datetime
    poll_options: list[str] | None


def _snapshot(status: Status, poll: Poll | None, at: datetime) -> StatusEdit:
    return StatusEdit(
        status_id=status.id,
        account_id=status.account_id,
        text=status.text,
        content=status.content,
        spoiler_text=status.spoiler_text,
        sensitive=status.sensitive,
        language=status.language,
        poll_options=list(poll.options) if poll is not None else None,
        created_at=at,
    )


async def edit(rt: Runtime, account_id: int, status_id: int, changes: StatusChanges) -> StatusView:
    """Edits the author's own post: text (mentions and hashtags parsed again), content warning,
    sensitivity and language. The first edit keeps the original version too; a request that
    changes nothing records no version. Someone else's post is 403 when the caller can see it
    and 404 when it cannot, as on Mastodon."""
    async with rt.write() as session:
        status = await visible_status(session, status_id, account_id)
        if status.account_id != account_id or status.reblog_of_id is not None:
            raise Forbidden("This action is not allowed")
        current = [m.id for m in (await media.of_statuses(session, [status.id])).get(status.id, [])]
        # Clients send the post's images again with every edit; changing them is not possible yet.
        if changes.media_ids and changes.media_ids != current:
            raise Invalid("The images of a post cannot be changed by an edit yet; delete and redraft it")
        body = status.text if changes.text is None else changes.text
        spoiler_text = status.spoiler_text if changes.spoiler_text is None else changes.spoiler_text
        statuses.check_text(rt.settings, body, spoiler_text, has_media=bool(current))
        sensitive = status.sensitive
        if changes.sensitive is not None or changes.spoiler_text is not None:
            sensitive = bool(changes.sensitive) or bool(spoiler_text)
        language = changes.language or status.language
        if (body, spoiler_text, sensitive, language) == (
            status.text,
            status.spoiler_text,
            status.sensitive,
            status.language,
        ):
            return (await views_of(session, [status], account_id))[0]
        now = utcnow()
        poll = await session.scalar(select(Poll).where(Poll.status_id == status.id))
        if (
            await session.scalar(select(StatusEdit.id).where(StatusEdit.status_id == status.id).limit(1))
            is None
        ):
            session.add(_snapshot(status, poll, status.created_at))
        added: list[int] = []
        if body != status.text:
            rendered = await statuses.render_text(session, rt.settings, body)
            added = await _mention_again(session, status.id, [a.id for a in rendered.mentioned])
            await session.execute(delete_rows(StatusTag).where(StatusTag.status_id == status.id))
            for tag in rendered.tags:
                session.add(StatusTag(status_id=status.id, tag_id=tag.id))
            status.text = body
            status.content = rendered.content
        status.spoiler_text = spoiler_text
        status.sensitive = sensitive
        status.language = language
        status.edited_at = now
        session.add(_snapshot(status, poll, now))
        await session.flush()
        for recipient_id in added:
            await notifying.notify(
                session, "mention", recipient_id=recipient_id, from_account_id=account_id, status_id=status.id
            )
        # Those who reblogged the post hear that it changed under their name (Mastodon's "update").
        for reblogger_id in set(
            await session.scalars(
                select(Status.account_id).where(Status.reblog_of_id == status.id, Status.deleted_at.is_(None))
            )
        ):
            await notifying.notify(
                session, "update", recipient_id=reblogger_id, from_account_id=account_id, status_id=status.id
            )
        record(
            session, events.StatusUpdated(status_id=status.id, account_id=account_id, added_mention_ids=added)
        )
        await session.flush()
        return (await views_of(session, [status], account_id))[0]


async def _mention_again(session: AsyncSession, status_id: int, mentioned: list[int]) -> list[int]:
    """Brings a post's mentions in line with its new text; returns the accounts mentioned for the
    first time. A mention the edit took out stays, silent: whoever could see the post still can
    (as on Mastodon), but it is no longer shown."""
    earlier = dict(
        (
            await session.execute(
                select(Mention.account_id, Mention.silent).where(Mention.status_id == status_id)
            )
        ).all()
    )
    wanted = set(mentioned)
    for account_id in wanted - earlier.keys():
        session.add(Mention(status_id=status_id, account_id=account_id))
    await session.execute(
        update(Mention)
        .where(Mention.status_id == status_id, Mention.account_id.in_(wanted))
        .values(silent=False)
    )
    await session.execute(
        update(Mention)
        .where(Mention.status_id == status_id, Mention.account_id.not_in(wanted))
        .values(silent=True)
    )
    return [a for a in mentioned if a not in earlier]


async def history(rt: Runtime, status_id: int, viewer_id: int | None) -> list[Version]:
    """Every version of a status the viewer may see, oldest first; a post never edited has one."""
    async with rt.db.read() as session:
        status = await visible_status(session, status_id, viewer_id)
        author = await session.get(Account, status.account_id)
        assert author is not None
        edits = list(
            await session.scalars(
                select(StatusEdit).where(StatusEdit.status_id == status.id).order_by(StatusEdit.id)
            )
        )
        if not edits:
            poll = await session.scalar(select(Poll).where(Poll.status_id == status.id))
            edits = [_snapshot(status, poll, status.edited_at or status.created_at)]
    return [
        Version(author, e.content, e.spoiler_text, e.sensitive, e.created_at, e.poll_options) for e in edits
    ]
