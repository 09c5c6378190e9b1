"""ORM tables, one module per aggregate. Importing this package registers them all."""

from pixie.models.accounts import Account, AiTrainingConsent, User
from pixie.models.blocks import Block, Mute
from pixie.models.conversations import AccountConversation
from pixie.models.email_tokens import EmailToken
from pixie.models.filters import Filter, FilterKeyword, FilterStatus
from pixie.models.follows import Follow, FollowRequest
from pixie.models.generations import Generation, PromptRefusal
from pixie.models.invites import Invite
from pixie.models.lists import List, ListAccount
from pixie.models.media import MediaAttachment
from pixie.models.notifications import (
    Marker,
    Notification,
    NotificationPermission,
    NotificationPolicy,
    NotificationRequest,
)
from pixie.models.oauth import AccessToken, Application, AuthorizationCode, WebSession
from pixie.models.polls import Poll, PollVote
from pixie.models.reactions import Bookmark, ConversationMute, Favourite, StatusPin
from pixie.models.reports import Report
from pixie.models.scheduled import ScheduledStatus
from pixie.models.statuses import Mention, Status, StatusEdit, StatusTag, Tag
from pixie.models.system import IdNode, Job, Lock, OutboxEvent
from pixie.models.tag_follows import FollowedTag

__all__ = [
    "AccessToken",
    "Account",
    "AccountConversation",
    "AiTrainingConsent",
    "Application",
    "AuthorizationCode",
    "Block",
    "Bookmark",
    "ConversationMute",
    "EmailToken",
    "Favourite",
    "Filter",
    "FilterKeyword",
    "FilterStatus",
    "Follow",
    "FollowRequest",
    "FollowedTag",
    "Generation",
    "IdNode",
    "Invite",
    "Job",
    "List",
    "ListAccount",
    "Lock",
    "Marker",
    "MediaAttachment",
    "Mention",
    "Mute",
    "Notification",
    "NotificationPermission",
    "NotificationPolicy",
    "NotificationRequest",
    "OutboxEvent",
    "Poll",
    "PollVote",
    "PromptRefusal",
    "Report",
    "ScheduledStatus",
    "Status",
    "StatusEdit",
    "StatusPin",
    "StatusTag",
    "Tag",
    "User",
    "WebSession",
]
