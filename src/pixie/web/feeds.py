"""The front page: what Pixie is and recent public images for a visitor; the home feed, with its
live "new posts" bar and endless scroll, for someone signed in."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import Response

from pixie.api.deps import Caller, runtime
from pixie.api.schemas import as_id
from pixie.convert.cards import cards
from pixie.infra.runtime import Runtime
from pixie.services import public_timelines, timelines
from pixie.services.paging import Paging
from pixie.web.deps import WebAuth
from pixie.web.pages import render
from pixie.web.routing import web_router

router = web_router()
PAGE = 20


def _paging(request: Request, **extra: int | None) -> Paging:
    return Paging(max_id=as_id(request.query_params.get("max_id", "")), limit=PAGE, **extra)


@router.get("/")
async def front(
    request: Request, caller: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    if caller.viewer_id is None:
        views = await public_timelines.public_timeline(rt, None, Paging(limit=24), only_media=True)
        return render(
            rt,
            request,
            "landing.html",
            title="Images people make, and the talk around them",
            posts=cards(rt.settings, views),
        )
    views = await timelines.home(rt, caller.account_id, _paging(request))
    posts = cards(rt.settings, views)
    return render(
        rt,
        request,
        "home.html",
        title="Home",
        posts=posts,
        newest=posts[0].entry_id if posts else "0",
        more=f"/web/home?max_id={posts[-1].entry_id}" if len(posts) == PAGE else None,
    )


@router.get("/web/home")
async def home_page(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    """The next page of the home feed, appended as the reader scrolls."""
    posts = cards(rt.settings, await timelines.home(rt, caller.account_id, _paging(request)))
    more = f"/web/home?max_id={posts[-1].entry_id}" if len(posts) == PAGE else None
    return render(rt, request, "partials/feed_page.html", posts=posts, more=more)


@router.get("/web/home/new")
async def new_posts(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    """How many posts arrived above the newest one on screen (the bar; they are not shown until
    the reader asks, so nothing moves under their eyes)."""
    newest = as_id(request.query_params.get("since_id", "")) or 0
    views = await timelines.home(rt, caller.account_id, Paging(since_id=newest, limit=40))
    return render(rt, request, "partials/new_posts.html", count=len(views), newest=newest)
