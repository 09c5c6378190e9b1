"""Trending posts, hashtags and links (Mastodon's /api/v1/trends)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import Field

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.params import params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import Loose, Status, Tag
from pixie.convert import statuses as convert
from pixie.convert.tags import tag as convert_tag
from pixie.infra.runtime import Runtime
from pixie.services import trends

router = APIRouter(tags=["trends"])


class TrendsQuery(Loose):
    limit: int = Field(0, ge=0, le=1000, description="How many (Mastodon's defaults: 10 tags, 20 posts)")
    offset: int = Field(0, ge=0, le=10_000, description="Skip this many, for the next page")


@router.get(
    "/api/v1/trends/tags",
    response_model=list[Tag],
    responses=errors(400, 401, 422),
    openapi_extra=query_schema(TrendsQuery),
    summary="Hashtags used by the most people lately, in public posts",
)
async def trending_tags(
    caller: Caller = Depends(Auth.public()),
    query: TrendsQuery = Depends(params(TrendsQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await trends.hashtags(rt, caller.viewer_id, limit=query.limit, offset=query.offset)
    return JSON([convert_tag(rt.settings, t) for t in found])


@router.get(
    "/api/v1/trends/statuses",
    response_model=list[Status],
    responses=errors(400, 401, 422),
    openapi_extra=query_schema(TrendsQuery),
    summary="Public posts the most people liked or reposted lately",
)
async def trending_statuses(
    caller: Caller = Depends(Auth.public()),
    query: TrendsQuery = Depends(params(TrendsQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    found = await trends.statuses(rt, caller.viewer_id, limit=query.limit, offset=query.offset)
    return JSON([convert.status(rt.settings, v) for v in found])


@router.get(
    "/api/v1/trends/links",
    response_model=list[Loose],
    responses=errors(400, 401, 422),
    openapi_extra=query_schema(TrendsQuery),
    summary="Trending links: always empty (Pixie makes no preview cards)",
)
async def trending_links(
    _: Caller = Depends(Auth.public()), query: TrendsQuery = Depends(params(TrendsQuery))
) -> JSON:
    return JSON([])
