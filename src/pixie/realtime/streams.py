"""The streams a client may subscribe to, as Mastodon names them, and the channel each listens on.

Every process subscribes a pub/sub channel only while a connection of its own listens to it. A
signed-in account's events (its home timeline, notifications, direct messages, generation
progress) travel on one channel per account; public timelines, hashtags and lists have their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from pixie.errors import BadRequest, Forbidden, Unauthorized
from pixie.services.oauth import Principal
from pixie.services.text import fold_hashtag

STATUS_EVENTS = frozenset({"update", "delete", "status.update"})
ACCOUNT_EVENTS = frozenset(
    {
        *STATUS_EVENTS,
        "notification",
        "conversation",
        "filters_changed",
        "notifications_merged",
        "pixie.generation",
    }
)
# What each stream carries, by Mastodon's stream name.
EVENTS: dict[str, frozenset[str]] = {
    "user": ACCOUNT_EVENTS,
    "user:notification": frozenset({"notification", "notifications_merged"}),
    "direct": frozenset({"conversation"}),
    "list": STATUS_EVENTS,
    "public": STATUS_EVENTS,
    "public:media": STATUS_EVENTS,
    "public:local": STATUS_EVENTS,
    "public:local:media": STATUS_EVENTS,
    "public:remote": STATUS_EVENTS,
    "public:remote:media": STATUS_EVENTS,
    "hashtag": STATUS_EVENTS,
    "hashtag:local": STATUS_EVENTS,
}
# The scope a stream needs (``read`` covers each); public streams need none.
SCOPES = {
    "user": "read:statuses",
    "user:notification": "read:notifications",
    "direct": "read:statuses",
    "list": "read:lists",
}
# SSE paths under /api/v1/streaming, and the stream each serves (``only_media`` adds ``:media``).
PATHS = {
    "user": "user",
    "user/notification": "user:notification",
    "public": "public",
    "public/local": "public:local",
    "public/remote": "public:remote",
    "hashtag": "hashtag",
    "hashtag/local": "hashtag:local",
    "list": "list",
    "direct": "direct",
}
MAX_TAG = 200


def user_channel(account_id: int) -> str:
    return f"timeline:{account_id}"


def list_channel(list_id: int) -> str:
    return f"timeline:list:{list_id}"


def public_channel(*, local: bool = False, media: bool = False) -> str:
    return "timeline:public" + (":local" if local else "") + (":media" if media else "")


def hashtag_channel(name: str, *, local: bool = False) -> str:
    return f"timeline:hashtag:{fold_tag(name)}" + (":local" if local else "")


def fold_tag(name: str) -> str:
    return fold_hashtag(name)


@dataclass(frozen=True)
class Stream:
    """One subscription: a stream name with its hashtag (as the client sent it) or list."""

    name: str
    tag: str | None = None
    list_id: int | None = None

    @property
    def label(self) -> list[str]:
        """The ``stream`` of a WebSocket message: the name, then the tag or list as given."""
        if self.tag is not None:
            return [self.name, self.tag]
        if self.list_id is not None:
            return [self.name, str(self.list_id)]
        return [self.name]

    @property
    def key(self) -> tuple[str, str | None, int | None]:
        """Two subscriptions with the same key are the same stream (tags match in any case)."""
        return (self.name, fold_tag(self.tag) if self.tag is not None else None, self.list_id)

    @property
    def events(self) -> frozenset[str]:
        return EVENTS[self.name]

    @property
    def needs_account(self) -> bool:
        return self.name in SCOPES

    @property
    def is_public(self) -> bool:
        return self.name.startswith(("public", "hashtag"))

    @property
    def local_only(self) -> bool:
        return ":local" in self.name

    @property
    def only_media(self) -> bool:
        return self.name.endswith(":media")

    def channel(self, account_id: int | None) -> str:
        if self.name in ("user", "user:notification", "direct"):
            assert account_id is not None
            return user_channel(account_id)
        if self.name == "list":
            assert self.list_id is not None
            return list_channel(self.list_id)
        if self.name.startswith("hashtag"):
            assert self.tag is not None
            return hashtag_channel(self.tag, local=self.local_only)
        if self.name.startswith("public:remote"):
            # Pixie does not federate: nothing is ever remote, and nothing is sent here.
            return "timeline:public:remote" + (":media" if self.only_media else "")
        return public_channel(local=self.local_only, media=self.only_media)


def parse(name: str | None, *, tag: str | None = None, list_id: str | None = None) -> Stream:
    """A stream from a client's name and parameters; BadRequest in Mastodon's words otherwise."""
    if not name or name not in EVENTS:
        raise BadRequest("Unknown stream type")
    if name.startswith("hashtag"):
        tag = (tag or "").strip().removeprefix("#")
        if not tag:
            raise BadRequest("No tag for stream provided")
        if len(tag) > MAX_TAG:
            raise BadRequest("The tag is too long")
        return Stream(name, tag=tag)
    if name == "list":
        try:
            number = int(list_id or "")
        except ValueError:
            raise BadRequest("No list for stream provided") from None
        if number <= 0 or number >= 2**63:
            raise BadRequest("No list for stream provided")
        return Stream(name, list_id=number)
    return Stream(name)


def authorize(stream: Stream, principal: Principal | None) -> None:
    """Whether the caller may open the stream (the list's ownership is checked on subscribing)."""
    scope = SCOPES.get(stream.name)
    if scope is None:
        return
    if principal is None or principal.account_id is None:
        raise Unauthorized("Missing access token")
    if not principal.allows(scope):
        raise Forbidden("Access token does not have the required scopes")
