from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id, parse_time
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON, RawJSON
from pixie.api.schemas import (
    Account,
    Context,
    CreateStatusRequest,
    EditStatusRequest,
    IdsQuery,
    PollRequest,
    ReblogRequest,
    ScheduledStatus,
    Status,
    StatusEdit,
    StatusSource,
    as_id,
)
from pixie.convert import accounts as convert_accounts
from pixie.convert import scheduled as convert_scheduled
from pixie.convert import status_pages
from pixie.convert import statuses as convert
from pixie.errors import Invalid
from pixie.infra.runtime import Runtime
from pixie.services import edits, muted_conversations, pins, reactions, reblogs, scheduled, statuses, threads
from pixie.services.polls import NewPoll

router = APIRouter(tags=["statuses"])
STATUS_ID = Path(description="A status id")


def _media_ids(raw: list[str]) -> list[int]:
    ids = [as_id(value) for value in raw]
    if None in ids:
        raise Invalid("Validation failed: Media ids must be ids of your uploads")
    return [i for i in ids if i is not None]


def _poll(req: PollRequest | None) -> NewPoll | None:
    if req is None or (not req.options and req.expires_in is None):
        return None
    if req.expires_in is None:
        raise Invalid("Validation failed: Poll expires in can't be blank")
    return NewPoll(req.options, req.expires_in, bool(req.multiple), bool(req.hide_totals))


@router.post(
    "/api/v1/statuses",
    response_model=Status | ScheduledStatus,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(CreateStatusRequest),
    summary="Publish a status, or schedule it (scheduled_at: answers a ScheduledStatus)",
)
async def create_status(
    request: Request,
    caller: Caller = Depends(Auth("write:statuses")),
    req: CreateStatusRequest = Depends(params(CreateStatusRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    assert caller.principal is not None
    in_reply_to = parse_id(req.in_reply_to_id) if req.in_reply_to_id else None
    new = statuses.NewStatus(
        text=req.status or "",
        spoiler_text=req.spoiler_text or "",
        sensitive=req.sensitive,
        visibility=req.visibility,
        language=req.language,
        in_reply_to_id=in_reply_to,
        media_ids=_media_ids(req.media_ids),
        poll=_poll(req.poll),
        hide_prompt=req.pixie.hide_prompt if req.pixie else None,
        allow_remix=req.pixie.allow_remix if req.pixie else None,
    )
    if req.scheduled_at:
        row = await scheduled.schedule(
            rt,
            caller.account_id,
            new,
            parse_time(req.scheduled_at, "scheduled_at"),
            application_id=caller.principal.application_id,
            idempotency_key=request.headers.get("idempotency-key"),
        )
        return JSON(convert_scheduled.scheduled_status(row))
    view = await statuses.create(
        rt,
        caller.account_id,
        new,
        application_id=caller.principal.application_id,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    return JSON(convert.status(rt.settings, view))


@router.put(
    "/api/v1/statuses/{status_id}",
    response_model=Status,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(EditStatusRequest),
    summary="Edit one's own status (text, content warning, sensitivity, language)",
)
async def edit_status(
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("write:statuses")),
    req: EditStatusRequest = Depends(params(EditStatusRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await edits.edit(
        rt,
        caller.account_id,
        parse_id(status_id),
        edits.StatusChanges(
            text=req.status,
            spoiler_text=req.spoiler_text,
            sensitive=req.sensitive,
            language=req.language or None,
            media_ids=_media_ids(req.media_ids),
        ),
    )
    return JSON(convert.status(rt.settings, view))


@router.get(
    "/api/v1/statuses/{status_id}/history",
    response_model=list[StatusEdit],
    responses=errors(401, 403, 404, 422),
    summary="Every version of a status, oldest first",
)
async def status_history(
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    versions = await edits.history(rt, parse_id(status_id), caller.viewer_id)
    return JSON([convert.status_edit(rt.settings, v) for v in versions])


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
    return JSON(convert.status(rt.settings, await statuses.get(rt, parse_id(status_id), caller.viewer_id)))


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
    view = await statuses.delete(rt, parse_id(status_id), caller.account_id)
    entity: dict[str, Any] = convert.status(rt.settings, view, with_source=True)
    return JSON(entity)


async def _react(status_id: str, caller: Caller, rt: Runtime, action: str) -> JSON:
    sid = parse_id(status_id)
    match action:
        case "favourite" | "unfavourite":
            view = await reactions.favourite(rt, caller.account_id, sid, on=action == "favourite")
        case "bookmark" | "unbookmark":
            view = await reactions.bookmark(rt, caller.account_id, sid, on=action == "bookmark")
        case "pin" | "unpin":
            view = await pins.pin(rt, caller.account_id, sid, on=action == "pin")
        case "mute" | "unmute":
            view = await muted_conversations.mute(rt, caller.account_id, sid, on=action == "mute")
        case _:
            view = await reblogs.unreblog(rt, caller.account_id, sid)
    return JSON(convert.status(rt.settings, view))


def _reaction_route(action: str, scope: str, summary: str) -> None:
    async def endpoint(
        status_id: str = STATUS_ID,
        caller: Caller = Depends(Auth(scope)),
        rt: Runtime = Depends(runtime),
    ) -> JSON:
        return await _react(status_id, caller, rt, action)

    router.add_api_route(
        f"/api/v1/statuses/{{status_id}}/{action}",
        endpoint,
        methods=["POST"],
        response_model=Status,
        responses=errors(401, 403, 404, 422),
        summary=summary,
        name=action,
    )


_reaction_route("favourite", "write:favourites", "Favourite a status")
_reaction_route("unfavourite", "write:favourites", "Take a favourite back")
_reaction_route("bookmark", "write:bookmarks", "Bookmark a status")
_reaction_route("unbookmark", "write:bookmarks", "Remove a bookmark")
_reaction_route("pin", "write:accounts", "Feature one's own status on one's profile")
_reaction_route("unpin", "write:accounts", "Take a status off one's profile")
_reaction_route("mute", "write:mutes", "Mute the conversation a status belongs to")
_reaction_route("unmute", "write:mutes", "Unmute the conversation a status belongs to")
_reaction_route("unreblog", "write:statuses", "Take a reblog back; answers the original")


@router.post(
    "/api/v1/statuses/{status_id}/reblog",
    response_model=Status,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(ReblogRequest),
    summary="Reblog a status; answers the reblog, with the original under `reblog`",
)
async def reblog(
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("write:statuses")),
    req: ReblogRequest = Depends(params(ReblogRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await reblogs.reblog(rt, caller.account_id, parse_id(status_id), visibility=req.visibility or None)
    return JSON(convert.status(rt.settings, view))


@router.get(
    "/api/v1/statuses/{status_id}/reblogged_by",
    response_model=list[Account],
    responses=errors(400, 401, 404, 422),
    openapi_extra=query_schema(PageQuery),
    summary="Who reblogged a status",
)
async def reblogged_by(
    request: Request,
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    accounts, cursors = await reblogs.reblogged_by(rt, parse_id(status_id), caller.viewer_id, query.paging())
    body = [convert_accounts.account(rt.settings, a) for a in accounts]
    return JSON(body, headers=link_header(rt.settings, request, cursors))


@router.get(
    "/api/v1/statuses/{status_id}/favourited_by",
    response_model=list[Account],
    responses=errors(400, 401, 404, 422),
    openapi_extra=query_schema(PageQuery),
    summary="Who favourited a status",
)
async def favourited_by(
    request: Request,
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    accounts, cursors = await reactions.favourited_by(
        rt, parse_id(status_id), caller.viewer_id, query.paging()
    )
    body = [convert_accounts.account(rt.settings, a) for a in accounts]
    return JSON(body, headers=link_header(rt.settings, request, cursors))


def _reaction_page(request: Request, rt: Runtime, page: reactions.ReactionPage) -> JSON:
    body = [convert.status(rt.settings, v) for v in page.views]
    return JSON(body, headers=link_header(rt.settings, request, page.cursors))


@router.get(
    "/api/v1/favourites",
    response_model=list[Status],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The signed-in account's favourites, newest first",
)
async def favourites(
    request: Request,
    caller: Caller = Depends(Auth("read:favourites")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return _reaction_page(
        request, rt, await reactions.favourites(rt, caller.account_id, query.paging(default_limit=20))
    )


@router.get(
    "/api/v1/bookmarks",
    response_model=list[Status],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The signed-in account's bookmarks, newest first",
)
async def bookmarks(
    request: Request,
    caller: Caller = Depends(Auth("read:bookmarks")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return _reaction_page(
        request, rt, await reactions.bookmarks(rt, caller.account_id, query.paging(default_limit=20))
    )


@router.get(
    "/api/v1/statuses",
    response_model=list[Status],
    responses=errors(400, 401, 422),
    openapi_extra=query_schema(IdsQuery),
    summary="Several statuses at once (id[]=...), leaving out those the caller may not see",
)
async def many_statuses(
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    query: IdsQuery = Depends(params(IdsQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    views = await statuses.many(rt, query.ids(most=statuses.MAX_BATCH), caller.viewer_id)
    return JSON([convert.status(rt.settings, v) for v in views])


@router.get(
    "/api/v1/statuses/{status_id}/context",
    response_model=Context,
    responses=errors(401, 404),
    summary="The posts above and below a status in its thread",
)
async def status_context(
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    rt: Runtime = Depends(runtime),
) -> RawJSON:
    thread = await threads.context_state(rt, parse_id(status_id), caller.viewer_id)
    return RawJSON(await status_pages.context(rt, thread))


@router.get(
    "/api/v1/statuses/{status_id}/source",
    response_model=StatusSource,
    responses=errors(401, 403, 404, 422),
    summary="What the author wrote, for editing",
)
async def status_source(
    status_id: str = STATUS_ID,
    caller: Caller = Depends(Auth("read:statuses")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    view = await statuses.get(rt, parse_id(status_id), caller.account_id)
    return JSON(
        {"id": str(view.status.id), "text": view.status.text, "spoiler_text": view.status.spoiler_text}
    )
