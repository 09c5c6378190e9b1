"""Structured logs (key=value text or JSON lines) with the request id bound to every line."""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog


def configure_logging(level: str, *, json: bool) -> None:
    """Structured logs (key=value or JSON lines) for Pixie's loggers and the libraries' alike."""
    # Plain tracebacks: a rich one would print local variables, tokens among them.
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True  # ours carries the request id
    access_log.configure(
        json=json, enabled=logging.getLogger("pixie.access").isEnabledFor(logging.INFO), stream=sys.stderr
    )


def _drop_color_message(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    # Uvicorn adds an ANSI-coloured copy of each message; the plain one is enough.
    event.pop("color_message", None)
    return event


class AccessLog:
    """One line per request, written without the logging machinery once logging is configured.

    An access line through ``logging`` and structlog's formatter costs about a tenth of a
    cached timeline request; here it is one string and a buffered write, flushed a moment later
    (or when the buffer fills), in the same form the configured logs use. Until
    ``configure_logging`` runs (tests, embedding), lines go to the ``pixie.access`` logger.
    """

    FLUSH_SECONDS = 0.2
    FLUSH_LINES = 200

    def __init__(self) -> None:
        self._json: bool | None = None  # None: not configured, use the logger
        self._enabled = True
        self._stream: Any = None
        self._lines: list[str] = []
        self._flush_scheduled = False

    def configure(self, *, json: bool, enabled: bool, stream: Any) -> None:
        self._json = json if enabled else None
        self._enabled = enabled
        self._stream = stream

    def record(self, method: str, path: str, status: int, duration_ms: float, request_id: str) -> None:
        if self._json is None:
            if self._enabled:
                _access.info(
                    "%s %s %s",
                    method,
                    path,
                    status,
                    extra={"status": status, "duration_ms": duration_ms, "request_id": request_id},
                )
            return
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        if self._json:
            line = orjson.dumps(
                {
                    "event": f"{method} {path} {status}",
                    "request_id": request_id,
                    "level": "info",
                    "logger": "pixie.access",
                    "status": status,
                    "duration_ms": duration_ms,
                    "timestamp": now,
                }
            ).decode()
        else:
            line = (
                f"{now} [info     ] {method} {path} {status} [pixie.access]"
                f" duration_ms={duration_ms} request_id={request_id} status={status}"
            )
        self._lines.append(line)
        if len(self._lines) >= self.FLUSH_LINES:
            self.flush()
        elif not self._flush_scheduled:
            try:
                asyncio.get_running_loop().call_later(self.FLUSH_SECONDS, self.flush)
                self._flush_scheduled = True
            except RuntimeError:
                self.flush()

    def flush(self) -> None:
        self._flush_scheduled = False
        if self._lines and self._stream is not None:
            lines, self._lines = self._lines, []
            try:
                self._stream.write("\n".join(lines) + "\n")
                self._stream.flush()
            except (OSError, ValueError):
                pass  # a closed stream at shutdown: nothing to do


_access = logging.getLogger("pixie.access")
access_log = AccessLog()
