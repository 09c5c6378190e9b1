"""Status and StatusEdit entities."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
from cachetools import LRUCache

from pixie.config import Settings
from pixie.convert import filters
from pixie.convert.accounts import account
from pixie.convert.common import timestamp
from pixie.convert.generations import on_status
from pixie.convert.media import attachment
from pixie.convert.polls import poll
from pixie.models.accounts import Account
from pixie.models.statuses import Status
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
# A post renders the same for every reader except for the reader's own marks (favourited, reblogged,
# muted, bookmarked, pinned), its poll (own votes) and the reader's filters it matches. The rest is
# kept as JSON bytes per post and reused while the post and its author are unchanged; the reader's
# part is appended per request. The check is a stamp of every column the shared part shows, so a
# stale copy is never served, in any process, without invalidation messages.

_VIEWER_KEYS = (
    "favourited",
    "reblogged",
    "muted",
    "bookmarked",
    "pinned",
    "poll",
    "filtered",
    "reblog",
    "pixie",
)
# About 3 KB per post: ten thousand posts is some 30 MB per process.
_RENDERED: LRUCache[int, tuple[tuple[Any, ...], bytes]] = LRUCache(maxsize=10_000)


def _stamp(s: Status, author: Account) -> tuple[Any, ...]:
    return (
        s.edited_at,
        s.content,
        s.spoiler_text,
        s.sensitive,
        s.visibility,
        s.language,
        s.favourites_count,
        s.reblogs_count,
        s.replies_count,
        s.in_reply_to_id,
        s.in_reply_to_account_id,
        author.updated_at,
    )


def reusable(s: Status, author: Account) -> bytes | None:
    """The shared part of a post rendered earlier, if it is still current (a ``Reuse``)."""
    kept = _RENDERED.get(s.id)
    if kept is None or kept[0] != _stamp(s, author):
        return None
    return kept[1]


def _shared(settings: Settings, view: StatusView) -> bytes:
    """The post's JSON without the reader's part, as an unclosed object (no final brace)."""
    if isinstance(view.rendered, bytes):
        return view.rendered
    entity = status(settings, view)
    for key in _VIEWER_KEYS:
        del entity[key]
    shared = orjson.dumps(entity)[:-1]
    _RENDERED[view.status.id] = (_stamp(view.status, view.account), shared)
    return shared


def _readers_part(view: StatusView) -> dict[str, Any]:
    return {
        "favourited": view.favourited,
        "reblogged": view.reblogged,
        "muted": view.muted,
        "bookmarked": view.bookmarked,
        "pinned": view.pinned,
        "poll": poll(view.poll) if view.poll is not None else None,
        "filtered": [filters.result(m) for m in view.filtered],
        "pixie": pixie_part(view),
    }


def status_json(settings: Settings, view: StatusView) -> bytes:
    """One post as JSON bytes, the same entity as ``status``."""
    if view.reblog is None:
        own = orjson.dumps(_readers_part(view))
        return _shared(settings, view) + b"," + own[1:-1] + b',"reblog":null}'
    # A reblog is rendered whole (it is small); its original comes from the cache.
    wrapper = status(settings, replace(view, reblog=None))
    del wrapper["reblog"]
    return orjson.dumps(wrapper)[:-1] + b',"reblog":' + status_json(settings, view.reblog) + b"}"


def status_page(settings: Settings, views: list[StatusView]) -> bytes:
    """A page of posts as a JSON array."""
    return b"[" + b",".join(status_json(settings, v) for v in views) + b"]"
