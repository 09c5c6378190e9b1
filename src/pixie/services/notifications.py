"""Reading notifications: pages, groups, unread counts and markers. They are written by
``notifying``; the rules that keep one from being written (blocks, mutes, visibility) apply
again here, so a later block, mute or deletion hides earlier ones too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Select,
    String,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from pixie.db.idlist import one_of_names_param, one_of_param
from pixie.db.prepared import Prepared
from pixie.errors import NotFound
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.notifications import Marker, Notification
from pixie.models.statuses import Status
from pixie.services import filters as custom_filters  # the reader's own (Filters here: by type)
from pixie.services import page_state, status_views
from pixie.services.notifying import GROUPED_TYPES, TYPES
from pixie.services.page_state import PageState
from pixie.services.paging import Paging, Shape, apply_shape
from pixie.services.visibility import active_mute, blocked_between, visible_to

SAMPLE_ACCOUNTS = 8
MAX_PAGE = 80


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    types: list[str] | None = None  # None: every type
    exclude_types: list[str] | None = None
    from_account_id: int | None = None
    include_filtered: bool = False  # those the recipient's policy held back, too

    def wanted(self) -> list[str]:
        wanted = [t for t in TYPES if t in self.types] if self.types else list(TYPES)
        return [t for t in wanted if t not in (self.exclude_types or [])]


def _rule(
    recipient: Any, *, wanted: Any = None, from_account: Any = None, include_filtered: bool = False
) -> list[Any]:
    """What a recipient's notifications must satisfy to be shown (and counted). ``recipient``
    and ``from_account`` are ids or bound parameters; ``wanted``, a condition on the type."""
    conditions: list[Any] = [
        Notification.account_id == recipient,
        exists(
            select(Account.id).where(
                Account.id == Notification.from_account_id, Account.suspended_at.is_(None)
            )
        ),
        or_(
            Notification.from_account_id == recipient,
            ~blocked_between(recipient, Notification.from_account_id),
        ),
        ~active_mute(recipient, Notification.from_account_id, notifications=True),
        or_(
            Notification.status_id.is_(None),
            exists(select(Status.id).where(Status.id == Notification.status_id, visible_to(recipient))),
        ),
    ]
    if not include_filtered:
        conditions.append(Notification.filtered.is_(False))
    if wanted is not None:
        conditions.append(wanted)
    if from_account is not None:
        conditions.append(Notification.from_account_id == from_account)
    return conditions


def _shown(recipient_id: int, filters: Filters | None = None) -> list[Any]:
    if filters is None:
        return _rule(recipient_id)
    return _rule(
        recipient_id,
        wanted=Notification.type.in_(filters.wanted()),
        from_account=filters.from_account_id,
        include_filtered=filters.include_filtered,
    )


@dataclass(frozen=True)
class NotificationView:
    notification: Notification
    account: Account
    status: status_views.StatusView | None


async def _screened(
    session: AsyncSession, status_ids: list[int], viewer_id: int
) -> dict[int, status_views.StatusView]:
    """The statuses of notifications, through the recipient's filters: a notification about a
    post a ``hide`` filter drops is not shown either."""
    loaded = await status_views.views_by_id(session, status_ids, viewer_id)
    kept = await custom_filters.apply(session, viewer_id, "notifications", list(loaded.values()))
    return {v.status.id: v for v in kept}


async def _views(session: AsyncSession, found: list[Notification], viewer_id: int) -> list[NotificationView]:
    if not found:
        return []
    accounts = {
        a.id: a
        for a in await session.scalars(
            select(Account).where(Account.id.in_({n.from_account_id for n in found}))
        )
    }
    loaded = await _screened(session, [n.status_id for n in found if n.status_id is not None], viewer_id)
    views = []
    for n in found:
        status = loaded.get(n.status_id) if n.status_id is not None else None
        if n.from_account_id in accounts and (n.status_id is None or status is not None):
            views.append(NotificationView(n, accounts[n.from_account_id], status))
    return views


async def page(rt: Runtime, recipient_id: int, paging: Paging, filters: Filters) -> list[NotificationView]:
    """The recipient's notifications, newest first."""
    query = select(Notification).where(*_shown(recipient_id, filters))
    async with rt.db.read() as session:
        found = list(await session.scalars(paging.apply(query, Notification.id, most=MAX_PAGE)))
        return await _views(session, paging.newest_first(found), recipient_id)


@cache
def _statuses_statement() -> Prepared:
    """The statuses of a page of notifications (``ids``), with the recipient's marks on them."""
    viewer: Any = bindparam("viewer", type_=BigInteger)
    page = select(Status).where(one_of_param(Status.id, "ids"), visible_to(viewer))
    return Prepared(page_state.statement(page, viewer))


async def _statuses_state(
    rt: Runtime, connection: AsyncConnection, recipient_id: int, status_ids: list[int]
) -> PageState:
    """The statuses of notifications as a ``PageState``, through the recipient's filters: a
    notification about a post a ``hide`` filter drops is not shown either."""
    if not status_ids:
        return PageState(recipient_id, [], {})
    bound = {"ids": list(dict.fromkeys(status_ids)), "viewer": recipient_id}
    state = page_state.read_rows(recipient_id, await _statuses_statement().rows(connection, bound))
    if state.has_filters:
        async with rt.db.read() as session:
            await custom_filters.screen_page(session, state, "notifications")
    return state


class NotificationRow(NamedTuple):
    """What a Notification entity shows of its row."""

    id: int
    type: str
    group_key: str | None
    created_at: datetime
    from_account_id: int
    status_id: int | None


@dataclass(frozen=True)
class NotificationsState:
    """A page of notifications to render: the notifications, their statuses with the
    recipient's marks, and the accounts they come from."""

    notifications: list[NotificationRow]
    statuses: PageState
    account_ids: list[int]


def _filters_rule(recipient: Any, from_account: bool, include_filtered: bool) -> list[Any]:
    """The rule with every value a bound parameter: ``recipient``, ``types`` (wanted) and
    ``from_account`` (when filtered by it)."""
    return _rule(
        recipient,
        wanted=one_of_names_param(Notification.type, "types"),
        from_account=bindparam("from_account", type_=BigInteger) if from_account else None,
        include_filtered=include_filtered,
    )


def _filters_bound(recipient_id: int, filters: Filters) -> dict[str, Any]:
    bound: dict[str, Any] = {"recipient": recipient_id, "types": filters.wanted()}
    if filters.from_account_id is not None:
        bound["from_account"] = filters.from_account_id
    return bound


@cache
def _page_statement(from_account: bool, include_filtered: bool, shape: Shape) -> Prepared:
    recipient: Any = bindparam("recipient", type_=BigInteger)
    page = select(*(getattr(Notification, name) for name in NotificationRow._fields)).where(
        *_filters_rule(recipient, from_account, include_filtered)
    )
    return Prepared(apply_shape(page, Notification.id, shape))


async def page_state_of(
    rt: Runtime, recipient_id: int, paging: Paging, filters: Filters
) -> NotificationsState:
    """``page`` as a ``NotificationsState``, for renderings kept between requests."""
    statement = _page_statement(filters.from_account_id is not None, filters.include_filtered, paging.shape)
    bound = _filters_bound(recipient_id, filters) | paging.bound(most=MAX_PAGE)
    async with rt.db.read_connection(generic_plans=True) as connection:
        rows = await statement.rows(connection, bound)
        found = paging.newest_first([NotificationRow(*row) for row in rows])
        with_status = [n.status_id for n in found if n.status_id is not None]
        state = await _statuses_state(rt, connection, recipient_id, with_status)
    kept = set(state.ids)
    shown = [n for n in found if n.status_id is None or n.status_id in kept]
    return NotificationsState(shown, state, list(dict.fromkeys(n.from_account_id for n in shown)))


async def get(rt: Runtime, recipient_id: int, notification_id: int) -> NotificationView:
    async with rt.db.read() as session:
        found = await session.scalar(
            # By its id, a notification the policy held back is found too (its request shows it).
            select(Notification).where(
                Notification.id == notification_id, *_shown(recipient_id, Filters(include_filtered=True))
            )
        )
        views = await _views(session, [found] if found is not None else [], recipient_id)
    if not views:
        raise NotFound()
    return views[0]


async def dismiss(rt: Runtime, recipient_id: int, notification_id: int) -> None:
    async with rt.write() as session:
        removed = await session.execute(
            delete(Notification).where(
                Notification.id == notification_id, Notification.account_id == recipient_id
            )
        )
        if not removed.rowcount:  # type: ignore[attr-defined]
            raise NotFound()


async def clear(rt: Runtime, recipient_id: int) -> None:
    async with rt.write() as session:
        await session.execute(delete(Notification).where(Notification.account_id == recipient_id))


async def _read_up_to(session: AsyncSession, account_id: int) -> int:
    marker = await session.get(Marker, (account_id, "notifications"))
    return marker.last_read_id if marker is not None else 0


async def unread_count(
    rt: Runtime,
    recipient_id: int,
    filters: Filters,
    *,
    most: int,
    grouped_types: list[str] | None = None,
) -> int:
    """Notifications newer than the notifications marker, up to ``most``; with ``grouped_types``
    (the v2 count), groups of them."""
    async with rt.db.read() as session:
        since = await _read_up_to(session, recipient_id)
        conditions = [*_shown(recipient_id, filters), Notification.id > since]
        if grouped_types is None:
            inner = select(Notification.id).where(*conditions).limit(most).subquery()
        else:
            key = _key(grouped_types)
            inner = select(key).where(*conditions).group_by(key).limit(most).subquery()
        return int(await session.scalar(select(func.count()).select_from(inner)) or 0)


# --- groups (/api/v2/notifications) ------------------------------------------------------------


def _key(grouped_types: list[str]) -> Any:
    """The group of a notification, where only ``grouped_types`` may group."""
    allowed = [t for t in GROUPED_TYPES if t in grouped_types]
    ungrouped = literal("ungrouped-") + cast(Notification.id, String)
    if not allowed:
        return ungrouped
    return case((Notification.type.in_(allowed), Notification.group_key), else_=ungrouped)


@dataclass(frozen=True)
class Group:
    key: str
    type: str
    count: int
    most_recent_id: int
    page_min_id: int
    page_max_id: int
    latest_at: datetime
    sample_account_ids: list[int]
    status_id: int | None


@dataclass(frozen=True)
class GroupedPage:
    groups: list[Group]
    accounts: list[Account]
    statuses: list[status_views.StatusView]
    cursors: list[int]  # the newest notification of each group, for the Link header


def parse_grouped_types(raw: list[str] | None) -> list[str]:
    return list(GROUPED_TYPES) if raw is None else [t for t in raw if t in GROUPED_TYPES]


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _group_statements(conditions: list[Any], key: Any, among: Any) -> tuple[Select[Any], Select[Any]]:
    """The rows behind groups (``among`` selects which): each group's count, bounds, type and
    status; and its accounts, newest first (enough of them to sample distinct ones)."""
    rows = (
        select(
            key,
            func.count(),
            func.max(Notification.id),
            func.min(Notification.id),
            func.max(Notification.created_at),
            func.min(Notification.type),
            func.max(Notification.status_id),
        )
        .where(*conditions, among)
        .group_by(key)
    )
    numbered = (
        select(
            key.label("k"),
            Notification.from_account_id.label("a"),
            func.row_number().over(partition_by=key, order_by=Notification.id.desc()).label("n"),
        )
        .where(*conditions, among)
        .subquery()
    )
    samples = (
        select(numbered.c.k, numbered.c.a).where(numbered.c.n <= SAMPLE_ACCOUNTS * 4).order_by(numbered.c.n)
    )
    return rows, samples


def _assemble(
    keys: list[str], rows: Sequence[Sequence[Any]], sampled: Sequence[Sequence[Any]]
) -> list[Group]:
    samples: dict[str, list[int]] = {}
    for group_key, account_id in sampled:
        sample = samples.setdefault(group_key, [])
        if account_id not in sample and len(sample) < SAMPLE_ACCOUNTS:
            sample.append(account_id)
    groups = {
        row[0]: Group(
            key=row[0],
            type=row[5],
            count=int(row[1]),
            most_recent_id=int(row[2]),
            page_min_id=int(row[3]),
            page_max_id=int(row[2]),
            latest_at=_moment(row[4]),
            sample_account_ids=samples.get(row[0], []),
            status_id=row[6],
        )
        for row in rows
    }
    return [groups[k] for k in keys if k in groups]


async def _groups(
    session: AsyncSession, recipient_id: int, key: Any, keys: list[str], filters: Filters | None = None
) -> list[Group]:
    """The groups ``keys``, whole: counted, bounded and sampled (the newest accounts first)."""
    if not keys:
        return []
    rows, samples = _group_statements(_shown(recipient_id, filters), key, key.in_(keys))
    return _assemble(keys, (await session.execute(rows)).all(), (await session.execute(samples)).all())


async def _grouped_result(
    session: AsyncSession, recipient_id: int, groups: list[Group], cursors: list[int]
) -> GroupedPage:
    account_ids = {a for g in groups for a in g.sample_account_ids}
    accounts = (
        list(await session.scalars(select(Account).where(Account.id.in_(account_ids)))) if account_ids else []
    )
    found = await _screened(session, [g.status_id for g in groups if g.status_id is not None], recipient_id)
    kept = [g for g in groups if g.status_id is None or g.status_id in found]
    return GroupedPage(
        kept, accounts, [found[i] for i in dict.fromkeys(g.status_id for g in kept) if i in found], cursors
    )


async def grouped_page(
    rt: Runtime, recipient_id: int, paging: Paging, filters: Filters, grouped_types: list[str]
) -> GroupedPage:
    """A page of groups, newest first. A group stands where its newest notification stands and
    is shown once, whole: the cursors are those newest notifications."""
    async with rt.db.read() as session:
        groups, cursors = await _pick_groups(session, recipient_id, paging, filters, grouped_types)
        return await _grouped_result(session, recipient_id, groups, cursors)


async def _pick_groups(
    session: AsyncSession, recipient_id: int, paging: Paging, filters: Filters, grouped_types: list[str]
) -> tuple[list[Group], list[int]]:
    """The page's groups, whole, and their newest notifications (the page's cursors)."""
    key = _key(grouped_types)
    newest = func.max(Notification.id)
    query = select(key, newest).where(*_shown(recipient_id, filters)).group_by(key)
    if paging.max_id is not None:
        query = query.having(newest < paging.max_id)
    if paging.since_id is not None:
        query = query.having(newest > paging.since_id)
    if paging.min_id is not None:
        query = query.having(newest > paging.min_id).order_by(newest.asc())
    else:
        query = query.order_by(newest.desc())
    picked = list((await session.execute(query.limit(min(max(paging.limit, 1), MAX_PAGE)))).all())
    picked = paging.newest_first(picked)
    if not picked:
        return [], []
    groups = await _groups(session, recipient_id, key, [row[0] for row in picked], filters)
    return groups, [int(row[1]) for row in picked]


@dataclass(frozen=True)
class GroupedState:
    """A page of groups to render: the groups, their statuses with the recipient's marks, and
    the groups' sample accounts."""

    groups: list[Group]
    statuses: PageState
    account_ids: list[int]
    cursors: list[int]


@cache
def _groups_page_statement(from_account: bool, include_filtered: bool, shape: Shape) -> Prepared:
    """A page of groups as one statement built once: the notifications shown (the rule read
    once), the groups picked by their newest notification, each group's row, and its newest
    accounts. Bound: ``recipient``, ``types`` (wanted), ``grouped`` (the types that group),
    ``from_account`` and the paging bounds. Rows: ("group", key, count, newest, oldest,
    latest time, type, status, newest) and ("sample", key, account, rank)."""
    conditions = _filters_rule(bindparam("recipient", type_=BigInteger), from_account, include_filtered)
    ungrouped = literal("ungrouped-") + cast(Notification.id, String)
    key = case((one_of_names_param(Notification.type, "grouped"), Notification.group_key), else_=ungrouped)
    shown = (
        select(
            Notification.id,
            Notification.type,
            Notification.from_account_id,
            Notification.status_id,
            Notification.created_at,
            key.label("k"),
        )
        .where(*conditions)
        .cte("shown")
    )
    newest = func.max(shown.c.id)
    picked = select(shown.c.k, newest.label("newest")).group_by(shown.c.k)
    chosen = apply_shape(picked, newest, shape, grouped=True).cte("picked")
    groups = (
        select(
            literal("group", String),
            shown.c.k,
            func.count(),
            func.max(shown.c.id),
            func.min(shown.c.id),
            func.max(shown.c.created_at),
            func.min(shown.c.type),
            func.max(shown.c.status_id),
            chosen.c.newest,
        )
        .join(chosen, chosen.c.k == shown.c.k)
        .group_by(shown.c.k, chosen.c.newest)
    )
    numbered = (
        select(
            shown.c.k,
            shown.c.from_account_id.label("a"),
            func.row_number().over(partition_by=shown.c.k, order_by=shown.c.id.desc()).label("n"),
        )
        .where(shown.c.k.in_(select(chosen.c.k)))
        .subquery()
    )
    kinds = (BigInteger(), Notification.created_at.type, String(), BigInteger(), BigInteger())
    nothing = [null().cast(t) for t in kinds]
    samples = select(literal("sample", String), numbered.c.k, numbered.c.a, numbered.c.n, *nothing).where(
        numbered.c.n <= SAMPLE_ACCOUNTS * 4
    )
    return Prepared(union_all(groups, samples))


async def grouped_state(
    rt: Runtime, recipient_id: int, paging: Paging, filters: Filters, grouped_types: list[str]
) -> GroupedState:
    """``grouped_page`` as a ``GroupedState``, for renderings kept between requests."""
    statement = _groups_page_statement(
        filters.from_account_id is not None, filters.include_filtered, paging.shape
    )
    bound = _filters_bound(recipient_id, filters) | paging.bound(most=MAX_PAGE)
    bound["grouped"] = [t for t in GROUPED_TYPES if t in grouped_types]
    async with rt.db.read_connection(generic_plans=True) as connection:
        found = await statement.rows(connection, bound)
        rows = sorted((r[1:] for r in found if r[0] == "group"), key=lambda r: r[7], reverse=True)
        if not rows:
            return GroupedState([], PageState(recipient_id, [], {}), [], [])
        sampled = sorted((r[1:4] for r in found if r[0] == "sample"), key=lambda r: r[2])
        keys = [r[0] for r in rows]
        groups = _assemble(keys, rows, [(k, a) for k, a, _ in sampled])
        with_status = [g.status_id for g in groups if g.status_id is not None]
        state = await _statuses_state(rt, connection, recipient_id, with_status)
    kept_ids = set(state.ids)
    kept = [g for g in groups if g.status_id is None or g.status_id in kept_ids]
    accounts = list(dict.fromkeys(a for g in kept for a in g.sample_account_ids))
    return GroupedState(kept, state, accounts, [int(r[7]) for r in rows])


def _group_filter(group_key: str) -> Any:
    """A group by its key; ``ungrouped-<id>`` also names one notification of a grouped type."""
    if group_key.startswith("ungrouped-"):
        raw = group_key.removeprefix("ungrouped-")
        if raw.isascii() and raw.isdigit() and int(raw) < 2**63:
            return or_(Notification.group_key == group_key, Notification.id == int(raw))
    return Notification.group_key == group_key


async def group(rt: Runtime, recipient_id: int, group_key: str) -> GroupedPage:
    async with rt.db.read() as session:
        key = case((_group_filter(group_key), literal(group_key)), else_=Notification.group_key)
        groups = await _groups(session, recipient_id, key, [group_key])
        result = await _grouped_result(session, recipient_id, groups, [])
    if not result.groups:
        raise NotFound()
    return result


async def group_accounts(rt: Runtime, recipient_id: int, group_key: str, *, most: int = 200) -> list[Account]:
    """Every account of a group, newest first."""
    async with rt.db.read() as session:
        ids = list(
            await session.scalars(
                select(Notification.from_account_id)
                .where(*_shown(recipient_id), _group_filter(group_key))
                .order_by(Notification.id.desc())
                .limit(most * 4)
            )
        )
        if not ids:
            raise NotFound()
        by_id = {a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(set(ids))))}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id][:most]


async def dismiss_group(rt: Runtime, recipient_id: int, group_key: str) -> None:
    async with rt.write() as session:
        await session.execute(
            delete(Notification).where(Notification.account_id == recipient_id, _group_filter(group_key))
        )
