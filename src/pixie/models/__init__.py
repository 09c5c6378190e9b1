"""ORM tables, one module per aggregate. Importing this package registers them all."""

from pixie.models.accounts import Account, AiTrainingConsent, User
from pixie.models.email_tokens import EmailToken
from pixie.models.follows import Follow, FollowRequest
from pixie.models.invites import Invite
from pixie.models.media import MediaAttachment
from pixie.models.oauth import AccessToken, Application, AuthorizationCode
from pixie.models.reactions import Bookmark, Favourite
from pixie.models.statuses import Mention, Status, StatusTag, Tag
from pixie.models.system import IdNode, Job, Lock, OutboxEvent
from pixie.models.tag_follows import FollowedTag

__all__ = [
    "AccessToken",
    "Account",
    "AiTrainingConsent",
    "Application",
    "AuthorizationCode",
    "Bookmark",
    "EmailToken",
    "Favourite",
    "Follow",
    "FollowRequest",
    "FollowedTag",
    "IdNode",
    "Invite",
    "Job",
    "Lock",
    "MediaAttachment",
    "Mention",
    "OutboxEvent",
    "Status",
    "StatusTag",
    "Tag",
    "User",
]
