"""Notification, GroupedNotificationsResults and Marker entities."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.convert.accounts import account
from pixie.convert.common import timestamp
from pixie.convert.statuses import status
from pixie.services.notifications import GroupedPage, MarkerView, NotificationView


def notification(settings: Settings, view: NotificationView) -> dict[str, Any]:
    n = view.notification
    entity: dict[str, Any] = {
        "id": str(n.id),
        "type": n.type,
        "group_key": n.group_key,
        "created_at": timestamp(n.created_at),
        "account": account(settings, view.account),
    }
    if view.status is not None:
        entity["status"] = status(settings, view.status)
    return entity


def grouped(settings: Settings, page: GroupedPage) -> dict[str, Any]:
    groups = []
    for g in page.groups:
        group: dict[str, Any] = {
            "group_key": g.key,
            "notifications_count": g.count,
            "type": g.type,
            "most_recent_notification_id": str(g.most_recent_id),
            "page_min_id": str(g.page_min_id),
            "page_max_id": str(g.page_max_id),
            "latest_page_notification_at": timestamp(g.latest_at),
            "sample_account_ids": [str(a) for a in g.sample_account_ids],
        }
        if g.status_id is not None:
            group["status_id"] = str(g.status_id)
        groups.append(group)
    return {
        "accounts": [account(settings, a) for a in page.accounts],
        "statuses": [status(settings, v) for v in page.statuses],
        "notification_groups": groups,
    }


def markers(found: list[MarkerView]) -> dict[str, Any]:
    return {
        m.timeline: {
            "last_read_id": str(m.last_read_id),
            "version": m.version,
            "updated_at": timestamp(m.updated_at),
        }
        for m in found
    }
