from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import body_schema, params
from pixie.api.responses import JSON
from pixie.api.schemas import Poll, VoteRequest
from pixie.convert import polls as convert
from pixie.infra.runtime import Runtime
from pixie.services import polls

router = APIRouter(tags=["polls"])
POLL_ID = Path(description="A poll id")


@router.get(
    "/api/v1/polls/{poll_id}",
    response_model=Poll,
    responses=errors(401, 403, 404, 422),
    summary="A poll, as far as the caller may see its status",
)
async def get_poll(
    poll_id: str = POLL_ID,
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert.poll(await polls.get(rt, parse_id(poll_id), caller.viewer_id)))


@router.post(
    "/api/v1/polls/{poll_id}/votes",
    response_model=Poll,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(VoteRequest),
    summary="Vote on a poll (choices[]: indexes of its options, from 0)",
)
async def vote(
    poll_id: str = POLL_ID,
    caller: Caller = Depends(Auth("write:statuses")),
    req: VoteRequest = Depends(params(VoteRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await polls.vote(rt, caller.account_id, parse_id(poll_id), req.indexes())
    return JSON(convert.poll(view))
