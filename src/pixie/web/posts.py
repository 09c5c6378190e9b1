"""A post's page (the image large, its prompt and provenance, the remix tree, the thread and a
reply box) and the buttons on every card: Like, Repost, Bookmark."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from pixie.api.common import parse_id
from pixie.api.deps import Caller, runtime
from pixie.convert.cards import card, cards
from pixie.convert.statuses import status as status_entity
from pixie.errors import Invalid, PixieError
from pixie.infra.runtime import Runtime
from pixie.services import reactions, reblogs, remixes, statuses, threads
from pixie.services.paging import Paging
from pixie.services.status_views import StatusView
from pixie.services.statuses import NewStatus
from pixie.web.deps import WebAuth
from pixie.web.pages import checked_form, render
from pixie.web.routing import NotFoundPage, is_htmx, web_router

router = web_router()


async def _post(
    rt: Runtime, request: Request, username: str, raw_id: str, viewer_id: int | None
) -> StatusView:
    try:
        view = await statuses.get(rt, parse_id(raw_id), viewer_id)
    except PixieError:
        raise NotFoundPage() from None
    # The address names its author: another name in it is no such page.
    if view.account.username.lower() != username.lower() or view.reblog is not None:
        raise NotFoundPage()
    return view


@router.get("/@{username}/{status_id}")
async def post_page(
    request: Request,
    username: str,
    status_id: str,
    caller: Caller = Depends(WebAuth()),
    rt: Runtime = Depends(runtime),
) -> Response:
    view = await _post(rt, request, username, status_id, caller.viewer_id)
    context = await _page_context(rt, view, caller.viewer_id)
    post = context["post"]
    return render(
        rt,
        request,
        "post.html",
        title=f"{post.author.display_name}: {post.prompt or 'a post'}"[:120],
        reply_text=f"@{post.author.acct} " if caller.viewer_id != int(post.author.id) else "",
        **context,
    )


async def _page_context(rt: Runtime, view: StatusView, viewer_id: int | None) -> dict[str, Any]:
    """The post, its thread and its remix tree, as the post page shows them."""
    post = card(status_entity(rt.settings, view))
    thread = await threads.context(rt, view.status.id, viewer_id)
    lineage = await remixes.lineage(rt, view.status.id, viewer_id, Paging(limit=12))
    return {
        "post": post,
        "ancestors": cards(rt.settings, thread.ancestors),
        "replies": cards(rt.settings, thread.descendants),
        "remix_parents": cards(rt.settings, lineage.ancestors),
        "remix_children": cards(rt.settings, lineage.descendants),
        "canonical": post.url,
    }


@router.post("/@{username}/{status_id}/replies")
async def reply(
    request: Request,
    username: str,
    status_id: str,
    caller: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    form = await checked_form(request)
    view = await _post(rt, request, username, status_id, caller.viewer_id)
    text = form.get("status", "")
    try:
        if not text.strip():
            raise Invalid("Write something to reply.")
        await statuses.create(
            rt,
            caller.account_id,
            NewStatus(
                text=text, in_reply_to_id=view.status.id, visibility=_reply_visibility(view.status.visibility)
            ),
        )
    except PixieError as failed:
        # The draft stays in the box, with the reason next to it.
        return render(
            rt,
            request,
            "post.html",
            status_code=failed.status_code,
            title="Reply",
            reply_text=text,
            reply_error=failed.message,
            **await _page_context(rt, view, caller.viewer_id),
        )
    return RedirectResponse(f"/@{view.account.username}/{view.status.id}#replies", status_code=303)


def _reply_visibility(parent: str) -> str:
    # A reply is never more public than what it answers.
    return parent if parent in ("private", "direct", "unlisted") else "public"


async def _answer_actions(rt: Runtime, request: Request, view: StatusView) -> Response:
    if is_htmx(request):
        return render(rt, request, "partials/actions.html", p=card(status_entity(rt.settings, view)))
    back = request.headers.get("referer") or "/"
    return RedirectResponse(back if back.startswith(rt.settings.base_url) else "/", status_code=303)


@router.post("/web/posts/{status_id}/{action}")
async def react(
    request: Request,
    status_id: str,
    action: str,
    caller: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    """Like, Repost and Bookmark, on (``on=1``) or off (``on=0``)."""
    form = await checked_form(request)
    target, on, me = parse_id(status_id), form.get("on") != "0", caller.account_id
    if action == "favourite":
        view = await reactions.favourite(rt, me, target, on=on)
    elif action == "bookmark":
        view = await reactions.bookmark(rt, me, target, on=on)
    elif action == "reblog" and on:
        wrapper = await reblogs.reblog(rt, me, target)
        view = wrapper.reblog or wrapper
    elif action == "reblog":
        view = await reblogs.unreblog(rt, me, target)
    else:
        raise NotFoundPage()
    return await _answer_actions(rt, request, view)
