from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import Account, MuteOptions, Relationship
from pixie.convert import accounts as convert_accounts
from pixie.convert.relationships import relationship
from pixie.infra.runtime import Runtime
from pixie.services import blocks, follows

router = APIRouter(tags=["blocks and mutes"])
ACCOUNT_ID = Path(description="An account id")


@router.post(
    "/api/v1/accounts/{account_id}/block",
    response_model=Relationship,
    responses=errors(401, 403, 404, 422),
    summary="Block an account: follows end both ways, and neither sees the other's posts",
)
async def block(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:blocks")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(relationship(await blocks.block(rt, caller.account_id, parse_id(account_id))))


@router.post(
    "/api/v1/accounts/{account_id}/unblock",
    response_model=Relationship,
    responses=errors(401, 403, 404, 422),
    summary="Unblock an account",
)
async def unblock(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:blocks")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(relationship(await blocks.unblock(rt, caller.account_id, parse_id(account_id))))


@router.post(
    "/api/v1/accounts/{account_id}/mute",
    response_model=Relationship,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(MuteOptions),
    summary="Mute an account (and its notifications, unless notifications=false), for duration seconds",
)
async def mute(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:mutes")),
    options: MuteOptions = Depends(params(MuteOptions)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await blocks.mute(
        rt,
        caller.account_id,
        parse_id(account_id),
        notifications=options.notifications,
        duration=options.duration,
    )
    return JSON(relationship(found))


@router.post(
    "/api/v1/accounts/{account_id}/unmute",
    response_model=Relationship,
    responses=errors(401, 403, 404, 422),
    summary="Unmute an account",
)
async def unmute(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:mutes")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(relationship(await blocks.unmute(rt, caller.account_id, parse_id(account_id))))


@router.post(
    "/api/v1/accounts/{account_id}/remove_from_followers",
    response_model=Relationship,
    responses=errors(401, 403, 404, 422),
    summary="Remove an account from one's followers",
)
async def remove_from_followers(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:follows")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await follows.remove_from_followers(rt, caller.account_id, parse_id(account_id))
    return JSON(relationship(found))


def _account_page(request: Request, rt: Runtime, page: follows.Page) -> JSON:
    body = [convert_accounts.account(rt.settings, a) for a in page.accounts]
    return JSON(body, headers=link_header(rt.settings, request, page.cursors))


@router.get(
    "/api/v1/blocks",
    response_model=list[Account],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The accounts the signed-in account blocks (latest first, Link header for more)",
)
async def blocked_accounts(
    request: Request,
    caller: Caller = Depends(Auth("read:blocks")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return _account_page(request, rt, await blocks.blocks(rt, caller.account_id, query.paging()))


@router.get(
    "/api/v1/mutes",
    response_model=list[Account],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The accounts the signed-in account mutes (latest first, Link header for more)",
)
async def muted_accounts(
    request: Request,
    caller: Caller = Depends(Auth("read:mutes")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return _account_page(request, rt, await blocks.mutes(rt, caller.account_id, query.paging()))
