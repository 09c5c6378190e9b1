from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON, RawJSON
from pixie.api.schemas import (
    Empty,
    Markers,
    MarkersQuery,
    MarkersRequest,
    Notification,
    NotificationFilterQuery,
    UnreadCount,
    UnreadCountQuery,
    as_id,
)
from pixie.convert import notifications as convert
from pixie.errors import Invalid
from pixie.infra.runtime import Runtime
from pixie.services import markers, notifications

router = APIRouter(tags=["notifications"])
NOTIFICATION_ID = Path(description="A notification id")


class NotificationsQuery(PageQuery, NotificationFilterQuery):
    pass


def filters_of(query: NotificationFilterQuery) -> notifications.Filters:
    return notifications.Filters(
        query.type_names(), query.excluded(), query.from_account(), include_filtered=query.include_filtered
    )


@router.get(
    "/api/v1/notifications",
    response_model=list[Notification],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(NotificationsQuery),
    summary="The signed-in account's notifications, newest first (Link header for more)",
)
async def all_notifications(
    request: Request,
    caller: Caller = Depends(Auth("read:notifications")),
    query: NotificationsQuery = Depends(params(NotificationsQuery)),
    rt: Runtime = Depends(runtime),
) -> RawJSON:
    found = await notifications.page_state_of(rt, caller.account_id, query.paging(most=80), filters_of(query))
    body, ids = await convert.notifications_page(rt, found)
    return RawJSON(body, headers=link_header(rt.settings, request, ids))


@router.get(
    "/api/v1/notifications/unread_count",
    response_model=UnreadCount,
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(UnreadCountQuery),
    summary="How many notifications are newer than the notifications marker (at most limit)",
)
async def unread_count(
    caller: Caller = Depends(Auth("read:notifications")),
    query: UnreadCountQuery = Depends(params(UnreadCountQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    count = await notifications.unread_count(
        rt, caller.account_id, filters_of(query), most=min(query.limit, 1000)
    )
    return JSON({"count": count})


@router.post(
    "/api/v1/notifications/clear",
    response_model=Empty,
    responses=errors(401, 403, 422),
    summary="Dismiss every notification",
)
async def clear(
    caller: Caller = Depends(Auth("write:notifications")), rt: Runtime = Depends(runtime)
) -> JSON:
    await notifications.clear(rt, caller.account_id)
    return JSON({})


@router.get(
    "/api/v1/notifications/{notification_id}",
    response_model=Notification,
    responses=errors(401, 403, 404, 422),
    summary="One notification",
)
async def one_notification(
    notification_id: str = NOTIFICATION_ID,
    caller: Caller = Depends(Auth("read:notifications")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await notifications.get(rt, caller.account_id, parse_id(notification_id))
    return JSON(convert.notification(rt.settings, view))


@router.post(
    "/api/v1/notifications/{notification_id}/dismiss",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Dismiss one notification",
)
async def dismiss(
    notification_id: str = NOTIFICATION_ID,
    caller: Caller = Depends(Auth("write:notifications")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    await notifications.dismiss(rt, caller.account_id, parse_id(notification_id))
    return JSON({})


@router.get(
    "/api/v1/markers",
    response_model=Markers,
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(MarkersQuery),
    summary="How far the signed-in account has read its home timeline and notifications",
)
async def get_markers(
    caller: Caller = Depends(Auth("read:statuses")),
    query: MarkersQuery = Depends(params(MarkersQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert.markers(await markers.markers(rt, caller.account_id, query.timelines())))


@router.post(
    "/api/v1/markers",
    response_model=Markers,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(MarkersRequest),
    summary="Save how far the signed-in account has read (home[last_read_id], notifications[last_read_id])",
)
async def save_markers(
    caller: Caller = Depends(Auth("write:statuses")),
    req: MarkersRequest = Depends(params(MarkersRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    positions: dict[str, int] = {}
    for timeline, position in (("home", req.home), ("notifications", req.notifications)):
        if position is not None:
            found = as_id(position.last_read_id)
            if found is None:
                raise Invalid("Validation failed: Last read id is not an id")
            positions[timeline] = found
    return JSON(convert.markers(await markers.save_markers(rt, caller.account_id, positions)))
