"""Filters: an account's own rules for posts it would rather not see (Mastodon's filters v2, and
the v1 API on top of them), and their application to every timeline, thread, notification list
and live stream.

Where a post is shown in a context (home, notifications, public, thread, account) a filter of
that context that matches it either drops it (``hide``) or marks it (``warn``, ``blur``): the
Status then carries ``filtered``. A status fetched on its own carries the matches of every
context and is never dropped (clients decide, as on Mastodon). Changing a filter records
``filters.changed``, which live streams pass on as ``filters_changed``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.idlist import one_of
from pixie.db.types import utcnow
from pixie.errors import Invalid, NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.filters import Filter, FilterKeyword, FilterStatus
from pixie.models.media import MediaAttachment
from pixie.models.statuses import Status
from pixie.services import events
from pixie.services.filter_rules import ACTIONS, CONTEXTS, FilterView, Screen, hides
from pixie.services.page_state import PageState
from pixie.services.status_views import StatusView, views_of, visible_status

MAX_FILTERS = 100
MAX_KEYWORDS = 200  # per filter
MAX_TITLE = 256
MAX_KEYWORD = 512


@dataclass(frozen=True)
class KeywordChange:
    """A keyword to add (no ``id``), change or remove (``destroy``)."""

    id: int | None = None
    keyword: str | None = None
    whole_word: bool | None = None
    destroy: bool = False


@dataclass(frozen=True)
class FilterChanges:
    """What creating or updating a filter sets; None leaves a value as it is (on update)."""

    title: str | None = None
    context: list[str] | None = None
    action: str | None = None
    expires_in: int | None = None  # seconds; 0 or less: never
    expires: bool = False  # whether ``expires_in`` was given at all (null clears the expiry)
    keywords: Sequence[KeywordChange] = ()


def _check(changes: FilterChanges, *, creating: bool) -> None:
    if creating or changes.title is not None:
        if not (changes.title or "").strip():
            raise Invalid("Validation failed: Title can't be blank")
        if len(changes.title or "") > MAX_TITLE:
            raise Invalid(f"Validation failed: Title is too long (maximum is {MAX_TITLE} characters)")
    if creating or changes.context is not None:
        if not changes.context:
            raise Invalid("Validation failed: Context can't be blank")
        if any(c not in CONTEXTS for c in changes.context):
            raise Invalid("Validation failed: Context includes invalid values")
    if changes.action is not None and changes.action not in ACTIONS:
        raise Invalid("Validation failed: Filter action is not included in the list")
    for k in changes.keywords:
        if not k.destroy and k.id is None and not (k.keyword or "").strip():
            raise Invalid("Validation failed: Keywords keyword can't be blank")
        if k.keyword is not None and len(k.keyword) > MAX_KEYWORD:
            raise Invalid(f"Validation failed: Keyword is too long (maximum is {MAX_KEYWORD} characters)")


def _expiry(changes: FilterChanges) -> datetime | None:
    if changes.expires_in is None or changes.expires_in <= 0:
        return None
    return utcnow() + timedelta(seconds=min(changes.expires_in, 10 * 365 * 86400))


async def _views(session: AsyncSession, found: list[Filter]) -> list[FilterView]:
    ids = [f.id for f in found]
    keywords: dict[int, list[FilterKeyword]] = {}
    statuses: dict[int, list[FilterStatus]] = {}
    if ids:
        for k in await session.scalars(
            select(FilterKeyword).where(one_of(FilterKeyword.filter_id, ids)).order_by(FilterKeyword.id)
        ):
            keywords.setdefault(k.filter_id, []).append(k)
        for s in await session.scalars(
            select(FilterStatus).where(one_of(FilterStatus.filter_id, ids)).order_by(FilterStatus.id)
        ):
            statuses.setdefault(s.filter_id, []).append(s)
    return [FilterView(f, keywords.get(f.id, []), statuses.get(f.id, [])) for f in found]


async def _own(session: AsyncSession, account_id: int, filter_id: int) -> Filter:
    found = await session.scalar(
        select(Filter).where(Filter.id == filter_id, Filter.account_id == account_id)
    )
    if found is None:
        raise NotFound()
    return found


def _changed(session: AsyncSession, account_id: int) -> None:
    record(session, events.FiltersChanged(account_id=account_id))


async def all_of(rt: Runtime, account_id: int) -> list[FilterView]:
    async with rt.db.read() as session:
        found = list(
            await session.scalars(select(Filter).where(Filter.account_id == account_id).order_by(Filter.id))
        )
        return await _views(session, found)


async def get(rt: Runtime, account_id: int, filter_id: int) -> FilterView:
    async with rt.db.read() as session:
        return (await _views(session, [await _own(session, account_id, filter_id)]))[0]


async def _apply_keywords(session: AsyncSession, found: Filter, keywords: Sequence[KeywordChange]) -> None:
    for k in keywords:
        if k.id is not None:
            row = await session.scalar(
                select(FilterKeyword).where(FilterKeyword.id == k.id, FilterKeyword.filter_id == found.id)
            )
            if row is None:
                raise NotFound()
            if k.destroy:
                await session.delete(row)
                continue
            if k.keyword is not None:
                row.keyword = k.keyword.strip()
            if k.whole_word is not None:
                row.whole_word = k.whole_word
        elif not k.destroy:
            session.add(
                FilterKeyword(
                    filter_id=found.id,
                    keyword=(k.keyword or "").strip(),
                    whole_word=True if k.whole_word is None else k.whole_word,
                )
            )
    await session.flush()
    count = await session.scalar(select(func.count()).where(FilterKeyword.filter_id == found.id))
    if (count or 0) > MAX_KEYWORDS:
        raise Invalid(f"Validation failed: A filter has at most {MAX_KEYWORDS} keywords")


async def create(rt: Runtime, account_id: int, changes: FilterChanges) -> FilterView:
    _check(changes, creating=True)
    async with rt.write() as session:
        count = await session.scalar(select(func.count()).where(Filter.account_id == account_id))
        if (count or 0) >= MAX_FILTERS:
            raise Invalid(f"Validation failed: An account has at most {MAX_FILTERS} filters")
        found = Filter(
            account_id=account_id,
            title=(changes.title or "").strip(),
            contexts=list(dict.fromkeys(changes.context or [])),
            action=changes.action or "warn",
            expires_at=_expiry(changes),
        )
        session.add(found)
        await session.flush()
        await _apply_keywords(session, found, changes.keywords)
        _changed(session, account_id)
        filter_id = found.id
    return await get(rt, account_id, filter_id)


async def update(rt: Runtime, account_id: int, filter_id: int, changes: FilterChanges) -> FilterView:
    _check(changes, creating=False)
    async with rt.write() as session:
        found = await _own(session, account_id, filter_id)
        if changes.title is not None:
            found.title = changes.title.strip()
        if changes.context is not None:
            found.contexts = list(dict.fromkeys(changes.context))
        if changes.action is not None:
            found.action = changes.action
        if changes.expires:
            found.expires_at = _expiry(changes)
        found.updated_at = utcnow()
        await _apply_keywords(session, found, changes.keywords)
        _changed(session, account_id)
    return await get(rt, account_id, filter_id)


async def remove(rt: Runtime, account_id: int, filter_id: int) -> None:
    async with rt.write() as session:
        found = await _own(session, account_id, filter_id)
        await session.delete(found)
        _changed(session, account_id)


# --- one keyword or post at a time ----------------------------------------------------------------


async def _keyword(session: AsyncSession, account_id: int, keyword_id: int) -> FilterKeyword:
    found = await session.scalar(
        select(FilterKeyword)
        .join(Filter, Filter.id == FilterKeyword.filter_id)
        .where(FilterKeyword.id == keyword_id, Filter.account_id == account_id)
    )
    if found is None:
        raise NotFound()
    return found


async def keywords_of(rt: Runtime, account_id: int, filter_id: int) -> list[FilterKeyword]:
    return (await get(rt, account_id, filter_id)).keywords


async def add_keyword(
    rt: Runtime, account_id: int, filter_id: int, keyword: str, whole_word: bool
) -> FilterKeyword:
    change = KeywordChange(keyword=keyword, whole_word=whole_word)
    _check(FilterChanges(keywords=[change]), creating=False)
    async with rt.write() as session:
        found = await _own(session, account_id, filter_id)
        await _apply_keywords(session, found, [change])
        _changed(session, account_id)
        added = await session.scalar(
            select(FilterKeyword)
            .where(FilterKeyword.filter_id == filter_id)
            .order_by(FilterKeyword.id.desc())
        )
        assert added is not None
        return added


async def get_keyword(rt: Runtime, account_id: int, keyword_id: int) -> FilterKeyword:
    async with rt.db.read() as session:
        return await _keyword(session, account_id, keyword_id)


async def update_keyword(
    rt: Runtime, account_id: int, keyword_id: int, keyword: str | None, whole_word: bool | None
) -> FilterKeyword:
    if keyword is not None and not keyword.strip():
        raise Invalid("Validation failed: Keyword can't be blank")
    _check(FilterChanges(keywords=[KeywordChange(id=keyword_id, keyword=keyword)]), creating=False)
    async with rt.write() as session:
        found = await _keyword(session, account_id, keyword_id)
        if keyword is not None:
            found.keyword = keyword.strip()
        if whole_word is not None:
            found.whole_word = whole_word
        _changed(session, account_id)
        return found


async def remove_keyword(rt: Runtime, account_id: int, keyword_id: int) -> None:
    async with rt.write() as session:
        await session.delete(await _keyword(session, account_id, keyword_id))
        _changed(session, account_id)


async def _filtered_status(session: AsyncSession, account_id: int, row_id: int) -> FilterStatus:
    found = await session.scalar(
        select(FilterStatus)
        .join(Filter, Filter.id == FilterStatus.filter_id)
        .where(FilterStatus.id == row_id, Filter.account_id == account_id)
    )
    if found is None:
        raise NotFound()
    return found


async def statuses_of(rt: Runtime, account_id: int, filter_id: int) -> list[FilterStatus]:
    return (await get(rt, account_id, filter_id)).statuses


async def add_status(rt: Runtime, account_id: int, filter_id: int, status_id: int) -> FilterStatus:
    """Filters one post the account may see (404 for one it may not)."""
    try:
        async with rt.write() as session:
            await _own(session, account_id, filter_id)
            await visible_status(session, status_id, account_id)
            row = FilterStatus(filter_id=filter_id, status_id=status_id)
            session.add(row)
            await session.flush()
            _changed(session, account_id)
            return row
    except IntegrityError:
        raise Invalid("Validation failed: Status has already been taken") from None


async def get_status(rt: Runtime, account_id: int, row_id: int) -> FilterStatus:
    async with rt.db.read() as session:
        return await _filtered_status(session, account_id, row_id)


async def remove_status(rt: Runtime, account_id: int, row_id: int) -> None:
    async with rt.write() as session:
        await session.execute(
            delete(FilterStatus).where(
                FilterStatus.id == (await _filtered_status(session, account_id, row_id)).id
            )
        )
        _changed(session, account_id)


# --- applying them --------------------------------------------------------------------------------


async def screens(
    session: AsyncSession, viewer_ids: Collection[int], context: str | None
) -> dict[int, Screen]:
    """Each viewer's filters for a context, in three queries for any number of viewers (those
    without filters are left out)."""
    if not viewer_ids:
        return {}
    found = list(await session.scalars(select(Filter).where(one_of(Filter.account_id, viewer_ids))))
    if not found:
        return {}
    now = utcnow()
    by_viewer: dict[int, list[FilterView]] = {}
    for view in await _views(session, found):
        by_viewer.setdefault(view.filter.account_id, []).append(view)
    out = {v: Screen(views, context, now) for v, views in by_viewer.items()}
    return {v: screen for v, screen in out.items() if screen}


async def descriptions(session: AsyncSession, status_ids: Collection[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for status_id, description in await session.execute(
        select(MediaAttachment.status_id, MediaAttachment.description).where(
            one_of(MediaAttachment.status_id, status_ids)
        )
    ):
        if description and status_id is not None:
            found.setdefault(status_id, []).append(description)
    return found


def text_of(view: StatusView, descriptions: dict[int, list[str]]) -> str:
    """What keywords are looked for in: the content warning, the text, the poll's choices and
    the images' descriptions (of the original, for a reblog)."""
    proper = view.reblog or view
    s = proper.status
    parts = [s.spoiler_text, s.text]
    if proper.poll is not None:
        parts += proper.poll.poll.options
    parts += descriptions.get(s.id, [])
    return "\n\n".join(p for p in parts if p)


def screen_views(
    screen: Screen, views: list[StatusView], descriptions: dict[int, list[str]], *, drop: bool
) -> list[StatusView]:
    out = []
    for view in views:
        ids = [view.status.id] + ([view.reblog.status.id] if view.reblog is not None else [])
        matches = screen.matches(ids, text_of(view, descriptions))
        if drop and hides(matches):
            continue
        out.append(replace(view, filtered=matches) if matches else view)
    return out


async def apply(
    session: AsyncSession, viewer_id: int | None, context: str | None, views: list[StatusView]
) -> list[StatusView]:
    """The views as the viewer's filters leave them in ``context``: hidden ones dropped, the
    others marked. With no context (a status on its own) nothing is dropped."""
    if viewer_id is None or not views:
        return views
    screen = (await screens(session, [viewer_id], context)).get(viewer_id)
    if screen is None:
        return views
    described = (
        await descriptions(session, {(v.reblog or v).status.id for v in views}) if screen.reads_text else {}
    )
    return screen_views(screen, views, described, drop=context is not None)


async def screen_page(session: AsyncSession, state: PageState, context: str | None) -> None:
    """Screens a page with the viewer's filters, when it keeps any: posts a filter hides leave
    the page (in a context), the others carry their matches."""
    if not state.has_filters or state.viewer_id is None or not state.posts:
        return
    found = {s.id: s for s in await session.scalars(select(Status).where(one_of(Status.id, state.ids)))}
    views = await views_of(session, [found[i] for i in state.ids if i in found], state.viewer_id)
    kept = {v.status.id: v.filtered for v in await apply(session, state.viewer_id, context, views)}
    state.posts = [p for p in state.posts if p.id in kept]
    state.filtered = {i: matches for i, matches in kept.items() if matches}


# --- the v1 API: one keyword per filter, its id the keyword's ---------------------------------------


@dataclass(frozen=True)
class PhraseFilter:
    """A v1 filter: a phrase (one keyword) of a v2 filter."""

    filter: FilterView
    keyword: FilterKeyword


async def phrases(rt: Runtime, account_id: int) -> list[PhraseFilter]:
    return [PhraseFilter(view, k) for view in await all_of(rt, account_id) for k in view.keywords]


async def phrase(rt: Runtime, account_id: int, keyword_id: int) -> PhraseFilter:
    async with rt.db.read() as session:
        keyword = await _keyword(session, account_id, keyword_id)
        view = (await _views(session, [await _own(session, account_id, keyword.filter_id)]))[0]
    return PhraseFilter(view, keyword)


async def add_phrase(
    rt: Runtime,
    account_id: int,
    text: str,
    context: list[str],
    *,
    irreversible: bool,
    whole_word: bool,
    expires_in: int | None,
) -> PhraseFilter:
    """A v1 filter: a v2 filter titled by its phrase, with that one keyword (hide when
    ``irreversible``)."""
    view = await create(
        rt,
        account_id,
        FilterChanges(
            title=text,
            context=context,
            action="hide" if irreversible else "warn",
            expires_in=expires_in,
            keywords=[KeywordChange(keyword=text, whole_word=whole_word)],
        ),
    )
    return PhraseFilter(view, view.keywords[0])


async def update_phrase(
    rt: Runtime,
    account_id: int,
    keyword_id: int,
    *,
    text: str | None,
    context: list[str] | None,
    irreversible: bool | None,
    whole_word: bool | None,
    expires_in: int | None,
    expires: bool,
) -> PhraseFilter:
    found = await phrase(rt, account_id, keyword_id)
    action = None if irreversible is None else ("hide" if irreversible else "warn")
    await update(
        rt,
        account_id,
        found.filter.filter.id,
        FilterChanges(
            context=context,
            action=action,
            expires_in=expires_in,
            expires=expires,
            keywords=[KeywordChange(id=keyword_id, keyword=text, whole_word=whole_word)],
        ),
    )
    return await phrase(rt, account_id, keyword_id)


async def remove_phrase(rt: Runtime, account_id: int, keyword_id: int) -> None:
    """Removes the phrase, and its filter when nothing else is left in it."""
    found = await phrase(rt, account_id, keyword_id)
    if len(found.filter.keywords) == 1 and not found.filter.statuses:
        await remove(rt, account_id, found.filter.filter.id)
    else:
        await remove_keyword(rt, account_id, keyword_id)
