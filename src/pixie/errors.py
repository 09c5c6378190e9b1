"""Typed domain errors. Services raise them; one handler in api/ maps each to its status code and
Mastodon's ``{"error": "..."}`` body."""

from __future__ import annotations


class PixieError(Exception):
    status_code = 400

    def __init__(self, message: str, *, description: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.description = description


class BadRequest(PixieError):
    status_code = 400


class Unauthorized(PixieError):
    status_code = 401


class Forbidden(PixieError):
    status_code = 403


class NotFound(PixieError):
    status_code = 404

    def __init__(self, message: str = "Record not found", **kwargs: str | None) -> None:
        super().__init__(message, **kwargs)


class Conflict(PixieError):
    status_code = 409


class TooLarge(PixieError):
    status_code = 413


class Invalid(PixieError):
    """422: the request was understood but its content is not acceptable."""

    status_code = 422


class RateLimited(PixieError):
    status_code = 429

    def __init__(self, message: str = "Too many requests", *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(PixieError):
    """503: a service Pixie depends on is down; the request may be tried again later."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int = 30) -> None:
        super().__init__(message)
        self.retry_after = retry_after
