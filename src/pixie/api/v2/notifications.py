from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import params, query_schema
from pixie.api.responses import JSON, RawJSON
from pixie.api.schemas import (
    Account,
    Empty,
    GroupedNotificationsResults,
    GroupedUnreadCountQuery,
    NotificationFilterQuery,
    UnreadCount,
)
from pixie.api.v1.notifications import filters_of
from pixie.convert import accounts as convert_accounts
from pixie.convert import notifications as convert
from pixie.errors import BadRequest
from pixie.infra.runtime import Runtime
from pixie.services import notifications

router = APIRouter(tags=["notifications"])
GROUP_KEY = Path(description="A notification group's key", max_length=128)


class GroupedNotificationsQuery(PageQuery, NotificationFilterQuery):
    grouped_types: list[str] | str | None = Field(
        None, description="Only these types group (grouped_types[]=...)"
    )
    expand_accounts: str | None = Field(None, max_length=32, description="full or partial_avatars")

    def grouped(self) -> list[str] | None:
        if self.grouped_types is None:
            return None
        return [self.grouped_types] if isinstance(self.grouped_types, str) else self.grouped_types


def _key(group_key: str) -> str:
    if "\x00" in group_key:
        raise BadRequest("Parameters may not contain NUL characters")
    return group_key


@router.get(
    "/api/v2/notifications",
    response_model=GroupedNotificationsResults,
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(GroupedNotificationsQuery),
    summary="The signed-in account's notifications in groups, newest first (Link header for more)",
)
async def grouped_notifications(
    request: Request,
    caller: Caller = Depends(Auth("read:notifications")),
    query: GroupedNotificationsQuery = Depends(params(GroupedNotificationsQuery)),
    rt: Runtime = Depends(runtime),
) -> RawJSON:
    found = await notifications.grouped_state(
        rt,
        caller.account_id,
        query.paging(most=80),
        filters_of(query),
        notifications.parse_grouped_types(query.grouped()),
    )
    body = await convert.grouped_page(rt, found)
    return RawJSON(body, headers=link_header(rt.settings, request, found.cursors))


@router.get(
    "/api/v2/notifications/unread_count",
    response_model=UnreadCount,
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(GroupedUnreadCountQuery),
    summary="How many notification groups are newer than the notifications marker (at most limit)",
)
async def grouped_unread_count(
    caller: Caller = Depends(Auth("read:notifications")),
    query: GroupedUnreadCountQuery = Depends(params(GroupedUnreadCountQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    count = await notifications.unread_count(
        rt,
        caller.account_id,
        filters_of(query),
        most=min(query.limit, 1000),
        grouped_types=notifications.parse_grouped_types(query.grouped()),
    )
    return JSON({"count": count})


@router.get(
    "/api/v2/notifications/{group_key}",
    response_model=GroupedNotificationsResults,
    responses=errors(400, 401, 403, 404, 422),
    summary="One notification group",
)
async def one_group(
    group_key: str = GROUP_KEY,
    caller: Caller = Depends(Auth("read:notifications")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    page = await notifications.group(rt, caller.account_id, _key(group_key))
    return JSON(convert.grouped(rt.settings, page))


@router.get(
    "/api/v2/notifications/{group_key}/accounts",
    response_model=list[Account],
    responses=errors(400, 401, 403, 404, 422),
    summary="The accounts of every notification in a group, newest first",
)
async def group_accounts(
    group_key: str = GROUP_KEY,
    caller: Caller = Depends(Auth("read:notifications")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await notifications.group_accounts(rt, caller.account_id, _key(group_key))
    return JSON([convert_accounts.account(rt.settings, a) for a in found])


@router.post(
    "/api/v2/notifications/{group_key}/dismiss",
    response_model=Empty,
    responses=errors(400, 401, 403, 422),
    summary="Dismiss a notification group",
)
async def dismiss_group(
    group_key: str = GROUP_KEY,
    caller: Caller = Depends(Auth("write:notifications")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    await notifications.dismiss_group(rt, caller.account_id, _key(group_key))
    return JSON({})
