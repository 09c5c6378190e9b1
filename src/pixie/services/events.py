"""The domain events of this part of Pixie. Later issues add their own beside these."""

from __future__ import annotations

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


class StatusDeleted(DomainEvent):
    type = "status.deleted"
    status_id: int
    account_id: int


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


class TagFollowed(DomainEvent):
    type = "tag.followed"
    account_id: int
    tag_id: int


class TagUnfollowed(DomainEvent):
    type = "tag.unfollowed"
    account_id: int
    tag_id: int
