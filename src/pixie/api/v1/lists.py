from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import body_schema, params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import Account, Empty, ListAccountsRequest, ListEntity, ListRequest, Status
from pixie.convert import accounts as convert_accounts
from pixie.convert import statuses as convert_statuses
from pixie.convert.lists import list_entity
from pixie.infra.runtime import Runtime
from pixie.services import lists

router = APIRouter(tags=["lists"])
LIST_ID = Path(description="A list id")
MAX_IDS = 250


class MembersQuery(PageQuery):
    limit: int = Field(40, ge=0, le=1000, description="0: every account, without paging")


@router.get(
    "/api/v1/lists",
    response_model=list[ListEntity],
    responses=errors(401, 403, 422),
    summary="The signed-in account's lists",
)
async def all_lists(caller: Caller = Depends(Auth("read:lists")), rt: Runtime = Depends(runtime)) -> JSON:
    return JSON([list_entity(found) for found in await lists.all_of(rt, caller.account_id)])


@router.post(
    "/api/v1/lists",
    response_model=ListEntity,
    responses=errors(400, 401, 403, 422),
    openapi_extra=body_schema(ListRequest),
    summary="Make a list",
)
async def create_list(
    caller: Caller = Depends(Auth("write:lists")),
    req: ListRequest = Depends(params(ListRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await lists.create(
        rt, caller.account_id, title=req.title, replies_policy=req.replies_policy, exclusive=req.exclusive
    )
    return JSON(list_entity(found))


@router.get(
    "/api/v1/lists/{list_id}",
    response_model=ListEntity,
    responses=errors(401, 403, 404, 422),
    summary="One of the signed-in account's lists",
)
async def get_list(
    list_id: str = LIST_ID,
    caller: Caller = Depends(Auth("read:lists")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(list_entity(await lists.get(rt, caller.account_id, parse_id(list_id))))


@router.put(
    "/api/v1/lists/{list_id}",
    response_model=ListEntity,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(ListRequest),
    summary="Rename a list, or change its replies policy or exclusivity",
)
async def update_list(
    list_id: str = LIST_ID,
    caller: Caller = Depends(Auth("write:lists")),
    req: ListRequest = Depends(params(ListRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await lists.update(
        rt,
        caller.account_id,
        parse_id(list_id),
        title=req.title,
        replies_policy=req.replies_policy,
        exclusive=req.exclusive,
    )
    return JSON(list_entity(found))


@router.delete(
    "/api/v1/lists/{list_id}",
    response_model=Empty,
    responses=errors(401, 403, 404, 422),
    summary="Delete a list",
)
async def delete_list(
    list_id: str = LIST_ID,
    caller: Caller = Depends(Auth("write:lists")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    await lists.remove(rt, caller.account_id, parse_id(list_id))
    return JSON({})


@router.get(
    "/api/v1/lists/{list_id}/accounts",
    response_model=list[Account],
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=query_schema(MembersQuery),
    summary="The accounts in a list (latest added first; limit=0 for all of them)",
)
async def list_members(
    request: Request,
    list_id: str = LIST_ID,
    caller: Caller = Depends(Auth("read:lists")),
    query: MembersQuery = Depends(params(MembersQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    paging = None if query.limit == 0 else query.paging(most=80)
    page = await lists.members(rt, caller.account_id, parse_id(list_id), paging)
    body = [convert_accounts.account(rt.settings, a) for a in page.accounts]
    headers = link_header(rt.settings, request, page.cursors) if paging is not None else {}
    return JSON(body, headers=headers)


@router.post(
    "/api/v1/lists/{list_id}/accounts",
    response_model=Empty,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(ListAccountsRequest),
    summary="Add accounts one follows to a list",
)
async def add_members(
    list_id: str = LIST_ID,
    caller: Caller = Depends(Auth("write:lists")),
    req: ListAccountsRequest = Depends(params(ListAccountsRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    raw = [req.account_ids] if isinstance(req.account_ids, str) else req.account_ids
    ids = req.ids(most=MAX_IDS)
    if len(ids) != len(raw[:MAX_IDS]):
        ids.append(-1)  # an id that cannot be one is an account not found
    await lists.add(rt, caller.account_id, parse_id(list_id), ids)
    return JSON({})


@router.delete(
    "/api/v1/lists/{list_id}/accounts",
    response_model=Empty,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=body_schema(ListAccountsRequest),
    summary="Remove accounts from a list",
)
async def remove_members(
    list_id: str = LIST_ID,
    caller: Caller = Depends(Auth("write:lists")),
    req: ListAccountsRequest = Depends(params(ListAccountsRequest)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    await lists.remove_members(rt, caller.account_id, parse_id(list_id), req.ids(most=MAX_IDS))
    return JSON({})


@router.get(
    "/api/v1/accounts/{account_id}/lists",
    response_model=list[ListEntity],
    responses=errors(401, 403, 404, 422),
    summary="The signed-in account's lists that hold an account",
)
async def lists_with_account(
    account_id: str = Path(description="An account id"),
    caller: Caller = Depends(Auth("read:lists")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await lists.containing(rt, caller.account_id, parse_id(account_id))
    return JSON([list_entity(f) for f in found])


@router.get(
    "/api/v1/timelines/list/{list_id}",
    response_model=list[Status],
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The posts of a list's accounts, newest first",
)
async def list_timeline(
    request: Request,
    list_id: str = LIST_ID,
    caller: Caller = Depends(Auth("read:lists")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    views = await lists.timeline(rt, caller.account_id, parse_id(list_id), query.paging(default_limit=20))
    body = [convert_statuses.status(rt.settings, v) for v in views]
    return JSON(body, headers=link_header(rt.settings, request, [v.status.id for v in views]))
