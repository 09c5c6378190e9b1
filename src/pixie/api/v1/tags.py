from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request

from pixie.api.common import errors
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import params, query_schema
from pixie.api.responses import JSON
from pixie.api.schemas import Tag
from pixie.convert.tags import tag as convert_tag
from pixie.errors import BadRequest
from pixie.infra.runtime import Runtime
from pixie.services import tags

router = APIRouter(tags=["tags"])
TAG_NAME = Path(description="A hashtag's name, without the '#'", max_length=200)


def _name(raw: str) -> str:
    if "\x00" in raw:
        raise BadRequest("Parameters may not contain NUL characters")
    return raw


@router.get(
    "/api/v1/tags/{name}",
    response_model=Tag,
    responses=errors(400, 401, 403, 404, 422),
    summary="A hashtag, its use over the last week, and whether the caller follows it",
)
async def get_tag(
    name: str = TAG_NAME,
    caller: Caller = Depends(Auth("read:follows", optional=True)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert_tag(rt.settings, await tags.get(rt, _name(name), caller.viewer_id)))


@router.post(
    "/api/v1/tags/{name}/follow",
    response_model=Tag,
    responses=errors(400, 401, 403, 404, 422),
    summary="Follow a hashtag: its public posts join the home timeline",
)
async def follow_tag(
    name: str = TAG_NAME,
    caller: Caller = Depends(Auth("write:follows")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert_tag(rt.settings, await tags.follow(rt, caller.account_id, _name(name))))


@router.post(
    "/api/v1/tags/{name}/unfollow",
    response_model=Tag,
    responses=errors(400, 401, 403, 404, 422),
    summary="Stop following a hashtag",
)
async def unfollow_tag(
    name: str = TAG_NAME,
    caller: Caller = Depends(Auth("write:follows")),
    rt: Runtime = Depends(runtime),
) -> JSON:
    return JSON(convert_tag(rt.settings, await tags.follow(rt, caller.account_id, _name(name), on=False)))


@router.get(
    "/api/v1/followed_tags",
    response_model=list[Tag],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(PageQuery),
    summary="The hashtags the signed-in account follows (Link header for more)",
)
async def followed_tags(
    request: Request,
    caller: Caller = Depends(Auth("read:follows")),
    query: PageQuery = Depends(params(PageQuery)),
    rt: Runtime = Depends(runtime),
) -> JSON:
    page = await tags.followed(rt, caller.account_id, query.paging(default_limit=100, most=200))
    body = [convert_tag(rt.settings, t) for t in page.tags]
    return JSON(body, headers=link_header(rt.settings, request, page.cursors))
