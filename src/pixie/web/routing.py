"""Web routes answer errors with pages, not JSON: a missing post is a 404 page, a form that
needs a session sends the person to sign in, and an htmx request gets a short message instead."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from pixie.errors import NotFound, PixieError, Unauthorized


class NotFoundPage(NotFound):
    def __init__(self) -> None:
        super().__init__("This page does not exist, or you may not see it.")


class SignInRequired(Unauthorized):
    def __init__(self) -> None:
        super().__init__("Sign in to see this page.")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = request.headers.get("hx-current-url") or "/"
    location = "/auth/sign_in?next=" + quote(target, safe="/")
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


class WebRoute(APIRoute):
    """A route whose domain errors become pages (see pixie.web.pages.error_page)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return sign_in_redirect(request)
            except PixieError as exc:
                from pixie.web.pages import error_page

                return error_page(request, exc.status_code, exc.message)

        return handle


def web_router() -> APIRouter:
    """A router for pages: left out of the OpenAPI document (it describes the client API)."""
    return APIRouter(route_class=WebRoute, include_in_schema=False)
