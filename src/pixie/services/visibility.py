"""Who may see a status: written once, used by every read (REST, web, streaming, search, exports).

- public and unlisted: everyone (unlisted stays off the public timelines);
- private (followers-only): the author, the accounts it mentions, and its followers;
- direct: the author and the accounts it mentions;
- nobody sees a deleted post, or a post of a suspended author;
- a block hides each side's posts from the other, everywhere;
- a reblog is seen by whoever may see both the reblog itself (by its own visibility, as a post of
  the account that reblogged) and the original.

Mutes are a preference rather than a rule of who may see what: ``not_muted`` leaves a muted
account's posts off the timelines and lists that gather many accounts (public, hashtag, list,
threads) and its notifications, while its profile and its posts fetched directly stay readable.
An expired mute counts as absent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select, true
from sqlalchemy.orm import aliased

from pixie.db.types import sql_now
from pixie.models.accounts import Account
from pixie.models.blocks import Block, Mute
from pixie.models.follows import Follow
from pixie.models.statuses import Mention, Status

PUBLIC_VISIBILITIES = ("public", "unlisted")


def _public(table: Any) -> Any:
    # Compared one by one rather than IN (...): an IN of literals is re-rendered into the SQL on
    # every execution, which costs more than the rest of a cached statement.
    return or_(*(table.visibility == v for v in PUBLIC_VISIBILITIES))


def blocked_between(viewer_id: int, account_id: Any) -> Any:
    """A SQL condition: ``viewer_id`` blocks the account (a column or an id), or is blocked by it."""
    return exists(
        select(Block.id).where(
            or_(
                and_(Block.account_id == viewer_id, Block.target_account_id == account_id),
                and_(Block.account_id == account_id, Block.target_account_id == viewer_id),
            )
        )
    )


def active_mute(viewer_id: int, account_id: Any, *, notifications: bool = False) -> Any:
    """A SQL condition: ``viewer_id`` mutes the account now (its notifications too, if asked)."""
    query = select(Mute.id).where(
        Mute.account_id == viewer_id,
        Mute.target_account_id == account_id,
        or_(Mute.expires_at.is_(None), Mute.expires_at > sql_now()),
    )
    if notifications:
        query = query.where(Mute.hide_notifications.is_(True))
    return exists(query)


# The aliases the rules look through, made once: making an alias builds its column collections,
# which cost several milliseconds per timeline request when done anew for each query. Each role
# has its own, so one statement can hold the rule for a status and for its reblogged original.
_MUTED_ORIGINAL = aliased(Status, name="muted_original")
_ORIGINAL = aliased(Status, name="original")
_AUTHOR = {"own": aliased(Account, name="author"), "original": aliased(Account, name="original_author")}
_MENTION = {"own": aliased(Mention, name="mention"), "original": aliased(Mention, name="original_mention")}
_FOLLOW = {"own": aliased(Follow, name="author_follow"), "original": aliased(Follow, name="original_follow")}


def not_muted(viewer_id: int | None) -> Any:
    """A SQL condition on Status: neither its author nor, for a reblog, the original's author is
    muted by the viewer (always true when anonymous)."""
    if viewer_id is None:
        return true()
    original = _MUTED_ORIGINAL
    reblogs_muted = exists(
        select(original.id).where(
            original.id == Status.reblog_of_id, active_mute(viewer_id, original.account_id)
        )
    )
    return and_(~active_mute(viewer_id, Status.account_id), ~reblogs_muted)


def _visible(table: Any, viewer_id: int | None, role: str = "own") -> Any:
    """The rule for one status row, ``table`` being ``Status`` or the original's alias (``role``
    "original"). The tables it looks into are aliased, so the condition holds in a query that
    selects from them too."""
    author = _AUTHOR[role]
    author_active = exists(
        select(author.id).where(author.id == table.account_id, author.suspended_at.is_(None))
    )
    shown = and_(table.deleted_at.is_(None), author_active)
    if viewer_id is None:
        return and_(shown, _public(table))
    mention = _MENTION[role]
    mentioned = exists(
        select(mention.status_id).where(mention.status_id == table.id, mention.account_id == viewer_id)
    )
    follow = _FOLLOW[role]
    follower = exists(
        select(follow.id).where(follow.account_id == viewer_id, follow.target_account_id == table.account_id)
    )
    return and_(
        shown,
        or_(
            _public(table),
            table.account_id == viewer_id,
            mentioned,
            and_(table.visibility == "private", follower),
        ),
        or_(table.account_id == viewer_id, ~blocked_between(viewer_id, table.account_id)),
    )


def visible_to(viewer_id: int | None) -> Any:
    """A SQL condition on Status: the rows ``viewer_id`` (None: anonymous) may see."""
    original = _ORIGINAL
    return and_(
        _visible(Status, viewer_id),
        or_(
            Status.reblog_of_id.is_(None),
            exists(
                select(original.id).where(
                    original.id == Status.reblog_of_id, _visible(original, viewer_id, "original")
                )
            ),
        ),
    )
