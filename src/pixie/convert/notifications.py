"""Notification, GroupedNotificationsResults, Marker, NotificationPolicy and NotificationRequest entities."""

from __future__ import annotations

from typing import Any

import orjson

from pixie.config import Settings
from pixie.convert import status_pages
from pixie.convert.accounts import account
from pixie.convert.common import timestamp
from pixie.convert.statuses import status
from pixie.infra.runtime import Runtime
from pixie.services.markers import MarkerView
from pixie.services.notification_requests import PolicyView, RequestView
from pixie.services.notifications import (
    Group,
    GroupedPage,
    GroupedState,
    NotificationsState,
    NotificationView,
)


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
    groups = [_group(g) for g in page.groups]
    return {
        "accounts": [account(settings, a) for a in page.accounts],
        "statuses": [status(settings, v) for v in page.statuses],
        "notification_groups": groups,
    }


def _group(g: Group) -> dict[str, Any]:
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
    return group


async def grouped_page(rt: Runtime, found: GroupedState) -> bytes:
    """GroupedNotificationsResults, from kept renderings of its statuses and accounts."""
    statuses, accounts = await status_pages.each(rt, found.statuses, found.account_ids)
    shown = [g for g in found.groups if g.status_id is None or g.status_id in statuses]
    sampled = dict.fromkeys(a for g in shown for a in g.sample_account_ids)
    return orjson.dumps(
        {
            "accounts": [accounts[a] for a in sampled if a in accounts],
            "statuses": [statuses[i] for i in dict.fromkeys(g.status_id for g in shown) if i is not None],
            "notification_groups": [_group(g) for g in shown],
        }
    )


async def notifications_page(rt: Runtime, found: NotificationsState) -> tuple[bytes, list[int]]:
    """A page of Notification entities from kept renderings, and the ids it shows."""
    statuses, accounts = await status_pages.each(rt, found.statuses, found.account_ids)
    body: list[dict[str, Any]] = []
    for n in found.notifications:
        if n.from_account_id not in accounts or (n.status_id is not None and n.status_id not in statuses):
            continue  # gone since the page was read
        entity: dict[str, Any] = {
            "id": str(n.id),
            "type": n.type,
            "group_key": n.group_key,
            "created_at": timestamp(n.created_at),
            "account": accounts[n.from_account_id],
        }
        if n.status_id is not None:
            entity["status"] = statuses[n.status_id]
        body.append(entity)
    return orjson.dumps(body), [int(e["id"]) for e in body]


def markers(found: list[MarkerView]) -> dict[str, Any]:
    return {
        m.timeline: {
            "last_read_id": str(m.last_read_id),
            "version": m.version,
            "updated_at": timestamp(m.updated_at),
        }
        for m in found
    }


def policy(view: PolicyView) -> dict[str, Any]:
    """The v2 NotificationPolicy."""
    p = view.policy
    return {
        "for_not_following": p.for_not_following,
        "for_not_followers": p.for_not_followers,
        "for_new_accounts": p.for_new_accounts,
        "for_private_mentions": p.for_private_mentions,
        "for_limited_accounts": p.for_limited_accounts,
        "summary": {
            "pending_requests_count": view.pending_requests,
            "pending_notifications_count": view.pending_notifications,
        },
    }


def request(settings: Settings, view: RequestView) -> dict[str, Any]:
    r = view.request
    entity: dict[str, Any] = {
        "id": str(r.id),
        "created_at": timestamp(r.created_at),
        "updated_at": timestamp(r.updated_at),
        "account": account(settings, view.account),
        "notifications_count": str(r.notifications_count),  # a string, as Mastodon sends it
    }
    if view.last_status is not None:
        entity["last_status"] = status(settings, view.last_status)
    return entity
