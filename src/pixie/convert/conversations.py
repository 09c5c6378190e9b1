"""The Conversation entity: a direct conversation as one participant sees it."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.convert.accounts import account
from pixie.convert.statuses import status
from pixie.services.conversations import ConversationView


def conversation(settings: Settings, view: ConversationView) -> dict[str, Any]:
    return {
        "id": str(view.conversation.id),
        "unread": view.conversation.unread,
        "accounts": [account(settings, a) for a in view.accounts],
        "last_status": status(settings, view.last_status) if view.last_status is not None else None,
    }
