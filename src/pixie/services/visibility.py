"""Who may see a status: written once, used by every read (REST, web, streaming, search, exports).

- public and unlisted: everyone (unlisted stays off the public timelines);
- private (followers-only): the author, the accounts it mentions, and its followers;
- direct: the author and the accounts it mentions;
- nobody sees a deleted post, or a post of a suspended author.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select

from pixie.models.accounts import Account
from pixie.models.follows import Follow
from pixie.models.statuses import Mention, Status

PUBLIC_VISIBILITIES = ("public", "unlisted")


def visible_to(viewer_id: int | None) -> Any:
    """A SQL condition on Status: the rows ``viewer_id`` (None: anonymous) may see."""
    author_active = exists(
        select(Account.id).where(Account.id == Status.account_id, Account.suspended_at.is_(None))
    )
    shown = and_(Status.deleted_at.is_(None), author_active)
    if viewer_id is None:
        return and_(shown, Status.visibility.in_(PUBLIC_VISIBILITIES))
    mentioned = exists(
        select(Mention.status_id).where(Mention.status_id == Status.id, Mention.account_id == viewer_id)
    )
    follower = exists(
        select(Follow.id).where(Follow.account_id == viewer_id, Follow.target_account_id == Status.account_id)
    )
    return and_(
        shown,
        or_(
            Status.visibility.in_(PUBLIC_VISIBILITIES),
            Status.account_id == viewer_id,
            mentioned,
            and_(Status.visibility == "private", follower),
        ),
    )
