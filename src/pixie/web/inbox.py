"""What comes to a person: notifications (grouped, live), direct messages (live), bookmarks."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from pixie.api.deps import Caller, runtime
from pixie.api.schemas import as_id
from pixie.convert.accounts import account as account_entity
from pixie.convert.cards import NoticeGroup, cards, chat, notice_groups, person
from pixie.convert.conversations import conversation as conversation_entity
from pixie.convert.notifications import grouped
from pixie.errors import Invalid, PixieError
from pixie.infra.runtime import Runtime
from pixie.services import (
    accounts,
    conversations,
    follows,
    markers,
    media,
    notifications,
    reactions,
    statuses,
    threads,
)
from pixie.services.paging import Paging
from pixie.services.statuses import NewStatus
from pixie.web.deps import WebAuth
from pixie.web.pages import checked_files_form, checked_form, render, uploaded_files
from pixie.web.routing import NotFoundPage, is_htmx, web_router

router = web_router()


async def _groups(rt: Runtime, account_id: int) -> list[NoticeGroup]:
    page = await notifications.grouped_page(
        rt,
        account_id,
        Paging(limit=40),
        notifications.Filters(),
        list(notifications.parse_grouped_types(None)),
    )
    if page.cursors:
        await markers.save_markers(rt, account_id, {"notifications": max(page.cursors)})
    return notice_groups(grouped(rt.settings, page))


@router.get("/notifications")
async def notifications_page(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    groups = await _groups(rt, caller.account_id)
    template = "partials/notifications.html" if is_htmx(request) else "notifications.html"
    waiting = await follows.requests(rt, caller.account_id, Paging(limit=40))
    requests = [person(account_entity(rt.settings, a)) for a in waiting.accounts]
    return render(rt, request, template, title="Notifications", groups=groups, requests=requests)


@router.post("/web/follow_requests/{account_id}/{decision}")
async def decide_follow_request(
    request: Request,
    account_id: str,
    decision: str,
    caller: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    """A locked account lets someone follow it, or not."""
    await checked_form(request)
    requester = as_id(account_id)
    if requester is None or decision not in ("accept", "reject"):
        raise NotFoundPage()
    await follows.decide_request(rt, caller.account_id, requester, accept=decision == "accept")
    return RedirectResponse("/notifications", status_code=303)


@router.get("/bookmarks")
async def bookmarks_page(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    page = await reactions.bookmarks(rt, caller.account_id, Paging(limit=40))
    return render(rt, request, "bookmarks.html", title="Bookmarks", posts=cards(rt.settings, page.views))


@router.get("/messages")
async def messages_page(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    found = await conversations.page(rt, caller.account_id, Paging(limit=40))
    chats = [chat(conversation_entity(rt.settings, c)) for c in found]
    template = "partials/chats.html" if is_htmx(request) else "messages.html"
    return render(
        rt, request, template, title="Messages", chats=chats, to=request.query_params.get("to", ""), draft=""
    )


async def _chat_page(
    rt: Runtime,
    request: Request,
    account_id: int,
    conversation_id: int,
    *,
    status_code: int = 200,
    draft: str = "",
    error: str | None = None,
) -> Response:
    view = await conversations.get(rt, account_id, conversation_id)
    if view.conversation.unread:
        view = await conversations.mark_read(rt, account_id, conversation_id)
    entity = chat(conversation_entity(rt.settings, view))
    messages = []
    if view.last_status is not None:
        thread = await threads.context(rt, view.last_status.status.id, account_id)
        direct = [v for v in thread.ancestors if v.status.visibility == "direct"]
        messages = cards(rt.settings, [*direct, view.last_status])
    template = "partials/chat.html" if is_htmx(request) and request.method == "GET" else "chat.html"
    return render(
        rt,
        request,
        template,
        status_code=status_code,
        title="Messages",
        chat=entity,
        messages=messages,
        me=str(account_id),
        draft=draft,
        error=error,
    )


@router.get("/messages/{conversation_id}")
async def chat_page(
    request: Request,
    conversation_id: str,
    caller: Caller = Depends(WebAuth(signed_in=True)),
    rt: Runtime = Depends(runtime),
) -> Response:
    found = as_id(conversation_id)
    if found is None:
        raise NotFoundPage()
    return await _chat_page(rt, request, caller.account_id, found)


def _addressed(text: str, names: list[str]) -> str:
    """A direct message names its recipients, as Mastodon's are addressed."""
    missing = [n for n in names if f"@{n.lower()}" not in text.lower()]
    return " ".join(f"@{n}" for n in missing) + (" " if missing else "") + text


@router.post("/messages")
async def send_message(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    """A new conversation (``to``), or a message in one (``conversation``), with an image or not."""
    form, submitted = await checked_files_form(request, max_files=2)
    pictures = uploaded_files(submitted, "image")[:1]
    text = form.get("status", "")
    conversation_id = as_id(form.get("conversation"))
    reply_to = None
    names: list[str] = []
    try:
        if not text.strip() and not pictures:
            raise Invalid("Write a message first.")
        if conversation_id is not None:
            view = await conversations.get(rt, caller.account_id, conversation_id)
            names = [a.username for a in view.accounts]
            reply_to = view.last_status.status.id if view.last_status is not None else None
        else:
            to = form.get("to", "").strip().lstrip("@")
            try:
                names = [(await accounts.lookup(rt, to)).username]
            except PixieError:
                raise Invalid(f"There is no one called @{to} here.") from None
        media_ids = [
            (
                await media.upload(
                    rt,
                    caller.account_id,
                    await p.read(rt.settings.media_max_bytes + 1),
                    description=form.get("alt", ""),
                )
            ).id
            for p in pictures
        ]
        posted = await statuses.create(
            rt,
            caller.account_id,
            NewStatus(
                text=_addressed(text, names),
                visibility="direct",
                in_reply_to_id=reply_to,
                media_ids=media_ids,
            ),
        )
    except PixieError as refused:
        # The draft stays, with the reason (the recipient's setting, say) next to it.
        if conversation_id is not None:
            return await _chat_page(
                rt,
                request,
                caller.account_id,
                conversation_id,
                status_code=refused.status_code,
                draft=text,
                error=refused.message,
            )
        found = await conversations.page(rt, caller.account_id, Paging(limit=40))
        return render(
            rt,
            request,
            "messages.html",
            status_code=refused.status_code,
            title="Messages",
            chats=[chat(conversation_entity(rt.settings, c)) for c in found],
            to=form.get("to", ""),
            draft=text,
            error=refused.message,
        )
    mine = await conversations.page(rt, caller.account_id, Paging(limit=40))
    target = next(
        (c.conversation.id for c in mine if c.last_status and c.last_status.status.id == posted.status.id),
        None,
    )
    return RedirectResponse(f"/messages/{target}" if target else "/messages", status_code=303)
