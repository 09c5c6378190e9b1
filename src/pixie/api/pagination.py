"""Mastodon's paging parameters in, and its Link header out."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import Request
from pydantic import Field

from pixie.api.schemas import Loose, as_id
from pixie.config import Settings
from pixie.services.paging import Paging


class PageQuery(Loose):
    max_id: str | None = Field(None, max_length=20)
    since_id: str | None = Field(None, max_length=20)
    min_id: str | None = Field(None, max_length=20)
    limit: int = Field(40, ge=1, le=1000)

    def paging(self, *, default_limit: int = 40, most: int = 80) -> Paging:
        limit = min(self.limit if "limit" in self.model_fields_set else default_limit, most)
        # A cursor that is not an id pages from the start, as Mastodon does.
        return Paging(as_id(self.max_id), as_id(self.since_id), as_id(self.min_id), limit)


def link_header(settings: Settings, request: Request, cursors: list[int]) -> dict[str, str]:
    """Link: <...?max_id=oldest>; rel="next", <...?min_id=newest>; rel="prev" (absolute, from the
    base URL), keeping the request's other query parameters."""
    if not cursors:
        return {}
    kept = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("max_id", "since_id", "min_id")
    ]
    # The path as sent, percent-encoded: a header carries ASCII only (a #Σοφία timeline).
    base = settings.url(quote(request.scope["path"], safe="/:@!$&'()*+,;="))
    next_url = f"{base}?{urlencode([*kept, ('max_id', str(cursors[-1]))])}"
    prev_url = f"{base}?{urlencode([*kept, ('min_id', str(cursors[0]))])}"
    return {"Link": f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'}
