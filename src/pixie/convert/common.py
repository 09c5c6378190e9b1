from __future__ import annotations

import html
from datetime import datetime


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and Z, as Mastodon writes times."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def text_to_html(text: str) -> str:
    """Plain text (a bio, a field) as the HTML Mastodon clients expect: escaped, in paragraphs."""
    if not text:
        return ""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br />") + "</p>" for p in paragraphs)
