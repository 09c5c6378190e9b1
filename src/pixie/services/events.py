"""The domain events of this part of Pixie. Later issues add their own beside these."""

from __future__ import annotations

from datetime import datetime

from pixie.infra.outbox import DomainEvent


class AccountCreated(DomainEvent):
    type = "account.created"
    account_id: int
    user_id: int
    needs_confirmation: bool
    needs_approval: bool


class AccountUpdated(DomainEvent):
    type = "account.updated"
    account_id: int


class AccountSuspended(DomainEvent):
    type = "account.suspended"
    account_id: int


class EmailChanged(DomainEvent):
    """A new sign-in address; it is confirmed by mail first when the instance asks for that."""

    type = "account.email_changed"
    user_id: int
    needs_confirmation: bool


class AccountDeleted(DomainEvent):
    """The owner deleted the account: it is gone at once; its posts and reactions are removed
    after (services/account_deletion.py)."""

    type = "account.deleted"
    account_id: int


class AccountUnsuspended(DomainEvent):
    type = "account.unsuspended"
    account_id: int


class AccountApproved(DomainEvent):
    type = "account.approved"
    account_id: int


class EmailConfirmed(DomainEvent):
    type = "account.email_confirmed"
    account_id: int


class PasswordResetRequested(DomainEvent):
    type = "account.password_reset_requested"
    user_id: int


class ConsentChanged(DomainEvent):
    type = "account.ai_training_consent_changed"
    account_id: int
    granted: bool
    version: int


class StatusCreated(DomainEvent):
    type = "status.created"
    status_id: int
    account_id: int
    visibility: str
    in_reply_to_id: int | None = None
    remix_of_id: int | None = None


class StatusDeleted(DomainEvent):
    type = "status.deleted"
    status_id: int
    account_id: int
    in_reply_to_id: int | None = None


class FollowCreated(DomainEvent):
    type = "follow.created"
    account_id: int
    target_account_id: int


class FollowRequested(DomainEvent):
    type = "follow.requested"
    account_id: int
    target_account_id: int


class FollowRemoved(DomainEvent):
    type = "follow.removed"
    account_id: int
    target_account_id: int


class FavouriteCreated(DomainEvent):
    type = "favourite.created"
    account_id: int
    status_id: int
    author_id: int


class FavouriteRemoved(DomainEvent):
    type = "favourite.removed"
    account_id: int
    status_id: int


class BlockCreated(DomainEvent):
    type = "block.created"
    account_id: int
    target_account_id: int


class BlockRemoved(DomainEvent):
    type = "block.removed"
    account_id: int
    target_account_id: int


class MuteCreated(DomainEvent):
    type = "mute.created"
    account_id: int
    target_account_id: int
    notifications: bool
    expires_at: datetime | None


class MuteRemoved(DomainEvent):
    type = "mute.removed"
    account_id: int
    target_account_id: int


class ListMembersChanged(DomainEvent):
    """Accounts joined or left a list (feeds that cache list timelines rebuild from it)."""

    type = "list.members_changed"
    list_id: int
    account_id: int  # the list's owner
    added: list[int]
    removed: list[int]


class ListDeleted(DomainEvent):
    type = "list.deleted"
    list_id: int
    account_id: int


class NotificationCreated(DomainEvent):
    type = "notification.created"
    notification_id: int
    account_id: int  # the recipient
    from_account_id: int
    notification_type: str
    status_id: int | None
    filtered: bool = False  # held back by the recipient's policy: not streamed, not counted


class NotificationsMerged(DomainEvent):
    """Accepted notification requests joined the recipient's notifications."""

    type = "notifications.merged"
    account_id: int


class StatusUpdated(DomainEvent):
    """An author edited a post; ``added_mention_ids`` are the accounts it mentions for the first time."""

    type = "status.updated"
    status_id: int
    account_id: int
    added_mention_ids: list[int] = []


class StatusReblogged(DomainEvent):
    """``status_id`` is the reblog (a status of ``account_id``'s), ``reblog_of_id`` the original."""

    type = "status.reblogged"
    status_id: int
    account_id: int
    reblog_of_id: int
    author_id: int
    visibility: str


class StatusUnreblogged(DomainEvent):
    type = "status.unreblogged"
    status_id: int
    account_id: int
    reblog_of_id: int


class StatusPinned(DomainEvent):
    type = "status.pinned"
    status_id: int
    account_id: int


class StatusUnpinned(DomainEvent):
    type = "status.unpinned"
    status_id: int
    account_id: int


class PollVoted(DomainEvent):
    type = "poll.voted"
    poll_id: int
    status_id: int
    account_id: int
    choices: list[int]


class PollEnded(DomainEvent):
    """A poll reached its end (recorded once, by the expiry job); ``account_id`` is its author."""

    type = "poll.ended"
    poll_id: int
    status_id: int
    account_id: int


class TagFollowed(DomainEvent):
    type = "tag.followed"
    account_id: int
    tag_id: int


class TagUnfollowed(DomainEvent):
    type = "tag.unfollowed"
    account_id: int
    tag_id: int


class ReportCreated(DomainEvent):
    type = "report.created"
    report_id: int
    account_id: int
    target_account_id: int


class GenerationRequested(DomainEvent):
    type = "generation.requested"
    generation_id: int
    account_id: int


class GenerationProgressed(DomainEvent):
    type = "generation.progress"
    generation_id: int
    account_id: int
    progress: float
    candidates: int


class GenerationFinished(DomainEvent):
    type = "generation.finished"
    generation_id: int
    account_id: int
    state: str


class CandidateChosen(DomainEvent):
    """A person posted one candidate of a generation: the others were passed over. The pair is the
    preference signal the data pipeline exports."""

    type = "candidate.chosen"
    generation_id: int
    account_id: int
    status_id: int
    chosen_media_id: int
    passed_over_media_ids: list[int]


class ConversationUpdated(DomainEvent):
    """A direct message reached its participants: ``conversation_ids[i]`` is the conversation as
    ``account_ids[i]`` sees it."""

    type = "conversation.updated"
    status_id: int
    account_ids: list[int]
    conversation_ids: list[int]


class FiltersChanged(DomainEvent):
    """An account created, changed or removed one of its filters (or a keyword or post of one)."""

    type = "filters.changed"
    account_id: int
