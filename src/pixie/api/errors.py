"""One place that turns errors into Mastodon's ``{"error": "..."}`` answers."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from pixie.api.responses import error
from pixie.errors import PixieError, RateLimited, Unavailable
from pixie.services.accounts import ValidationFailed

log = logging.getLogger("pixie.api")

_HTTP_MESSAGES = {
    404: "Not Found",  # no such route; a missing record is NotFound, "Record not found"
    405: "This method is not allowed",
    413: "The request body is too large",
}


async def http_error(request: Request, exc: HTTPException) -> Response:
    """No such route or method, or a body too large: Mastodon's JSON error."""
    message = _HTTP_MESSAGES.get(exc.status_code) or str(exc.detail)
    return error(exc.status_code, message, headers=dict(exc.headers or {}))


def install(app: FastAPI) -> None:
    @app.exception_handler(PixieError)
    async def _domain(request: Request, exc: PixieError) -> Response:
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited | Unavailable) else None
        )
        if isinstance(exc, ValidationFailed):
            return error(exc.status_code, exc.message, details=exc.details)
        return error(exc.status_code, exc.message, description=exc.description, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()
        )
        return error(422, f"Validation failed: {problems}")

    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        request_id = request.scope.get("state", {}).get("request_id", "")
        log.exception("unexpected error", extra={"request_id": request_id, "path": request.url.path})
        return error(500, "Something went wrong on our side", description=f"request id {request_id}")
