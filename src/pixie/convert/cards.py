"""The web app's view of a post and an account, made from the Mastodon entities that
convert/statuses.py and convert/accounts.py render: a field is computed once, for every client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pixie.config import Settings
from pixie.convert.statuses import status
from pixie.services.status_views import StatusView

LABELS = {"ai_generated": "AI-generated", "sketch": "Sketch (not AI)"}


@dataclass(frozen=True)
class Person:
    id: str
    username: str
    acct: str
    display_name: str  # the username when none is set
    avatar: str
    url: str
    path: str  # the profile page on this instance
    note: str  # sanitized HTML
    locked: bool
    followers_count: int
    following_count: int
    statuses_count: int


@dataclass(frozen=True)
class Picture:
    id: str
    url: str
    preview_url: str
    srcset: str  # every rendition by width, so the browser picks what the screen needs
    width: int
    height: int
    alt: str
    blurhash: str | None
    label: str | None


@dataclass(frozen=True)
class Card:
    """One post as the web app shows it. For a reblog, the original, with who reposted it."""

    id: str  # the post shown (the original of a reblog)
    entry_id: str  # the timeline entry (the reblog itself): what paging counts from
    path: str
    url: str
    author: Person
    reposted_by: Person | None
    content: str  # sanitized HTML, as the API serves it
    spoiler_text: str
    sensitive: bool
    visibility: str
    created_at: datetime
    pictures: list[Picture]
    label: str | None  # "AI-generated", "Sketch (not AI)", or None for a photo
    prompt: str | None
    model: str | None
    seed: int | None
    style: str | None
    remix_of: str | None
    remixes_count: int
    allow_remix: bool
    replies_count: int
    reblogs_count: int
    favourites_count: int
    favourited: bool
    reblogged: bool
    bookmarked: bool
    in_reply_to_id: str | None
    provenance: str | None  # where the first image came from, in words


def person(entity: dict[str, Any]) -> Person:
    return Person(
        id=entity["id"],
        username=entity["username"],
        acct=entity["acct"],
        display_name=entity["display_name"] or entity["username"],
        avatar=entity["avatar"],
        url=entity["url"],
        path=f"/@{entity['acct']}",
        note=entity.get("note") or "",
        locked=bool(entity.get("locked")),
        followers_count=int(entity.get("followers_count") or 0),
        following_count=int(entity.get("following_count") or 0),
        statuses_count=int(entity.get("statuses_count") or 0),
    )


def _picture(m: dict[str, Any]) -> Picture | None:
    if m.get("type") != "image" or not m.get("url"):
        return None
    meta, extra = m.get("meta") or {}, m.get("pixie") or {}
    original = meta.get("original") or {}
    small = meta.get("small") or {}
    widths: dict[int, str] = {}
    if small and m.get("preview_url"):
        widths[small["width"]] = m["preview_url"]
    for name in ("thumbnail", "large"):
        rendition = extra.get(name)
        if rendition:
            widths[rendition["width"]] = rendition["url"]
    if original:
        widths.setdefault(original["width"], m["url"])
    label = ((extra.get("provenance") or {}).get("label")) or "none"
    return Picture(
        id=m["id"],
        url=(extra.get("large") or {}).get("url") or m["url"],
        preview_url=m.get("preview_url") or m["url"],
        srcset=", ".join(f"{url} {width}w" for width, url in sorted(widths.items())),
        width=int(original.get("width") or small.get("width") or 1),
        height=int(original.get("height") or small.get("height") or 1),
        alt=m.get("description") or "",
        blurhash=m.get("blurhash"),
        label=LABELS.get(label),
    )


def card(entity: dict[str, Any]) -> Card:
    """A Status entity (convert.statuses.status) as the web app's card."""
    shown = entity["reblog"] or entity
    pictures = [p for p in (_picture(m) for m in shown["media_attachments"]) if p is not None]
    extra = shown.get("pixie") or {}
    generation = extra.get("generation") or {}
    first = shown["media_attachments"][0] if shown["media_attachments"] else {}
    return Card(
        id=shown["id"],
        entry_id=entity["id"],
        path=f"/@{shown['account']['acct']}/{shown['id']}",
        url=shown["url"],
        author=person(shown["account"]),
        reposted_by=person(entity["account"]) if entity["reblog"] else None,
        content=shown["content"],
        spoiler_text=shown["spoiler_text"],
        sensitive=bool(shown["sensitive"]),
        visibility=shown["visibility"],
        created_at=datetime.fromisoformat(shown["created_at"].replace("Z", "+00:00")),
        pictures=pictures,
        label=next((p.label for p in pictures if p.label), None),
        prompt=generation.get("prompt"),
        model=generation.get("model"),
        seed=generation.get("seed"),
        style=generation.get("style"),
        remix_of=extra.get("remix_of"),
        remixes_count=int(extra.get("remixes_count") or 0),
        allow_remix=extra.get("allow_remix") is not False,  # None: the author's default, which allows
        replies_count=shown["replies_count"],
        reblogs_count=shown["reblogs_count"],
        favourites_count=shown["favourites_count"],
        favourited=bool(shown.get("favourited")),
        reblogged=bool(shown.get("reblogged")),
        bookmarked=bool(shown.get("bookmarked")),
        in_reply_to_id=shown["in_reply_to_id"],
        provenance=_provenance(first, made_here=bool(generation)),
    )


def _provenance(first: dict[str, Any], *, made_here: bool) -> str | None:
    """Where the first image came from, as the post page says it."""
    if not first:
        return None
    found = (first.get("pixie") or {}).get("provenance") or {}
    c2pa, label = found.get("c2pa"), found.get("label")
    if made_here:
        state = (c2pa or {}).get("validation_state") or "unsigned"
        return (
            f"Made and signed by this instance (C2PA, {state.lower()})" if c2pa else "Made on this instance"
        )
    if c2pa and c2pa.get("ingredients"):
        said = c2pa.get("digital_source_type") or "no source type"
        earlier = (c2pa.get("parent_validation_state") or "unchecked").lower()
        return (
            f"The uploaded file carried a C2PA manifest ({earlier}) saying {said}; this instance "
            f"signed it again, keeping that history ({str(c2pa.get('validation_state')).lower()})"
        )
    if label == "ai_generated":
        return "The uploaded file is marked as made by AI (its IPTC digital source type)"
    return None


def cards(settings: Settings, views: list[StatusView]) -> list[Card]:
    return [card(status(settings, view)) for view in views]


@dataclass(frozen=True)
class NoticeGroup:
    """A group of notifications as the web app lists it ("ada and 2 others liked your post")."""

    type: str
    count: int
    accounts: list[Person]
    post: Card | None
    latest_at: datetime


def notice_groups(entity: dict[str, Any]) -> list[NoticeGroup]:
    """The web's view of a grouped notifications page (convert.notifications.grouped)."""
    people = {a["id"]: person(a) for a in entity["accounts"]}
    posts = {s["id"]: card(s) for s in entity["statuses"]}
    return [
        NoticeGroup(
            type=g["type"],
            count=g["notifications_count"],
            accounts=[people[i] for i in g["sample_account_ids"] if i in people],
            post=posts.get(g.get("status_id") or ""),
            latest_at=datetime.fromisoformat(g["latest_page_notification_at"].replace("Z", "+00:00")),
        )
        for g in entity["notification_groups"]
    ]


@dataclass(frozen=True)
class Chat:
    """A direct conversation in the messages list."""

    id: str
    unread: bool
    with_people: list[Person]
    last: Card | None


def chat(entity: dict[str, Any]) -> Chat:
    return Chat(
        id=entity["id"],
        unread=bool(entity["unread"]),
        with_people=[person(a) for a in entity["accounts"]],
        last=card(entity["last_status"]) if entity["last_status"] else None,
    )
