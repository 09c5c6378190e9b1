from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import Account, Context, CreateStatusRequest, IdsQuery, Status, StatusSource, as_id
from pixie.convert import accounts as convert_accounts
from pixie.convert import statuses as convert
from pixie.errors import Invalid
from pixie.infra.runtime import Runtime
from pixie.services import statuses

router = APIRouter(tags=["statuses"])
STATUS_ID = Path(description="A status id")


def _media_ids(raw: list[str]) -> list[int]:
    ids = [as_id(value) for value in raw]
    if None in ids:
        raise Invalid("Validation failed: Media ids must be ids of your uploads")
    return [i for i in ids if i is not None]


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
    in_reply_to = parse_id(req.in_reply_to_id) if req.in_reply_to_id else None
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
            media_ids=_media_ids(req.media_ids),
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
            view = await statuses.favourite(rt, caller.account_id, sid, on=action == "favourite")
        case _:
            view = await statuses.bookmark(rt, caller.account_id, sid, on=action == "bookmark")
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
    accounts, cursors = await statuses.favourited_by(
        rt, parse_id(status_id), caller.viewer_id, query.paging()
    )
    body = [convert_accounts.account(rt.settings, a) for a in accounts]
    return JSON(body, headers=link_header(rt.settings, request, cursors))


def _reaction_page(request: Request, rt: Runtime, page: statuses.ReactionPage) -> JSON:
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
        request, rt, await statuses.favourites(rt, caller.account_id, query.paging(default_limit=20))
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
        request, rt, await statuses.bookmarks(rt, caller.account_id, query.paging(default_limit=20))
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
) -> JSON:
    thread = await statuses.context(rt, parse_id(status_id), caller.viewer_id)
    return JSON(
        {
            "ancestors": [convert.status(rt.settings, v) for v in thread.ancestors],
            "descendants": [convert.status(rt.settings, v) for v in thread.descendants],
        }
    )


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
