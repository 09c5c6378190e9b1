"""Direct conversations: ``/api/v1/conversations``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import Conversation, Empty
from pixie.convert import conversations as convert
from pixie.infra.runtime import Runtime
from pixie.services import conversations

router = APIRouter(tags=["conversations"])
CONVERSATION_ID = Path(description="A conversation id")


@router.get(
    "/api/v1/conversations",
    response_model=list[Conversation],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The signed-in account's direct conversations, newest message first",
)
async def all_conversations(
    request: Request,
    caller: Caller = Depends(Auth("read:statuses")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    views = await conversations.page(rt, caller.account_id, query.paging(default_limit=20, most=40))
    return JSON(
        [convert.conversation(rt.settings, v) for v in views],
        # Pages are cut by the newest message of each conversation, as on Mastodon.
        headers=link_header(rt.settings, request, [v.conversation.last_status_id for v in views]),
    )


@router.post(
    "/api/v1/conversations/{conversation_id}/read",
    response_model=Conversation,
    responses=errors(401, 403, 404, 422),
    summary="Mark a conversation as read",
)
async def read(
    conversation_id: str = CONVERSATION_ID,
    caller: Caller = Depends(Auth("write:conversations")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await conversations.mark_read(rt, caller.account_id, parse_id(conversation_id))
    return JSON(convert.conversation(rt.settings, view))


@router.delete(
    "/api/v1/conversations/{conversation_id}",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Remove a conversation from the list (its messages stay)",
)
async def remove(
    conversation_id: str = CONVERSATION_ID,
    caller: Caller = Depends(Auth("write:conversations")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    await conversations.remove(rt, caller.account_id, parse_id(conversation_id))
    return JSON({})
