"""Who sees what, through every read path at once.

One world: alice writes posts of every visibility (each with an image), a poll, hashtags and a
thread; bob follows her, reblogs and lists her; carol is mentioned in her direct post; dave is a
stranger (who followed, bookmarked and unfollowed); erin followed, reacted, reblogged and was then
blocked. Every read path that can answer statuses, their media, polls or notifications is asked by
each of them and by an anonymous caller, and whatever posts and images turn up anywhere in the
answers are compared with one table of who may see which post.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from pixie.app import api_routes
from pixie.models.notifications import Notification, NotificationRequest
from pixie.models.statuses import Status
from tests.conftest import Instance, bearer
from tests.media import images

VIEWERS = ("alice", "bob", "carol", "dave", "erin", "anonymous")
EVERYONE = frozenset(VIEWERS)

# Who may see each post: the table every answer is checked against.
VISIBLE: dict[str, frozenset[str]] = {
    # alice's posts
    "public": EVERYONE - {"erin"},  # blocked by alice
    "unlisted": EVERYONE - {"erin"},
    "private": frozenset({"alice", "bob"}),  # followers-only: bob follows; dave unfollowed
    "poll": frozenset({"alice", "bob", "carol"}),  # followers-only, mentions carol
    "direct": frozenset({"alice", "carol"}),  # mentions carol
    "deleted": frozenset(),
    "self_reblog": frozenset({"alice", "bob"}),  # alice's reblog of her followers-only post
    "scheduled": frozenset({"alice"}),  # not published yet
    # the others'
    "reply": EVERYONE,  # bob's public reply to alice's public post: bob's, so erin sees it too
    "reblog": EVERYONE - {"erin"},  # bob's reblog of alice's public post: whoever sees both
    "deleted_reblog": frozenset(),  # bob's reblog of the deleted post goes with it
    "dave_post": EVERYONE,
    "erin_post": EVERYONE - {"alice"},  # the block hides both ways
    "erin_reblog": EVERYONE - {"alice", "erin"},  # erin's reblog of alice's post: erin cannot see it
}

# Who may come across each image: the viewers of its post, and its owner while it is an upload.
MEDIA_VISIBLE: dict[str, frozenset[str]] = {
    "public": VISIBLE["public"],
    "unlisted": VISIBLE["unlisted"],
    "private": VISIBLE["private"],
    "direct": VISIBLE["direct"],
    "deleted": frozenset({"alice"}),  # deleting a post hands its images back as uploads
    "draft": frozenset({"alice"}),  # uploaded, never posted
}

ALICE_POSTS = frozenset({"public", "unlisted", "private", "poll", "direct", "self_reblog"})
WITH_MEDIA = frozenset({"public", "unlisted", "private", "direct"})
REBLOGS = {"reblog": "public", "self_reblog": "private", "erin_reblog": "public", "deleted_reblog": "deleted"}
# The thread: public <- reply <- private, public <- direct; dave_post <- poll.
CONTEXT: dict[str, frozenset[str]] = {
    "public": frozenset({"reply", "private", "direct"}),
    "reply": frozenset({"public", "private"}),
    "private": frozenset({"public", "reply"}),
    "direct": frozenset({"public"}),
    "dave_post": frozenset({"poll"}),
    "poll": frozenset({"dave_post"}),
}
# The remix tree follows the thread: each of these posts remixes the one it answers, so a post's
# lineage (ancestors and descendants) holds what its context holds.
REMIXES = {"reply": "public", "private": "reply", "direct": "public", "poll": "dave_post"}
TAGGED = {  # the hashtags of each post, besides #sweep, which all of them carry
    "public": {"sunny"},
    "unlisted": {"rainy"},
    "private": {"sunny"},
    "direct": {"rainy"},
    "poll": set(),
    "deleted": set(),
    "reply": {"sunny"},
    "dave_post": {"rainy"},
    "erin_post": set(),
}
PUBLIC_ORIGINALS = frozenset({"public", "reply", "dave_post", "erin_post"})  # public, not reblogs

# What each viewer's own lists hold (before the table hides what they may no longer see).
FAVOURITED: dict[str, frozenset[str]] = {
    "alice": frozenset({"erin_post", "dave_post"}),
    "bob": frozenset({"public", "unlisted", "private", "poll", "deleted"}),
    "carol": frozenset({"public", "direct", "poll"}),
    "dave": frozenset({"public", "private"}),  # the followers-only one while he followed
    "erin": frozenset({"public", "private"}),  # before the block
}
BOOKMARKED = FAVOURITED  # each of them bookmarked what they favourited
# The posts each viewer's notifications are about (follows carry none).
NOTIFIED: dict[str, frozenset[str]] = {
    # mentions (bob's reply, erin's post), favourites and reblogs (whose notifications carry the
    # original); of these, the table hides erin's post and the deleted one
    "alice": frozenset({"reply", "erin_post", "public", "unlisted", "private", "poll", "direct", "deleted"}),
    "bob": frozenset({"private", "public"}),  # alice's reply to him; an edit of a post he reblogged
    # mentioned; the direct mention from alice, whom carol does not follow, waits in a request
    "carol": frozenset({"poll"}),
    "dave": frozenset({"dave_post", "poll"}),  # alice's favourite; her reply while he followed her
    "erin": frozenset(),  # alice's favourite of erin_post came from across the block
}
# Mastodon 4.2's search rule: public posts of indexable authors (alice is one), and any post one
# wrote, was mentioned in, favourited or bookmarked. Anonymous callers search no posts.
WROTE: dict[str, frozenset[str]] = {
    "alice": frozenset({"public", "unlisted", "private", "poll", "direct", "deleted"}),
    "bob": frozenset({"reply"}),
    "carol": frozenset(),
    "dave": frozenset({"dave_post"}),
    "erin": frozenset({"erin_post"}),
}
MENTIONED: dict[str, frozenset[str]] = {
    "alice": frozenset({"reply", "erin_post"}),
    "carol": frozenset({"direct", "poll"}),
}
SEARCHABLE: dict[str, frozenset[str]] = {
    viewer: frozenset({"public", "deleted"})
    | WROTE[viewer]
    | MENTIONED.get(viewer, frozenset())
    | FAVOURITED[viewer]
    | BOOKMARKED[viewer]
    for viewer in WROTE
}

# GET routes that cannot answer a status, its media, a poll or a notification, and why.
EXEMPT: dict[str, str] = {
    "/api/v1/apps/verify_credentials": "the calling app",
    "/api/v1/accounts/relationships": "relationships between accounts",
    "/api/v1/accounts/{account_id}/followers": "accounts",
    "/api/v1/accounts/{account_id}/following": "accounts",
    "/api/v1/follow_requests": "accounts",
    "/api/v1/blocks": "accounts",
    "/api/v1/mutes": "accounts",
    "/api/v1/accounts/verify_credentials": "the caller's own account",
    "/api/v1/accounts/lookup": "an account",
    "/api/v1/accounts/search": "accounts",
    "/api/v1/accounts/{account_id}": "an account",
    "/api/v1/preferences": "the caller's settings",
    "/api/v1/instance": "the instance",
    "/api/v2/instance": "the instance",
    "/api/v1/instance/rules": "the instance's rules",
    "/api/v1/custom_emojis": "none exist",
    "/media/{key:path}": "image files, under 128 random bits: who is given their URLs is checked here",
    "/api/v1/lists": "the caller's lists",
    "/api/v1/lists/{list_id}": "a list of the caller's",
    "/api/v1/lists/{list_id}/accounts": "accounts",
    "/api/v1/accounts/{account_id}/lists": "the caller's lists",
    "/api/v1/markers": "read positions, as ids the caller sent",
    "/api/v2/notifications/policy": "the caller's notification policy and counts",
    "/api/v1/notifications/requests/merged": "whether the caller's accepted requests are merged",
    "/api/v2/filters": "the caller's filters: keywords, and ids of posts it could see when it chose them",
    "/api/v2/filters/{filter_id}": "one of the caller's filters",
    "/api/v2/filters/{filter_id}/keywords": "a filter's keywords",
    "/api/v2/filters/keywords/{keyword_id}": "a filter keyword",
    "/api/v2/filters/{filter_id}/statuses": "ids of posts the caller filtered (tests/api/test_filters.py)",
    "/api/v2/filters/statuses/{status_filter_id}": "the id of a post the caller filtered",
    "/api/v1/filters": "the caller's filters, v1",
    "/api/v1/filters/{filter_id}": "one of the caller's filters, v1",
    "/api/v1/followed_tags": "hashtags",
    "/api/v1/trends/tags": "hashtags and their counts of use",
    "/api/v1/trends/links": "always empty",
    "/api/v2/suggestions": "accounts",
    "/oauth/authorize": "the consent page",
    "/auth/confirmation": "an e-mail confirmation page",
    "/auth/password/new": "a password reset page",
    "/auth/password/edit": "a password reset page",
    "/.well-known/webfinger": "account discovery",
    "/.well-known/nodeinfo": "server discovery",
    "/nodeinfo/2.1": "server metadata",
    "/nodeinfo/2.0": "server metadata",
    "/.well-known/oauth-authorization-server": "OAuth metadata",
    "/health": "a health check",
    "/api/v1/pixie/styles": "style presets",
    "/api/v1/pixie/generations": "the caller's own generations (tests/api/test_generations.py)",
    "/api/v1/pixie/generations/{generation_id}": "one of the caller's generations (test_generations.py)",
}

MARKER = re.compile(r"pxmark(\d+)")
MEDIA_DIR = re.compile(r"/([0-9a-f]{32})/")


# --- building the world -----------------------------------------------------------------------


@dataclass
class World:
    px: Instance
    tokens: dict[str, str] = field(default_factory=dict)  # viewer -> token
    account_ids: dict[str, int] = field(default_factory=dict)
    status_ids: dict[str, str] = field(default_factory=dict)  # post -> status id
    markers: dict[str, str] = field(default_factory=dict)  # marker number -> post
    media_ids: dict[str, str] = field(default_factory=dict)  # post -> media id
    media_dirs: dict[str, str] = field(default_factory=dict)  # 32-hex key directory -> post
    poll_ids: dict[str, str] = field(default_factory=dict)  # poll id -> post
    scheduled_id: str = ""
    list_id: str = ""

    def headers(self, viewer: str) -> dict[str, str]:
        return bearer(self.tokens[viewer]) if viewer in self.tokens else {}

    async def call(self, method: str, path: str, viewer: str, **kwargs: Any) -> Any:
        r = await self.px.client.request(method, path, headers=self.headers(viewer), **kwargs)
        assert r.status_code == 200, f"{method} {path} as {viewer}: {r.status_code} {r.text}"
        return r.json()

    def text(self, post: str, words: str) -> str:
        number = str(len(self.markers))
        self.markers[number] = post
        return f"pxmark{number} pxsweep {words} #sweep " + " ".join(f"#{t}" for t in sorted(TAGGED[post]))

    async def upload(self, post: str) -> str:
        r = await self.px.client.post(
            "/api/v2/media",
            files={"file": (f"{post}.png", images.png(48, 32), "image/png")},
            data={"description": f"the image of {post}"},
            headers=self.headers("alice"),
        )
        assert r.status_code == 200, r.text
        media = r.json()
        self.media_ids[post] = media["id"]
        for url in (media["url"], media["preview_url"]):
            found = MEDIA_DIR.search(url)
            assert found, url
            self.media_dirs[found.group(1)] = post
        return str(media["id"])

    async def post(self, post: str, viewer: str, words: str, **data: Any) -> str:
        if post in MEDIA_VISIBLE:
            data["media_ids[]"] = await self.upload(post)
        status = await self.call(
            "POST", "/api/v1/statuses", viewer, data={"status": self.text(post, words), **data}
        )
        self.status_ids[post] = status["id"]
        if status["poll"]:
            self.poll_ids[status["poll"]["id"]] = post
        return str(status["id"])

    async def reblog(self, post: str, viewer: str, original: str, **data: Any) -> None:
        reblog = await self.call(
            "POST", f"/api/v1/statuses/{self.status_ids[original]}/reblog", viewer, data=data
        )
        self.status_ids[post] = reblog["id"]

    async def react(self, viewer: str, posts: frozenset[str]) -> None:
        for post in sorted(posts):
            for action in ("favourite", "bookmark"):
                await self.call("POST", f"/api/v1/statuses/{self.status_ids[post]}/{action}", viewer)


async def build(px: Instance) -> World:
    w = World(px)
    for name in ("alice", "bob", "carol", "dave", "erin"):
        w.account_ids[name], w.tokens[name] = await px.user(name)
    alice_id = w.account_ids["alice"]
    await w.call("PATCH", "/api/v1/accounts/update_credentials", "alice", data={"indexable": "true"})
    for follower in ("bob", "dave", "erin"):
        await w.call("POST", f"/api/v1/accounts/{alice_id}/follow", follower)

    await w.post("dave_post", "dave", "hello from dave")
    await w.post("public", "alice", "the root of a thread")
    await w.post("unlisted", "alice", "quietly", visibility="unlisted")
    await w.post("reply", "bob", "@alice nice", in_reply_to_id=w.status_ids["public"])
    await w.post(
        "private", "alice", "for followers only", visibility="private", in_reply_to_id=w.status_ids["reply"]
    )
    await w.post(
        "direct", "alice", "@carol just for you", visibility="direct", in_reply_to_id=w.status_ids["public"]
    )
    await w.post(
        "poll",
        "alice",
        "@carol vote",
        visibility="private",
        in_reply_to_id=w.status_ids["dave_post"],
        **{"poll[options][]": ["yes", "no"], "poll[expires_in]": "3600"},
    )
    await w.post("deleted", "alice", "soon gone")
    await w.upload("draft")
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    w.markers[str(len(w.markers))] = "scheduled"
    scheduled = await w.call(
        "POST",
        "/api/v1/statuses",
        "alice",
        data={
            "status": f"pxmark{len(w.markers) - 1} pxsweep later #sweep",
            "scheduled_at": later,
        },
    )
    w.scheduled_id = scheduled["id"]

    await w.post("erin_post", "erin", "@alice hi")
    await w.reblog("reblog", "bob", "public")
    await w.reblog("deleted_reblog", "bob", "deleted")
    await w.reblog("erin_reblog", "erin", "public")
    await w.reblog("self_reblog", "alice", "private")
    for viewer, posts in FAVOURITED.items():
        await w.react(viewer, posts)
    for voter in ("bob", "carol"):
        await w.call("POST", f"/api/v1/polls/{next(iter(w.poll_ids))}/votes", voter, data={"choices[]": "0"})
    for pinned in ("public", "unlisted", "private"):
        await w.call("POST", f"/api/v1/statuses/{w.status_ids[pinned]}/pin", "alice")
    for edited in ("public", "private"):
        marker = next(n for n, p in w.markers.items() if p == edited)
        await w.call(
            "PUT",
            f"/api/v1/statuses/{w.status_ids[edited]}",
            "alice",
            data={
                "status": f"pxmark{marker} pxsweep edited #sweep " + " ".join(f"#{t}" for t in TAGGED[edited])
            },
        )
    async with px.rt.write() as session:
        for child, parent in REMIXES.items():
            await session.execute(
                update(Status)
                .where(Status.id == int(w.status_ids[child]))
                .values(remix_of_id=int(w.status_ids[parent]))
            )
    made = await w.call("POST", "/api/v1/lists", "bob", data={"title": "Alice"})
    w.list_id = made["id"]
    await w.call("POST", f"/api/v1/lists/{w.list_id}/accounts", "bob", data={"account_ids[]": str(alice_id)})

    # Then the changes that take access away.
    await w.call("POST", f"/api/v1/accounts/{alice_id}/unfollow", "dave")
    await w.call("POST", f"/api/v1/accounts/{w.account_ids['erin']}/block", "alice")
    await w.call("DELETE", f"/api/v1/statuses/{w.status_ids['deleted']}", "alice")
    await px.rt.dispatcher.drain()  # the search index follows posts through their events
    return w


# --- reading it back --------------------------------------------------------------------------


@dataclass
class Found:
    posts: set[str] = field(default_factory=set)
    media: set[str] = field(default_factory=set)
    strangers: set[str] = field(default_factory=set)  # status ids of no post of this world


def walk(w: World, body: Any, found: Found) -> None:
    """Every post and image anywhere in an answer: status-shaped objects (and status sources) by
    their ids, polls by theirs, v2 notification groups by their status_id, texts by their markers,
    and images by the key directory in their URLs."""
    by_id = {status_id: post for post, status_id in w.status_ids.items()}
    if isinstance(body, dict):
        status_shaped = {"id", "content", "visibility"} <= body.keys() or {
            "id",
            "text",
            "spoiler_text",
        } <= body.keys()
        references = [body["id"]] if status_shaped else []
        if isinstance(body.get("status_id"), str):
            references.append(body["status_id"])
        for status_id in references:
            if status_id in by_id:
                found.posts.add(by_id[status_id])
            else:
                found.strangers.add(status_id)
        if {"id", "options", "votes_count"} <= body.keys() and body["id"] in w.poll_ids:
            found.posts.add(w.poll_ids[body["id"]])
        for value in body.values():
            walk(w, value, found)
    elif isinstance(body, list):
        for value in body:
            walk(w, value, found)
    elif isinstance(body, str):
        for number in MARKER.findall(body):
            found.posts.add(w.markers[number])
        for directory in MEDIA_DIR.findall(body):
            found.media.add(w.media_dirs.get(directory, f"unknown image {directory}"))


Shows = frozenset[str] | Mapping[str, frozenset[str]] | None


def expand(posts: frozenset[str]) -> frozenset[str]:
    """Posts as they are answered: a reblog carries its original."""
    return posts | {REBLOGS[p] for p in posts if p in REBLOGS}


@dataclass(frozen=True)
class Probe:
    """One GET request, made by every viewer.

    ``shows``: the posts it answers to a viewer who may see them all (one set, or one per viewer,
    a viewer left out getting none); what a viewer must get is that, less what the table hides
    from them, plus the originals of the reblogs among them when ``whole`` (the path answers
    status entities). None: only what must not be there is checked. ``anchor``: the post the path
    names: an answer (200) reveals it, so it must answer only those who may see that post.
    ``signed_in``: anonymous callers get 401."""

    route: str
    path: str
    shows: Shows
    params: dict[str, Any] = field(default_factory=dict)
    anchor: str | None = None
    whole: bool = True
    signed_in: bool = False
    note: str = ""

    @property
    def label(self) -> str:
        query = "&".join(f"{k}={'|'.join(v) if isinstance(v, list) else v}" for k, v in self.params.items())
        return self.path + (f"?{query}" if query else "") + (f" ({self.note})" if self.note else "")

    def expected(self, viewer: str) -> frozenset[str] | None:
        if self.anchor is not None and viewer not in VISIBLE[self.anchor]:
            return frozenset()
        if self.signed_in and viewer == "anonymous":
            return frozenset()
        if self.shows is None:
            return None
        shows = self.shows if isinstance(self.shows, frozenset) else self.shows.get(viewer, frozenset())
        if self.anchor is not None:
            shows |= {self.anchor}
        visible = frozenset(post for post in shows if viewer in VISIBLE[post])
        return expand(visible) if self.whole else visible


def s(*posts: str) -> frozenset[str]:
    return frozenset(posts)


def status_probes(w: World) -> list[Probe]:
    found: list[Probe] = []
    for post, status_id in w.status_ids.items():
        base = f"/api/v1/statuses/{status_id}"
        thread = None if post in REBLOGS else CONTEXT.get(post, s())
        found += [
            Probe("/api/v1/statuses/{status_id}", base, s(post), anchor=post),
            Probe("/api/v1/statuses/{status_id}/context", base + "/context", thread, anchor=post),
            Probe(
                "/api/v1/pixie/statuses/{status_id}/lineage",
                f"/api/v1/pixie/statuses/{status_id}/lineage",
                thread,
                anchor=post,
            ),
            # These answer about the post the path names, not its original when it is a reblog.
            Probe(
                "/api/v1/statuses/{status_id}/source",
                base + "/source",
                s(post),
                anchor=post,
                whole=False,
                signed_in=True,
            ),
            Probe(
                "/api/v1/statuses/{status_id}/history", base + "/history", s(post), anchor=post, whole=False
            ),
            Probe(
                "/api/v1/statuses/{status_id}/favourited_by",
                base + "/favourited_by",
                s(post),
                anchor=post,
                whole=False,
            ),
            Probe(
                "/api/v1/statuses/{status_id}/reblogged_by",
                base + "/reblogged_by",
                s(post),
                anchor=post,
                whole=False,
            ),
        ]
    everything = frozenset(w.status_ids)
    found.append(
        Probe("/api/v1/statuses", "/api/v1/statuses", everything, {"id[]": list(w.status_ids.values())})
    )
    for poll_id, post in w.poll_ids.items():
        found.append(Probe("/api/v1/polls/{poll_id}", f"/api/v1/polls/{poll_id}", s(post), anchor=post))
    return found


def timeline_probes(w: World) -> list[Probe]:
    found: list[Probe] = []
    by_author = {
        "alice": ALICE_POSTS,
        "bob": s("reply", "reblog"),
        "dave": s("dave_post"),
        "erin": s("erin_post", "erin_reblog"),
    }
    route = "/api/v1/accounts/{account_id}/statuses"
    for author, posts in by_author.items():
        path = f"/api/v1/accounts/{w.account_ids[author]}/statuses"
        originals = posts - set(REBLOGS)
        sunny = frozenset(p for p in originals if "sunny" in TAGGED[p])
        found += [
            Probe(route, path, posts),
            Probe(route, path, posts & s("public", "unlisted", "private"), {"pinned": "true"}),
            Probe(
                route, path, originals & WITH_MEDIA, {"only_media": "true"}
            ),  # a reblog has none of its own
            # Replies to oneself (alice's direct reply to her own post) stay, as on Mastodon.
            Probe(route, path, posts - s("reply", "private", "poll"), {"exclude_replies": "true"}),
            Probe(route, path, originals, {"exclude_reblogs": "true"}),
            Probe(route, path, sunny, {"tagged": "sunny"}),
        ]

    public = "/api/v1/timelines/public"
    found += [
        Probe(public, public, PUBLIC_ORIGINALS),
        Probe(public, public, PUBLIC_ORIGINALS, {"local": "true"}),
        Probe(public, public, PUBLIC_ORIGINALS & WITH_MEDIA, {"only_media": "true"}),
    ]
    route = "/api/v1/timelines/tag/{hashtag}"
    tagged = {tag: frozenset(p for p in PUBLIC_ORIGINALS if tag in TAGGED[p]) for tag in ("sunny", "rainy")}
    found += [
        Probe(route, "/api/v1/timelines/tag/sweep", PUBLIC_ORIGINALS),
        Probe(route, "/api/v1/timelines/tag/sweep", PUBLIC_ORIGINALS & WITH_MEDIA, {"only_media": "true"}),
        Probe(route, "/api/v1/timelines/tag/sunny", tagged["sunny"] | tagged["rainy"], {"any[]": "rainy"}),
        Probe(route, "/api/v1/timelines/tag/sweep", tagged["sunny"], {"all[]": "sunny"}),
        Probe(route, "/api/v1/timelines/tag/sweep", PUBLIC_ORIGINALS - tagged["sunny"], {"none[]": "sunny"}),
    ]
    # bob's list of alice: her posts and reblogs; of her replies, those to accounts of the list
    # (the default policy), so neither her reply to bob nor the one to dave.
    found.append(
        Probe(
            "/api/v1/timelines/list/{list_id}",
            f"/api/v1/timelines/list/{w.list_id}",
            {"bob": ALICE_POSTS - s("private", "poll")},
        )
    )
    if "/api/v1/timelines/home" in {r.path for r in api_routes()}:
        # Who follows whom decides what a home timeline holds; here only leaks are looked for.
        found.append(Probe("/api/v1/timelines/home", "/api/v1/timelines/home", None))
    found += [
        Probe("/api/v1/favourites", "/api/v1/favourites", FAVOURITED),
        Probe("/api/v1/bookmarks", "/api/v1/bookmarks", BOOKMARKED),
        # alice's direct post to carol is a conversation of theirs, and of nobody else's.
        Probe(
            "/api/v1/conversations",
            "/api/v1/conversations",
            {"alice": s("direct"), "carol": s("direct")},
            signed_in=True,
        ),
    ]
    return found


def search_probes(w: World) -> list[Probe]:
    route = "/api/v2/search"
    by_alice = {viewer: posts & WROTE["alice"] for viewer, posts in SEARCHABLE.items()}
    return [
        Probe(route, route, SEARCHABLE, {"q": "pxsweep", "type": "statuses"}),
        Probe(route, route, SEARCHABLE, {"q": "pxsweep"}),
        Probe(route, route, SEARCHABLE, {"q": "pxsweep sweep", "type": "statuses", "limit": "40"}),
        Probe(
            route,
            route,
            by_alice,
            {"q": "pxsweep", "type": "statuses", "account_id": str(w.account_ids["alice"])},
        ),
    ]


async def notification_probes(w: World) -> list[Probe]:
    """The lists, and each notification and group of the world by its id or key, asked by everyone."""
    viewer_of = {account_id: viewer for viewer, account_id in w.account_ids.items()}
    post_of = {int(status_id): post for post, status_id in w.status_ids.items()}
    async with w.px.rt.db.read() as session:
        rows = (
            await session.execute(
                select(
                    Notification.id,
                    Notification.account_id,
                    Notification.from_account_id,
                    Notification.type,
                    Notification.status_id,
                    Notification.group_key,
                    Notification.filtered,
                )
            )
        ).all()
    found = [
        Probe("/api/v1/notifications", "/api/v1/notifications", NOTIFIED),
        Probe("/api/v1/notifications", "/api/v1/notifications", NOTIFIED, {"exclude_types[]": ["follow"]}),
        Probe("/api/v2/notifications", "/api/v2/notifications", NOTIFIED),
        Probe("/api/v2/notifications", "/api/v2/notifications", NOTIFIED, {"grouped_types[]": ["favourite"]}),
    ]
    groups: dict[str, Probe] = {}
    for notification_id, account_id, from_account_id, kind, status_id, group_key, filtered in rows:
        owner, sender = viewer_of[account_id], viewer_of[from_account_id]
        post = post_of[status_id] if status_id else None
        if post is not None and kind == "reblog":
            post = REBLOGS.get(post, post)  # a reblog's notification carries the original
        across_the_block = {owner, sender} == {"alice", "erin"}
        shows = {owner: s(post) if post and not across_the_block else s()}
        note = f"{kind} of {post} from {sender}" if post else f"{kind} from {sender}"
        found.append(
            Probe(
                "/api/v1/notifications/{notification_id}",
                f"/api/v1/notifications/{notification_id}",
                shows,
                note=f"to {owner}: {note}",
            )
        )
        if filtered:
            shows = {owner: s()}  # by its id it is found (as its request shows it), in groups not
        group = groups.get(group_key)
        if group is not None and isinstance(group.shows, Mapping):
            shows = {owner: group.shows[owner] | shows[owner]}  # a group shows all of its posts
        groups[group_key] = Probe(
            "/api/v2/notifications/{group_key}",
            f"/api/v2/notifications/{group_key}",
            shows,
            note=f"to {owner}",
        )
        groups[group_key + "/accounts"] = Probe(
            "/api/v2/notifications/{group_key}/accounts",
            f"/api/v2/notifications/{group_key}/accounts",
            s(),
            note=f"to {owner}",
        )
    assert len(rows) >= 10, rows
    # carol does not follow alice: alice's direct mention of her waits in a request (the default
    # policy holds back unsolicited private mentions).
    found.append(
        Probe("/api/v1/notifications/requests", "/api/v1/notifications/requests", {"carol": s("direct")})
    )
    async with w.px.rt.db.read() as session:
        requests = (
            await session.execute(select(NotificationRequest.id, NotificationRequest.account_id))
        ).all()
    assert requests
    for request_id, account_id in requests:
        found.append(
            Probe(
                "/api/v1/notifications/requests/{request_id}",
                f"/api/v1/notifications/requests/{request_id}",
                {viewer_of[account_id]: s("direct")},
                note=f"to {viewer_of[account_id]}",
            )
        )
    return found + list(groups.values())


def other_probes(w: World) -> list[Probe]:
    found = [
        # Which posts trend depends on who engaged lately; none may be one the viewer may not see.
        Probe("/api/v1/trends/statuses", "/api/v1/trends/statuses", None),
        Probe("/api/v1/scheduled_statuses", "/api/v1/scheduled_statuses", {"alice": s("scheduled")}),
        Probe(
            "/api/v1/scheduled_statuses/{scheduled_id}",
            f"/api/v1/scheduled_statuses/{w.scheduled_id}",
            {"alice": s("scheduled")},
        ),
    ]
    for media_id in w.media_ids.values():
        found.append(Probe("/api/v1/media/{media_id}", f"/api/v1/media/{media_id}", s()))
    return found


# Routes checked by a comparison of their own (counts), rather than by the posts in their answers.
COUNTED = {"/api/v1/notifications/unread_count", "/api/v2/notifications/unread_count", "/api/v1/tags/{name}"}


async def test_every_read_path_shows_each_post_and_image_only_to_whoever_may_see_it(start: Any) -> None:
    async with start(rate_limits=False) as px:
        w = await build(px)
        probes = status_probes(w) + timeline_probes(w) + search_probes(w) + await notification_probes(w)
        probes += other_probes(w)

        # Every GET route is either read here or exempt, with a reason.
        get_routes = {r.path for r in api_routes() if "GET" in (r.methods or set())}
        read = {p.route for p in probes} | COUNTED
        assert read <= get_routes, f"probes of routes that do not exist: {sorted(read - get_routes)}"
        neither = get_routes - read - EXEMPT.keys()
        assert not neither, (
            f"GET routes neither swept nor exempt (with a reason) in this test: {sorted(neither)}"
        )
        assert not read & EXEMPT.keys(), f"swept and exempt at once: {sorted(read & EXEMPT.keys())}"
        assert EXEMPT.keys() <= get_routes, (
            f"exempt routes that are gone: {sorted(EXEMPT.keys() - get_routes)}"
        )

        failures: list[str] = []
        answered: dict[str, set[str]] = {}  # route -> posts some viewer was shown through it
        for probe in probes:
            for viewer in VIEWERS:
                r = await px.client.get(probe.path, params=probe.params, headers=w.headers(viewer))
                where = f"GET {probe.label} as {viewer}"
                found = Found()
                if r.status_code == 200:
                    walk(w, r.json(), found)
                    if probe.anchor is not None:
                        found.posts.add(probe.anchor)
                elif r.status_code != 404 and not (viewer == "anonymous" and r.status_code == 401):
                    failures.append(f"{where}: answered {r.status_code} {r.text[:200]}")
                answered.setdefault(probe.route, set()).update(found.posts)
                for post in sorted(found.posts):
                    if viewer not in VISIBLE[post]:
                        failures.append(f"{where}: {post} LEAKED (the table hides it from {viewer})")
                for image in sorted(found.media):
                    if viewer not in MEDIA_VISIBLE.get(image, frozenset()):
                        failures.append(f"{where}: the image of {image} LEAKED")
                for stranger in sorted(found.strangers):
                    failures.append(f"{where}: status {stranger} is no post of this world")
                expected = probe.expected(viewer)
                if expected is None:
                    continue
                visible = {p for p in found.posts if viewer in VISIBLE[p]}
                for post in sorted(expected - visible):
                    failures.append(f"{where}: {post} missing")
                for post in sorted(visible - expected):
                    failures.append(f"{where}: {post} shown, though the path should not show it")

        # The unread counts count what the lists show.
        for viewer in VIEWERS[:-1]:
            for version, key in (("v1", None), ("v2", "notification_groups")):
                listed = await w.call("GET", f"/api/{version}/notifications", viewer, params={"limit": "80"})
                count = (await w.call("GET", f"/api/{version}/notifications/unread_count", viewer))["count"]
                shown = len(listed[key]) if key else len(listed)
                if count != shown:
                    failures.append(
                        f"GET /api/{version}/notifications/unread_count as {viewer}: {count}, listed {shown}"
                    )

        # A hashtag's daily counts count only the posts anyone may see (the deleted one, the
        # followers-only and direct ones are left out), whoever asks.
        anyones = len([p for p in TAGGED if "anonymous" in VISIBLE[p]])
        for viewer in VIEWERS:
            tag = await w.call("GET", "/api/v1/tags/sweep", viewer)
            uses = sum(int(day["uses"]) for day in tag["history"])
            if uses != anyones:
                failures.append(f"GET /api/v1/tags/sweep as {viewer}: {uses} uses counted, not {anyones}")

        assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
        # Not a sweep of empty answers: every route showed something to someone.
        quiet = {route for route, posts in answered.items() if not posts} - {
            "/api/v1/media/{media_id}",  # answers images, not posts
            "/api/v2/notifications/{group_key}/accounts",  # answers accounts
        }
        assert not quiet, f"routes that showed no post to anyone: {sorted(quiet)}"
