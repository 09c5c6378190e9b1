"""Status and StatusEdit entities."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.convert import filters
from pixie.convert.accounts import account
from pixie.convert.common import timestamp
from pixie.convert.generations import on_status
from pixie.convert.media import attachment
from pixie.convert.polls import poll
from pixie.services.edits import Version
from pixie.services.status_views import StatusView


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
        "filtered": [filters.result(m) for m in view.filtered],
        # The viewer's own state.
        "favourited": view.favourited,
        "reblogged": view.reblogged,
        "muted": view.muted,
        "bookmarked": view.bookmarked,
        "pinned": view.pinned,
        # Pixie's own fields (they depend on the reader: a hidden prompt shows to its author only).
        "pixie": pixie_part(view),
    }
    return entity


def pixie_part(view: StatusView) -> dict[str, Any]:
    s = view.status
    made_from = view.generation
    return {
        "generation": on_status(made_from, show_prompt=view.show_prompt) if made_from is not None else None,
        "remix_of": str(s.remix_of_id) if s.remix_of_id is not None else None,
        "remixes_count": s.remixes_count,
        "allow_remix": s.allow_remix,
    }


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


# --- timeline pages as bytes, from cached renderings -----------------------------------------------
#
