from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import Account, FollowOptions, IdsQuery, Relationship
from pixie.convert import accounts as convert_accounts
from pixie.convert.relationships import relationship
from pixie.infra.runtime import Runtime
from pixie.services import follows

router = APIRouter(tags=["follows"])
ACCOUNT_ID = Path(description="An account id")


@router.get(
    "/api/v1/accounts/relationships",
    response_model=list[Relationship],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(IdsQuery),
    summary="How the signed-in account relates to others",
)
async def relationships(
    caller: Caller = Depends(Auth("read:follows")),
    query: IdsQuery = Depends(params(IdsQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await follows.relationships(rt, caller.account_id, query.ids(most=40))
    return JSON([relationship(r) for r in found])


@router.post(
    "/api/v1/accounts/{account_id}/follow",
    response_model=Relationship,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(FollowOptions),
    summary="Follow an account (a request, if it is locked)",
)
async def follow(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:follows")),
    options: FollowOptions = Depends(params(FollowOptions)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await follows.follow(
        rt, caller.account_id, parse_id(account_id), reblogs=options.reblogs, notify=options.notify
    )
    return JSON(relationship(found))


@router.post(
    "/api/v1/accounts/{account_id}/unfollow",
    response_model=Relationship,
    responses=errors(401, 403, 404, 422),
    summary="Stop following an account (or withdraw a request)",
)
async def unfollow(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:follows")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(relationship(await follows.unfollow(rt, caller.account_id, parse_id(account_id))))


async def _account_page(request: Request, rt: Runtime, page: follows.Page) -> JSON:
    body = [convert_accounts.account(rt.settings, a) for a in page.accounts]
    return JSON(body, headers=link_header(rt.settings, request, page.cursors))


@router.get(
    "/api/v1/accounts/{account_id}/followers",
    response_model=list[Account],
    responses=errors(400, 404, 422),
    openapi_extra=query_schema(PageQuery),
    summary="Who follows an account (newest first, Link header for more)",
)
async def followers(
    request: Request,
    account_id: str = ACCOUNT_ID,
    _: Caller = Depends(Auth("read:accounts", optional=True)),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    page = await follows.followers(rt, parse_id(account_id), query.paging())
    return await _account_page(request, rt, page)


@router.get(
    "/api/v1/accounts/{account_id}/following",
    response_model=list[Account],
    responses=errors(400, 404, 422),
    openapi_extra=query_schema(PageQuery),
    summary="Whom an account follows (newest first, Link header for more)",
)
async def following(
    request: Request,
    account_id: str = ACCOUNT_ID,
    _: Caller = Depends(Auth("read:accounts", optional=True)),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    page = await follows.following(rt, parse_id(account_id), query.paging())
    return await _account_page(request, rt, page)


@router.get(
    "/api/v1/follow_requests",
    response_model=list[Account],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="Accounts asking to follow the signed-in (locked) account",
)
async def follow_requests(
    request: Request,
    caller: Caller = Depends(Auth("read:follows")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    page = await follows.requests(rt, caller.account_id, query.paging())
    return await _account_page(request, rt, page)


@router.post(
    "/api/v1/follow_requests/{account_id}/authorize",
    response_model=Relationship,
    responses=errors(401, 403, 404, 422),
    summary="Accept a follow request",
)
async def authorize_request(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:follows")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(
        relationship(await follows.decide_request(rt, caller.account_id, parse_id(account_id), accept=True))
    )


@router.post(
    "/api/v1/follow_requests/{account_id}/reject",
    response_model=Relationship,
    responses=errors(401, 403, 404, 422),
    summary="Reject a follow request",
)
async def reject_request(
    account_id: str = ACCOUNT_ID,
    caller: Caller = Depends(Auth("write:follows")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(
        relationship(await follows.decide_request(rt, caller.account_id, parse_id(account_id), accept=False))
    )
