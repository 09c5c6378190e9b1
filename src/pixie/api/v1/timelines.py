from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from pydantic import Field

from pixie.api.common import errors, parse_id
from pixie.api.deps import Auth, Caller, runtime
from pixie.api.pagination import PageQuery, link_header
from pixie.api.params import params, query_schema
from pixie.api.responses import RawJSON
from pixie.api.schemas import Status
from pixie.convert import status_pages
from pixie.errors import BadRequest
from pixie.infra.runtime import Runtime
from pixie.services import public_timelines, timelines
from pixie.services.page_state import PageState

router = APIRouter(tags=["timelines"])


class AccountStatusesQuery(PageQuery):
    exclude_replies: bool = False
    exclude_reblogs: bool = False
    only_media: bool = False
    pinned: bool = False
    tagged: str | None = Field(None, max_length=200)


class PublicTimelineQuery(PageQuery):
    local: bool = False
    remote: bool = False
    only_media: bool = False


class TagTimelineQuery(PublicTimelineQuery):
    """``any[]``, ``all[]`` and ``none[]``: other hashtags that widen or narrow the timeline."""

    any: list[str] | str = Field(default_factory=list)
    all: list[str] | str = Field(default_factory=list)
    none: list[str] | str = Field(default_factory=list)

    @staticmethod
    def names(raw: list[str] | str) -> list[str]:
        return [name.removeprefix("#") for name in ([raw] if isinstance(raw, str) else raw) if name]


async def _page(request: Request, rt: Runtime, state: PageState | None) -> RawJSON:
    if state is None:
        return RawJSON(b"[]")
    return RawJSON(await status_pages.page(rt, state), headers=link_header(rt.settings, request, state.ids))


class HomeTimelineQuery(PageQuery):
    local: bool = False  # every post is local: Pixie does not federate


@router.get(
    "/api/v1/timelines/home",
    response_model=list[Status],
    responses=errors(400, 401, 403, 422),
    openapi_extra=query_schema(HomeTimelineQuery),
    summary="Posts of the accounts and hashtags the caller follows, and the caller's own, newest first",
)
async def home_timeline(
    request: Request,
    caller: Caller = Depends(Auth("read:statuses")),
    query: HomeTimelineQuery = Depends(params(HomeTimelineQuery)),
    rt: Runtime = Depends(runtime),
) -> RawJSON:
    state = await timelines.home_state(rt, caller.account_id, query.paging(default_limit=20))
    return await _page(request, rt, state)


@router.get(
    "/api/v1/accounts/{account_id}/statuses",
    response_model=list[Status],
    responses=errors(400, 401, 404, 422),
    openapi_extra=query_schema(AccountStatusesQuery),
    summary="An account's posts that the caller may see, newest first",
)
async def account_statuses(
    request: Request,
    account_id: str = Path(description="An account id"),
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    query: AccountStatusesQuery = Depends(params(AccountStatusesQuery)),
    rt: Runtime = Depends(runtime),
) -> RawJSON:
    state = await public_timelines.account_statuses_state(
        rt,
        parse_id(account_id),
        caller.viewer_id,
        query.paging(default_limit=20),
        exclude_replies=query.exclude_replies,
        exclude_reblogs=query.exclude_reblogs,
        only_media=query.only_media,
        pinned=query.pinned,
        tagged=query.tagged,
    )
    return await _page(request, rt, state)


@router.get(
    "/api/v1/timelines/public",
    response_model=list[Status],
    responses=errors(400, 401, 422),
    openapi_extra=query_schema(PublicTimelineQuery),
    summary="Public posts of this instance, newest first",
)
async def public_timeline(
    request: Request,
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    query: PublicTimelineQuery = Depends(params(PublicTimelineQuery)),
    rt: Runtime = Depends(runtime),
) -> RawJSON:
    if query.remote:
        return await _page(request, rt, None)  # no remote posts: Pixie does not federate
    state = await public_timelines.public_state(
        rt, caller.viewer_id, query.paging(default_limit=20), only_media=query.only_media
    )
    return await _page(request, rt, state)


@router.get(
    "/api/v1/timelines/tag/{hashtag}",
    response_model=list[Status],
    responses=errors(400, 401, 422),
    openapi_extra=query_schema(TagTimelineQuery),
    summary="Public posts with a hashtag (or any[] of others, with all[], without none[]), newest first",
)
async def tag_timeline(
    request: Request,
    hashtag: str = Path(max_length=200),
    caller: Caller = Depends(Auth("read:statuses", optional=True)),
    query: TagTimelineQuery = Depends(params(TagTimelineQuery)),
    rt: Runtime = Depends(runtime),
) -> RawJSON:
    if "\x00" in hashtag:
        raise BadRequest("Parameters may not contain NUL characters")
    if query.remote:
        return await _page(request, rt, None)
    state = await public_timelines.public_state(
        rt,
        caller.viewer_id,
        query.paging(default_limit=20),
        tag=hashtag.removeprefix("#"),
        any_tags=query.names(query.any),
        all_tags=query.names(query.all),
        none_tags=query.names(query.none),
        only_media=query.only_media,
    )
    return await _page(request, rt, state)
