from __future__ import annotations

from fastapi import APIRouter, Depends

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import SearchQuery, SearchResults, as_id
from pixie.convert.search import search_results
from pixie.errors import BadRequest, Unauthorized
from pixie.infra.runtime import Runtime
from pixie.services import search as search_service

router = APIRouter(tags=["search"])


@router.get(
    "/api/v2/search",
    response_model=SearchResults,
    responses=errors(400, 401, 403, 404, 422),
    openapi_extra=query_schema(SearchQuery),
    summary="Find accounts, hashtags and (signed in) statuses",
)
async def search(
    caller: Caller = Depends(Auth("read:search", optional=True)),
    query: SearchQuery = Depends(params(SearchQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    if not query.q:
        raise BadRequest("param is missing or the value is empty: q")
    if caller.viewer_id is None:
        # What Mastodon keeps for signed-in users.
        if query.offset is not None:
            raise Unauthorized("Search queries pagination is not supported without authentication")
        if query.resolve:
            raise Unauthorized(
                "Search queries that resolve remote resources are not supported without authentication"
            )
    results = await search_service.search(
        rt,
        caller.viewer_id,
        search_service.SearchRequest(
            q=query.q,
            type=query.type or None,
            limit=query.limit,
            offset=query.offset or 0,
            following=query.following,
            account_id=parse_id(query.account_id) if query.account_id else None,
            max_id=as_id(query.max_id),
            min_id=as_id(query.min_id),
        ),
    )
    return JSON(search_results(rt.settings, results))
