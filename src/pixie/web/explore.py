"""Finding things: Explore (trending posts and hashtags, who to follow), a hashtag's page, search."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import Response

from pixie.api.deps import Caller, runtime
from pixie.api.schemas import as_id
from pixie.convert.accounts import account as account_entity
from pixie.convert.cards import cards, person
from pixie.convert.tags import tag as tag_entity
from pixie.errors import PixieError
from pixie.infra.runtime import Runtime
from pixie.services import public_timelines, search, suggestions, tags, trends
from pixie.services.paging import Paging
from pixie.web.deps import WebAuth
from pixie.web.pages import render
from pixie.web.routing import NotFoundPage, web_router

router = web_router()


def _uses(entity: dict[str, object]) -> tuple[int, int]:
    """A tag's uses and people over its week of history."""
    history = entity.get("history") or []
    assert isinstance(history, list)
    return sum(int(d["uses"]) for d in history), sum(int(d["accounts"]) for d in history)


@router.get("/explore")
async def explore(
    request: Request, caller: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    posts = cards(rt.settings, await trends.statuses(rt, caller.viewer_id, limit=24))
    hashtags = []
    for view in await trends.hashtags(rt, caller.viewer_id, limit=10):
        entity = tag_entity(rt.settings, view)
        hashtags.append({"name": view.name, "uses": _uses(entity)})
    people = []
    if caller.viewer_id is not None:
        people = [
            person(account_entity(rt.settings, s.account))
            for s in await suggestions.for_account(rt, caller.viewer_id, limit=6)
        ]
    return render(rt, request, "explore.html", title="Explore", posts=posts, hashtags=hashtags, people=people)


@router.get("/tags/{name}")
async def hashtag(
    request: Request, name: str, caller: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    try:
        view = await tags.get(rt, name, caller.viewer_id)
    except PixieError:
        raise NotFoundPage() from None
    paging = Paging(max_id=as_id(request.query_params.get("max_id", "")), limit=20)
    views = await public_timelines.public_timeline(rt, caller.viewer_id, paging, tag=view.name)
    posts = cards(rt.settings, views)
    return render(
        rt,
        request,
        "tag.html",
        title=f"#{view.name}",
        name=view.name,
        uses=_uses(tag_entity(rt.settings, view)),
        posts=posts,
        more=f"/tags/{view.name}?max_id={posts[-1].entry_id}" if len(posts) == 20 else None,
    )


@router.get("/search")
async def search_page(
    request: Request, caller: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    q = request.query_params.get("q", "")[:200]
    results = (
        await search.search(rt, caller.viewer_id, search.SearchRequest(q=q, limit=20)) if q.strip() else None
    )
    return render(
        rt,
        request,
        "search.html",
        title=f"Search: {q}" if q else "Search",
        q=q,
        people=[person(account_entity(rt.settings, a)) for a in results.accounts] if results else [],
        hashtags=[t.name for t in results.hashtags] if results else [],
        posts=cards(rt.settings, results.statuses) if results else [],
        searched=results is not None,
    )
