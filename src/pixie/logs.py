"""Structured logs (key=value text or JSON lines) with the request id bound to every line."""

from __future__ import annotations

import logging
from typing import Any

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


def _drop_color_message(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    # Uvicorn adds an ANSI-coloured copy of each message; the plain one is enough.
    event.pop("color_message", None)
    return event
