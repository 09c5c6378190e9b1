from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import body_schema, params
from pixie.api.responses import JSON
from pixie.api.schemas import CreateStatusRequest, Status
from pixie.convert import statuses as convert
from pixie.errors import NotFound
from pixie.infra.runtime import Runtime
from pixie.services import statuses

router = APIRouter(tags=["statuses"])
STATUS_ID = Path(description="A status id")


def _status_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or int(raw) >= 2**63:
        raise NotFound()
    return int(raw)


@router.post(
    "/api/v1/statuses",
    response_model=Status,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(CreateStatusRequest),
    summary="Publish a status",
)
async def create_status(
    request: Request,
    caller: Caller = Depends(Auth("write:statuses")),
    req: CreateStatusRequest = Depends(params(CreateStatusRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    assert caller.principal is not None
    in_reply_to = _status_id(req.in_reply_to_id) if req.in_reply_to_id else None
    view = await statuses.create(
        rt,
        caller.account_id,
        statuses.NewStatus(
            text=req.status or "",
            spoiler_text=req.spoiler_text or "",
            sensitive=req.sensitive,
            visibility=req.visibility,
            language=req.language,
            in_reply_to_id=in_reply_to,
            media_ids=[int(m) for m in req.media_ids if m.isascii() and m.isdigit()],
        ),
        application_id=caller.principal.application_id,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    return JSON(convert.status(rt.settings, view))


@router.get(
    "/api/v1/statuses/{status_id}",
    response_model=Status,
    responses=errors(404),
    summary="A status the caller may see",
)
async def get_status(
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    viewer = caller.principal.account_id if caller.principal else None
    return JSON(convert.status(rt.settings, await statuses.get(rt, _status_id(status_id), viewer)))


@router.delete(
    "/api/v1/statuses/{status_id}",
    response_model=Status,
    responses=errors(401, 403, 404, 422),
    summary="Delete one's own status; answers it with its source text, for redrafting",
)
async def delete_status(
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("write:statuses")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await statuses.delete(rt, _status_id(status_id), caller.account_id)
    entity: dict[str, Any] = convert.status(rt.settings, view, with_source=True)
    return JSON(entity)
