"""Status entities."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.convert.accounts import account
from pixie.convert.common import timestamp
from pixie.convert.media import attachment
from pixie.services.statuses import StatusView


def status(settings: Settings, view: StatusView, *, with_source: bool = False) -> dict[str, Any]:
    s = view.status
    url = settings.url(f"/@{view.account.username}/{s.id}")
    entity: dict[str, Any] = {
        "id": str(s.id),
        "uri": settings.url(f"/users/{view.account.username}/statuses/{s.id}"),
        "url": url,
        "created_at": timestamp(s.created_at),
        "edited_at": timestamp(s.edited_at),
        "account": account(settings, view.account),
        "content": s.content,
        "visibility": s.visibility,
        "sensitive": s.sensitive,
        "spoiler_text": s.spoiler_text,
        "media_attachments": [attachment(settings, m) for m in view.media],
        "application": None,
        "mentions": [
            {
                "id": str(a.id),
                "username": a.username,
                "url": settings.url(f"/@{a.username}"),
                "acct": a.username,
            }
            for a in view.mentions
        ],
        "tags": [{"name": t.name.lower(), "url": settings.url(f"/tags/{t.name.lower()}")} for t in view.tags],
        "emojis": [],
        "reblogs_count": s.reblogs_count,
        "favourites_count": s.favourites_count,
        "replies_count": s.replies_count,
        "in_reply_to_id": str(s.in_reply_to_id) if s.in_reply_to_id else None,
        "in_reply_to_account_id": str(s.in_reply_to_account_id) if s.in_reply_to_account_id else None,
        "reblog": None,
        "poll": None,
        "card": None,
        "language": s.language,
        "text": s.text if with_source else None,
        "filtered": [],
        # The viewer's own state; reblogs, mutes and pins arrive later in the social core.
        "favourited": view.favourited,
        "reblogged": False,
        "muted": False,
        "bookmarked": view.bookmarked,
        "pinned": False,
        # Pixie's own fields: generation metadata arrives with the generation issue.
        "pixie": {},
    }
    return entity
