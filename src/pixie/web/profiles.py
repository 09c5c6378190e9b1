"""A person's page: header, avatar, bio, counts, their images, and Follow / Block / Mute."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from pixie.api.deps import Caller, runtime
from pixie.api.schemas import as_id
from pixie.convert.accounts import account as account_entity
from pixie.convert.cards import cards, person
from pixie.errors import Invalid, PixieError
from pixie.infra.runtime import Runtime
from pixie.services import accounts, blocks, follows, public_timelines
from pixie.services.paging import Paging
from pixie.web.deps import WebAuth
from pixie.web.pages import checked_form, render
from pixie.web.routing import NotFoundPage, is_htmx, web_router

router = web_router()
ACTIONS = ("follow", "unfollow", "block", "unblock", "mute", "unmute")


async def _relationship(rt: Runtime, viewer_id: int | None, target_id: int) -> follows.Relationship | None:
    if viewer_id is None or viewer_id == target_id:
        return None
    return (await follows.relationships(rt, viewer_id, [target_id]))[0]


@router.get("/@{username}")
async def profile(
    request: Request, username: str, caller: Caller = Depends(WebAuth()), rt: Runtime = Depends(runtime)
) -> Response:
    try:
        found = await accounts.lookup(rt, username)
    except PixieError:
        raise NotFoundPage() from None
    entity = account_entity(rt.settings, found)
    views = await public_timelines.account_statuses(
        rt, found.id, caller.viewer_id, Paging(max_id=as_id(request.query_params.get("max_id", "")), limit=30)
    )
    who = person(entity)
    return render(
        rt,
        request,
        "profile.html",
        title=f"{who.display_name} (@{who.acct})",
        who=who,
        header=entity["header"],
        posts=[p for p in cards(rt.settings, views) if p.pictures or p.content],
        relationship=await _relationship(rt, caller.viewer_id, found.id),
        own=caller.viewer_id == found.id,
        canonical=entity["url"],
    )


@router.post("/web/accounts/{account_id}/{action}")
async def relationship_action(
    request: Request,
    account_id: str,
    action: str,
    caller: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    await checked_form(request)
    target = as_id(account_id)
    if target is None or action not in ACTIONS:
        raise NotFoundPage()
    me = caller.account_id
    if action == "follow":
        await follows.follow(rt, me, target, reblogs=None, notify=None)
    elif action == "unfollow":
        await follows.unfollow(rt, me, target)
    elif action == "block":
        await blocks.block(rt, me, target)
    elif action == "unblock":
        await blocks.unblock(rt, me, target)
    elif action == "mute":
        await blocks.mute(rt, me, target)
    elif action == "unmute":
        await blocks.unmute(rt, me, target)
    else:  # pragma: no cover - ACTIONS is checked above
        raise Invalid("Unknown action")
    found = await accounts.get_account(rt, target)
    if is_htmx(request):
        return render(
            rt,
            request,
            "partials/relationship.html",
            who=person(account_entity(rt.settings, found)),
            relationship=await _relationship(rt, me, target),
        )
    return RedirectResponse(f"/@{found.username}", status_code=303)


@router.get("/@{username}/followers")
@router.get("/@{username}/following")
async def people(
    request: Request,
    username: str,
    caller: Caller = Depends(WebAuth()),
    rt: Runtime = Depends(runtime),
) -> Response:
    """Who follows someone, and whom they follow."""
    which = request.url.path.rsplit("/", 1)[-1]
    try:
        found = await accounts.lookup(rt, username)
    except PixieError:
        raise NotFoundPage() from None
    paging = Paging(max_id=as_id(request.query_params.get("max_id", "")), limit=40)
    listed = await (follows.followers if which == "followers" else follows.following)(rt, found.id, paging)
    who = person(account_entity(rt.settings, found))
    return render(
        rt,
        request,
        "people.html",
        title=f"{'Followers of' if which == 'followers' else 'Followed by'} {who.display_name}",
        who=who,
        which=which,
        people=[person(account_entity(rt.settings, a)) for a in listed.accounts],
        more=f"{who.path}/{which}?max_id={listed.cursors[-1]}" if len(listed.cursors) == 40 else None,
    )
