"""OAuth scopes as Mastodon defines them: top-level scopes cover their granular children."""

from __future__ import annotations

from pixie.errors import Invalid

READ_SCOPES = [
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
]
WRITE_SCOPES = [
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
]
ADMIN_SCOPES = [
    "admin:read",
    "admin:write",
    "admin:read:accounts",
    "admin:read:reports",
    "admin:read:domain_allows",
    "admin:read:domain_blocks",
    "admin:read:ip_blocks",
    "admin:read:email_domain_blocks",
    "admin:read:canonical_email_blocks",
    "admin:write:accounts",
    "admin:write:reports",
    "admin:write:domain_allows",
    "admin:write:domain_blocks",
    "admin:write:ip_blocks",
    "admin:write:email_domain_blocks",
    "admin:write:canonical_email_blocks",
]
ALL_SCOPES = frozenset(
    ["read", "write", "follow", "push", "profile", *READ_SCOPES, *WRITE_SCOPES, *ADMIN_SCOPES]
)
DEFAULT_SCOPES = "read"
# `follow` is Mastodon's deprecated alias for these.
FOLLOW_COVERS = frozenset(
    ["read:blocks", "write:blocks", "read:follows", "write:follows", "read:mutes", "write:mutes"]
)


_PLAIN = {
    "read": "see everything in your account: profile, posts, follows, notifications",
    "write": "change everything in your account: post, follow, edit your profile",
    "follow": "follow, block and mute accounts, and see whom you follow, block and mute",
    "push": "send you push notifications",
    "profile": "see your profile (and nothing else)",
    "admin:read": "read moderation data of the whole server",
    "admin:write": "take moderation actions on the whole server",
    "read:statuses": "see posts and timelines, including private posts you can see",
    "write:statuses": "publish, edit and delete posts as you",
    "write:media": "upload images as you",
    "read:notifications": "see your notifications",
    "write:follows": "follow and unfollow accounts as you",
    "write:favourites": "favourite posts as you",
    "write:accounts": "change your profile and settings",
    "read:accounts": "see your profile and settings",
}


def describe(scope: str) -> str:
    """What a scope lets an app do, in words a person reads on the consent page."""
    if scope in _PLAIN:
        return _PLAIN[scope]
    *area, what = scope.split(":")
    verb = {"read": "see", "write": "change"}.get(area[-1], area[-1])
    subject = what.replace("_", " ")
    return (
        f"{verb} your {subject}"
        if area[0] != "admin"
        else f"{verb} {subject} of the whole server (moderation)"
    )


def parse(text: str | None, *, default: str = DEFAULT_SCOPES) -> frozenset[str]:
    """Splits a space- (or '+'-) separated scope string and refuses unknown scopes."""
    words = (text or default).replace("+", " ").split()
    unknown = [w for w in words if w not in ALL_SCOPES]
    if unknown:
        raise Invalid(
            "The requested scope is invalid, unknown, or malformed.",
            description=f"unknown scope: {' '.join(unknown)}",
        )
    return frozenset(words or default.split())


def covers(granted: frozenset[str], required: str) -> bool:
    """Whether a token with ``granted`` may do what needs ``required``."""
    if required in granted:
        return True
    if required in FOLLOW_COVERS and "follow" in granted:
        return True
    if required == "profile":
        return "read:accounts" in granted or "read" in granted
    parts = required.split(":")
    # admin:read:accounts is covered by admin:read; read:statuses by read.
    return any(":".join(parts[:i]) in granted for i in range(1, len(parts)))


def subset(requested: frozenset[str], allowed: frozenset[str]) -> bool:
    return all(covers(allowed, scope) for scope in requested)


_ORDER = {"read": 0, "write": 1, "follow": 2, "push": 3, "profile": 4}


def render_order(scope: str) -> tuple[int, str]:
    return (_ORDER.get(scope, 5), scope)


def render(scopes: frozenset[str] | set[str]) -> str:
    return " ".join(sorted(scopes, key=render_order))
