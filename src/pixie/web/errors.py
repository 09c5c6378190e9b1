"""A browser that asks for a page Pixie does not have gets a real 404 page; the API, OAuth and
the other machine-read paths keep Mastodon's JSON errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from pixie.api.errors import http_error
from pixie.web.pages import error_page

MACHINE_PATHS = (
    "/api/",
    "/oauth/",
    "/.well-known/",
    "/nodeinfo",
    "/media/",
    "/static/",
    "/assets/",
    "/users/",
)


def is_page(request: Request) -> bool:
    return request.method in ("GET", "HEAD") and not request.url.path.startswith(MACHINE_PATHS)


async def _http(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 404 and is_page(request):
        return error_page(request, 404, "This page does not exist, or you may not see it.")
    return await http_error(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
