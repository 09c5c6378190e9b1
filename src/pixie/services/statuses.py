"""Posting, reading and deleting statuses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import delete as delete_rows
from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.config import Settings
from pixie.db.ids import new_id
from pixie.db.types import utcnow
from pixie.errors import Invalid, NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.follows import Follow
from pixie.models.media import MediaAttachment
from pixie.models.reactions import StatusPin
from pixie.models.statuses import VISIBILITIES, Mention, Status, StatusTag, Tag
from pixie.services import conversations, events, filters, generations, media, notifying, polls, text
from pixie.services.status_views import StatusView, of_new, views_of
from pixie.services.visibility import visible_to

MAX_SPOILER = 500
MAX_IDEMPOTENCY_KEY = 128


@dataclass(frozen=True)
class NewStatus:
    text: str = ""
    spoiler_text: str = ""
    sensitive: bool | None = None
    visibility: str | None = None
    language: str | None = None
    in_reply_to_id: int | None = None
    media_ids: list[int] = field(default_factory=list)
    poll: polls.NewPoll | None = None
    # For a post made from a generation: hide its prompt from others (None: the account's default),
    # and allow or forbid remixes (None: the account's default, read when someone remixes).
    hide_prompt: bool | None = None
    allow_remix: bool | None = None


async def _tags(session: AsyncSession, names: list[str]) -> list[Tag]:
    found = []
    for name in names:
        tag = await session.scalar(select(Tag).where(Tag.folded == text.fold_hashtag(name)))
        if tag is None:
            # Another post may create the same tag at the same moment: the unique index on the
            # folded name then fails this insert, and create() tries the whole post again.
            tag = Tag(name=name, folded=text.fold_hashtag(name))
            session.add(tag)
            await session.flush()
        found.append(tag)
    return found


async def _by_idempotency_key(rt: Runtime, account_id: int, key: str) -> StatusView | None:
    async with rt.db.read() as session:
        earlier = await session.scalar(
            select(Status).where(Status.account_id == account_id, Status.idempotency_key == key)
        )
        return (await views_of(session, [earlier], account_id))[0] if earlier is not None else None


def check(settings: Settings, new: NewStatus) -> NewStatus:
    """A new post as it will be written (its poll checked), or Invalid; nothing is read or written."""
    if len(set(new.media_ids)) > settings.max_media_attachments:
        raise Invalid(f"Validation failed: A post may have at most {settings.max_media_attachments} images")
    check_text(settings, new.text, new.spoiler_text, has_media=bool(new.media_ids))
    if new.visibility is not None and new.visibility not in VISIBILITIES:
        raise Invalid("Validation failed: Visibility must be public, unlisted, private or direct")
    if new.poll is not None:
        return replace(new, poll=polls.check(settings, new.poll))
    return new


def check_text(settings: Settings, body: str, spoiler_text: str, *, has_media: bool = False) -> None:
    if not body.strip() and not has_media:
        raise Invalid("Validation failed: Text can't be blank")
    if text.length(body, spoiler_text) > settings.max_characters:
        raise Invalid(f"Validation failed: Text character limit of {settings.max_characters} exceeded")
    if len(spoiler_text) > MAX_SPOILER:
        raise Invalid("Validation failed: Content warning is too long")


async def create(
    rt: Runtime,
    account_id: int,
    new: NewStatus,
    *,
    application_id: int | None = None,
    idempotency_key: str | None = None,
) -> StatusView:
    new = check(rt.settings, new)
    if idempotency_key is not None and len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise Invalid("The Idempotency-Key header is too long")
    # The same request sent again (a retry after a lost answer) gets the same post.
    if idempotency_key and (earlier := await _by_idempotency_key(rt, account_id, idempotency_key)):
        return earlier
    try:
        return await _insert(rt, account_id, new, application_id, idempotency_key)
    except IntegrityError:
        # A twin request with the same Idempotency-Key won the race, or another post created one
        # of the same new hashtags at the same moment: the second try finds what the first made.
        if idempotency_key and (earlier := await _by_idempotency_key(rt, account_id, idempotency_key)):
            return earlier
        return await _insert(rt, account_id, new, application_id, idempotency_key)


async def _insert(
    rt: Runtime,
    account_id: int,
    new: NewStatus,
    application_id: int | None,
    idempotency_key: str | None,
) -> StatusView:
    async with rt.write() as session:
        written = await insert(session, rt.settings, account_id, new, application_id, idempotency_key)
        return await of_new(
            session,
            written.status,
            written.author,
            written.mentioned,
            written.tags,
            written.media,
            has_poll=new.poll is not None,
        )


@dataclass(frozen=True)
class RenderedText:
    content: str
    mentioned: list[Account]
    tags: list[Tag]


async def render_text(session: AsyncSession, settings: Settings, body: str) -> RenderedText:
    """A post's HTML, the local accounts it mentions and its hashtags (created when new)."""
    parsed = text.parse(body)
    local = [
        name
        for name, domain in parsed.mentions
        if domain is None or domain.lower() == settings.domain.lower()
    ]
    mentioned = (
        list(
            await session.scalars(
                select(Account).where(
                    func.lower(Account.username).in_([n.lower() for n in local]),
                    Account.suspended_at.is_(None),
                )
            )
        )
        if local
        else []
    )
    by_name = {a.username.lower(): a for a in mentioned}
    content = text.render(
        body,
        mention_url=lambda name: (
            settings.url(f"/@{by_name[name.lower()].username}") if name.lower() in by_name else None
        ),
        tag_url=lambda name: settings.url(f"/tags/{name.lower()}"),
    )
    return RenderedText(content, mentioned, await _tags(session, parsed.hashtags))


@dataclass(frozen=True)
class Written:
    """A post just written, with what it was written with (for rendering it at once)."""

    status: Status
    author: Account  # with its counters as this post left them
    mentioned: list[Account]
    tags: list[Tag]
    media: list[MediaAttachment]


async def insert(
    session: AsyncSession,
    settings: Settings,
    account_id: int,
    new: NewStatus,
    application_id: int | None = None,
    idempotency_key: str | None = None,
) -> Written:
    """Writes a checked post (see ``check``) in the caller's transaction, with its mentions, tags,
    poll, counters and ``status.created`` event: the one way a post comes to be, whether it is
    published at once or when its scheduled time comes."""
    user = await session.scalar(select(User).where(User.account_id == account_id))
    reply_to = None
    if new.in_reply_to_id is not None:
        reply_to = await session.scalar(
            select(Status).where(Status.id == new.in_reply_to_id, visible_to(account_id))
        )
        if reply_to is not None and reply_to.reblog_of_id is not None:
            # A reply to a reblog answers the original.
            reply_to = await session.scalar(
                select(Status).where(Status.id == reply_to.reblog_of_id, visible_to(account_id))
            )
        if reply_to is None:
            raise NotFound("The post you reply to was not found")
    rendered = await render_text(session, settings, new.text)
    visibility = new.visibility or (user.default_visibility if user else "public")
    if visibility == "direct":
        await conversations.check_recipients(session, account_id, [a.id for a in rendered.mentioned])
    status_id = new_id()
    status = Status(
        id=status_id,
        account_id=account_id,
        text=new.text,
        content=rendered.content,
        spoiler_text=new.spoiler_text,
        sensitive=bool(new.sensitive)
        if new.sensitive is not None
        else bool(user and user.default_sensitive) or bool(new.spoiler_text),
        visibility=visibility,
        language=new.language or (user.default_language if user else None),
        in_reply_to_id=reply_to.id if reply_to else None,
        in_reply_to_account_id=reply_to.account_id if reply_to else None,
        conversation_id=(reply_to.conversation_id or reply_to.id) if reply_to else status_id,
        application_id=application_id,
        idempotency_key=idempotency_key or None,
        hide_prompt=new.hide_prompt if new.hide_prompt is not None else bool(user and user.hide_prompt),
        allow_remix=new.allow_remix,
    )
    session.add(status)
    await session.flush()
    attached = await media.attach(session, settings, account_id, new.media_ids, status.id)
    await generations.record_choice(session, status, attached)
    for account in rendered.mentioned:
        session.add(Mention(status_id=status.id, account_id=account.id))
    for tag in rendered.tags:
        session.add(StatusTag(status_id=status.id, tag_id=tag.id))
    if visibility == "direct":
        await session.flush()
        await conversations.add_message(session, status, [a.id for a in rendered.mentioned])
    now = utcnow()
    if new.poll is not None:
        polls.attach(session, status, new.poll, now)
    if reply_to is not None:
        await session.execute(
            update(Status).where(Status.id == reply_to.id).values(replies_count=Status.replies_count + 1)
        )
    await session.flush()
    # A reply notifies the author replied to as a mention does, whether named or not.
    told = dict.fromkeys([a.id for a in rendered.mentioned] + ([reply_to.account_id] if reply_to else []))
    for recipient_id in told:
        await notifying.notify(
            session, "mention", recipient_id=recipient_id, from_account_id=account_id, status_id=status.id
        )
    if reply_to is None or reply_to.account_id == account_id:
        # Followers who asked to hear of every new post (Mastodon leaves out replies to others).
        for follower_id in await session.scalars(
            select(Follow.account_id).where(Follow.target_account_id == account_id, Follow.notify.is_(True))
        ):
            if follower_id not in told:
                await notifying.notify(
                    session,
                    "status",
                    recipient_id=follower_id,
                    from_account_id=account_id,
                    status_id=status.id,
                )
    record(
        session,
        events.StatusCreated(
            status_id=status.id,
            account_id=account_id,
            visibility=status.visibility,
            in_reply_to_id=status.in_reply_to_id,
            remix_of_id=status.remix_of_id,
        ),
    )
    # Last, so that the author's row is locked for as short a time as can be: one author's
    # posts at the same moment wait on it for each other.
    author = (
        await session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(statuses_count=Account.statuses_count + 1, last_status_at=now)
            .returning(Account)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return Written(status, author, rendered.mentioned, rendered.tags, attached)


async def get(rt: Runtime, status_id: int, viewer_id: int | None) -> StatusView:
    """A status the viewer may see; 404 otherwise, whether it exists or not."""
    async with rt.db.read() as session:
        status = await session.scalar(select(Status).where(Status.id == status_id, visible_to(viewer_id)))
        if status is None:
            raise NotFound()
        # On its own, a status carries every filter it matches and is never dropped.
        return (await filters.apply(session, viewer_id, None, await views_of(session, [status], viewer_id)))[
            0
        ]


async def delete(rt: Runtime, status_id: int, account_id: int) -> StatusView:
    """Deletes the author's own post, keeping a tombstone, and takes its reblogs and pin away;
    answers it with its source (for redraft). Deleting a reblog is taking the reblog back."""
    async with rt.write() as session:
        status = await session.scalar(
            select(Status).where(
                Status.id == status_id, Status.account_id == account_id, Status.deleted_at.is_(None)
            )
        )
        if status is None:
            raise NotFound()
        view = (await views_of(session, [status], account_id))[0]
        if status.reblog_of_id is not None:
            await remove_reblog(session, status)
            return view
        status.deleted_at = utcnow()
        if status.visibility == "direct":
            await session.flush()
            await conversations.message_deleted(session, status)
        await media.detach_from(session, status.id)
        await count_statuses(session, account_id, -1)
        if status.in_reply_to_id is not None:
            await session.execute(
                update(Status)
                .where(Status.id == status.in_reply_to_id, Status.replies_count > 0)
                .values(replies_count=Status.replies_count - 1)
            )
        reblogs = await session.execute(
            delete_rows(Status)
            .where(Status.reblog_of_id == status.id)
            .returning(Status.id, Status.account_id)
            .execution_options(synchronize_session=False)
        )
        for reblog_id, rebloggers_id in reblogs.all():
            await count_statuses(session, rebloggers_id, -1)
            record(session, events.StatusDeleted(status_id=reblog_id, account_id=rebloggers_id))
        await session.execute(delete_rows(StatusPin).where(StatusPin.status_id == status.id))
        record(
            session,
            events.StatusDeleted(
                status_id=status.id, account_id=account_id, in_reply_to_id=status.in_reply_to_id
            ),
        )
    return view


async def count_statuses(session: AsyncSession, account_id: int, delta: int) -> None:
    query = update(Account).where(Account.id == account_id)
    if delta < 0:
        query = query.where(Account.statuses_count > 0)
    await session.execute(query.values(statuses_count=Account.statuses_count + delta))


MAX_BATCH = 20


async def many(rt: Runtime, ids: list[int], viewer_id: int | None) -> list[StatusView]:
    """Several statuses at once, in the order asked, leaving out those the viewer may not see."""
    async with rt.db.read() as session:
        found = {
            s.id: s
            for s in await session.scalars(
                select(Status).where(Status.id.in_(ids[:MAX_BATCH]), visible_to(viewer_id))
            )
        }
        views = await views_of(
            session, [found[i] for i in dict.fromkeys(ids[:MAX_BATCH]) if i in found], viewer_id
        )
        return await filters.apply(session, viewer_id, None, views)


async def remove_reblog(session: AsyncSession, wrapper: Status) -> None:
    assert wrapper.reblog_of_id is not None
    gone = await session.execute(
        delete_rows(Status).where(Status.id == wrapper.id).execution_options(synchronize_session=False)
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        return
    await count_statuses(session, wrapper.account_id, -1)
    await session.execute(
        update(Status)
        .where(Status.id == wrapper.reblog_of_id, Status.reblogs_count > 0)
        .values(reblogs_count=Status.reblogs_count - 1)
    )
    await notifying.withdraw(
        session,
        "reblog",
        recipient_id=await session.scalar(select(Status.account_id).where(Status.id == wrapper.reblog_of_id))
        or 0,
        from_account_id=wrapper.account_id,
        status_id=wrapper.reblog_of_id,
    )
    record(
        session,
        events.StatusUnreblogged(
            status_id=wrapper.id, account_id=wrapper.account_id, reblog_of_id=wrapper.reblog_of_id
        ),
    )
