from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id, parse_time
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import RescheduleRequest, ScheduledStatus
from pixie.convert import scheduled as convert
from pixie.infra.runtime import Runtime
from pixie.services import scheduled

router = APIRouter(tags=["scheduled statuses"])
SCHEDULED_ID = Path(description="A scheduled status id")


@router.get(
    "/api/v1/scheduled_statuses",
    response_model=list[ScheduledStatus],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The caller's scheduled statuses, newest first",
)
async def list_scheduled(
    request: Request,
    caller: Caller = Depends(Auth("read:statuses")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    rows = await scheduled.listing(
        rt, caller.account_id, query.paging(default_limit=20, most=scheduled.MAX_PAGE)
    )
    return JSON(
        [convert.scheduled_status(r) for r in rows],
        headers=link_header(rt.settings, request, [r.id for r in rows]),
    )


@router.get(
    "/api/v1/scheduled_statuses/{scheduled_id}",
    response_model=ScheduledStatus,
    responses=errors(401, 403, 404, 422),
    summary="One of the caller's scheduled statuses",
)
async def get_scheduled(
    scheduled_id: str = SCHEDULED_ID,
    caller: Caller = Depends(Auth("read:statuses")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert.scheduled_status(await scheduled.get(rt, caller.account_id, parse_id(scheduled_id))))


@router.put(
    "/api/v1/scheduled_statuses/{scheduled_id}",
    response_model=ScheduledStatus,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(RescheduleRequest),
    summary="Move a scheduled status to another time (at least five minutes ahead)",
)
async def reschedule(
    scheduled_id: str = SCHEDULED_ID,
    caller: Caller = Depends(Auth("write:statuses")),
    req: RescheduleRequest = Depends(params(RescheduleRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    when = parse_time(req.scheduled_at, "scheduled_at") if req.scheduled_at else None
    row = await scheduled.reschedule(rt, caller.account_id, parse_id(scheduled_id), when)
    return JSON(convert.scheduled_status(row))


@router.delete(
    "/api/v1/scheduled_statuses/{scheduled_id}",
    response_model=dict[str, Any],
    responses=errors(401, 403, 404, 422),
    summary="Cancel a scheduled status",
)
async def cancel_scheduled(
    scheduled_id: str = SCHEDULED_ID,
    caller: Caller = Depends(Auth("write:statuses")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    await scheduled.cancel(rt, caller.account_id, parse_id(scheduled_id))
    return JSON({})
