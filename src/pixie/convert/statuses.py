"""Status and StatusEdit entities."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.convert.accounts import account
from pixie.convert.common import timestamp
from pixie.convert.media import attachment
from pixie.convert.polls import poll
from pixie.services.statuses import StatusView, Version


def status(settings: Settings, view: StatusView, *, with_source: bool = False) -> dict[str, Any]:
    s = view.status
    url = settings.url(f"/@{view.account.username}/{s.id}")
    entity: dict[str, Any] = {
        "id": str(s.id),
        # A reblog is an activity (an Announce) rather than a note, as on Mastodon.
        "uri": settings.url(
            f"/users/{view.account.username}/statuses/{s.id}" + ("/activity" if view.reblog else "")
        ),
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
        "reblog": status(settings, view.reblog) if view.reblog is not None else None,
        "poll": poll(view.poll) if view.poll is not None else None,
        "card": None,
        "language": s.language,
        "text": s.text if with_source else None,
        "filtered": [],
        # The viewer's own state.
        "favourited": view.favourited,
        "reblogged": view.reblogged,
        "muted": view.muted,
        "bookmarked": view.bookmarked,
        "pinned": view.pinned,
        # Pixie's own fields: generation metadata arrives with the generation issue.
        "pixie": {},
    }
    return entity


def status_edit(settings: Settings, version: Version) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "content": version.content,
        "spoiler_text": version.spoiler_text,
        "sensitive": version.sensitive,
        "created_at": timestamp(version.created_at),
        "account": account(settings, version.account),
        "media_attachments": [],
        "emojis": [],
    }
    if version.poll_options is not None:
        entity["poll"] = {"options": [{"title": title} for title in version.poll_options]}
    return entity
