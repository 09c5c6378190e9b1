"""Notification requests (Mastodon 4.3): the notifications the policy held back, per sender,
under ``/api/v1/notifications/requests``, and the policy itself at ``/api/v2/notifications/policy``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import (
    Empty,
    Merged,
    NotificationPolicy,
    NotificationPolicyRequest,
    NotificationRequestEntity,
    RequestIdsRequest,
    as_id,
)
from pixie.convert import notifications as convert
from pixie.infra.runtime import Runtime
from pixie.services import notification_requests as requests

router = APIRouter(tags=["notifications"])
REQUEST_ID = Path(description="A notification request id")
READ = Auth("read:notifications")
WRITE = Auth("write:notifications")


@router.get(
    "/api/v2/notifications/policy",
    response_model=NotificationPolicy,
    responses=errors(401, 403, 422),
    summary="What happens to notifications from accounts of each kind, and what waits in requests",
)
async def get_policy(caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON(convert.policy(await requests.policy(rt, caller.account_id)))


@router.patch(
    "/api/v2/notifications/policy",
    response_model=NotificationPolicy,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(NotificationPolicyRequest),
    summary="Change the notification policy (each rule accept, filter or drop)",
)
async def update_policy(
    caller: Caller = Depends(WRITE),
    req: NotificationPolicyRequest = Depends(params(NotificationPolicyRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await requests.update_policy(rt, caller.account_id, req.model_dump())
    return JSON(convert.policy(view))


@router.get(
    "/api/v1/notifications/requests",
    response_model=list[NotificationRequestEntity],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="Senders whose notifications the policy held back, newest first",
)
async def all_requests(
    request: Request,
    caller: Caller = Depends(READ),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    views = await requests.page(rt, caller.account_id, query.paging(default_limit=40, most=80))
    return JSON(
        [convert.request(rt.settings, v) for v in views],
        headers=link_header(rt.settings, request, [v.request.id for v in views]),
    )


@router.get(
    "/api/v1/notifications/requests/merged",
    response_model=Merged,
    responses=errors(401, 403, 422),
    summary="Whether accepted requests have joined the notifications (at once, here)",
)
async def merged(_: Caller = Depends(READ)) -> JSON:
    return JSON({"merged": True})


def _ids(req: RequestIdsRequest) -> list[int]:
    return [i for i in (as_id(raw) for raw in req.ids()) if i is not None]


@router.post(
    "/api/v1/notifications/requests/accept",
    response_model=Empty,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(RequestIdsRequest),
    summary="Accept several requests (id[])",
)
async def accept_many(
    caller: Caller = Depends(WRITE),
    req: RequestIdsRequest = Depends(params(RequestIdsRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    await requests.accept(rt, caller.account_id, _ids(req))
    return JSON({})


@router.post(
    "/api/v1/notifications/requests/dismiss",
    response_model=Empty,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(RequestIdsRequest),
    summary="Dismiss several requests (id[]) and the notifications they held",
)
async def dismiss_many(
    caller: Caller = Depends(WRITE),
    req: RequestIdsRequest = Depends(params(RequestIdsRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    await requests.dismiss(rt, caller.account_id, _ids(req))
    return JSON({})


@router.get(
    "/api/v1/notifications/requests/{request_id}",
    response_model=NotificationRequestEntity,
    responses=errors(401, 403, 404, 422),
    summary="One notification request",
)
async def get_request(
    request_id: str = REQUEST_ID, caller: Caller = Depends(READ), rt: Runtime = Depends(runtime)
) -> JSON:
    return JSON(convert.request(rt.settings, await requests.get(rt, caller.account_id, parse_id(request_id))))


@router.post(
    "/api/v1/notifications/requests/{request_id}/accept",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Accept a request: its notifications join the others, and its sender is let through",
)
async def accept(
    request_id: str = REQUEST_ID, caller: Caller = Depends(WRITE), rt: Runtime = Depends(runtime)
) -> JSON:
    await requests.accept(rt, caller.account_id, [parse_id(request_id)], one=True)
    return JSON({})


@router.post(
    "/api/v1/notifications/requests/{request_id}/dismiss",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Dismiss a request and the notifications it held",
)
async def dismiss(
    request_id: str = REQUEST_ID, caller: Caller = Depends(WRITE), rt: Runtime = Depends(runtime)
) -> JSON:
    await requests.dismiss(rt, caller.account_id, [parse_id(request_id)], one=True)
    return JSON({})
