"""The web app's live connection: one server-sent event stream per open page, carrying the
signed-in person's user and direct streams exactly as Mastodon apps receive them. Pages react to
an event by asking for the fragment it changes (htmx ``hx-trigger="sse:update"``), so every
fragment is rendered by the same read rules as the page itself."""

from __future__ import annotations

from fastapi import Depends, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from pixie.api.deps import Caller, runtime
from pixie.api.streaming import serve_sse
from pixie.infra.runtime import Runtime
from pixie.realtime import streams
from pixie.realtime.hub import Hub
from pixie.services import notifications
from pixie.services.oauth import Principal
from pixie.web.deps import WebAuth
from pixie.web.pages import render
from pixie.web.routing import web_router

router = web_router()
BADGE_MOST = 99


class EventStream(Response):
    def __init__(self, hub: Hub, principal: Principal) -> None:
        super().__init__()
        self.hub = hub
        self.principal = principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = [streams.parse("user"), streams.parse("direct")]
        await serve_sse(self.hub, scope, receive, send, self.principal, wanted)


@router.get("/web/stream")
async def stream(request: Request, caller: Caller = Depends(WebAuth(signed_in=True))) -> Response:
    assert caller.principal is not None
    return EventStream(request.app.state.hub, caller.principal)


@router.get("/web/badge")
async def badge(
    request: Request, caller: Caller = Depends(WebAuth(signed_in=True)), rt: Runtime = Depends(runtime)
) -> Response:
    """The unread notifications count beside "Notifications"."""
    count = await notifications.unread_count(rt, caller.account_id, notifications.Filters(), most=BADGE_MOST)
    return render(rt, request, "partials/badge.html", count=count, most=BADGE_MOST)
