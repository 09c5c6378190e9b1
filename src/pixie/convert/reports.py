"""Report entities."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.convert.accounts import account
from pixie.convert.common import timestamp
from pixie.models.accounts import Account
from pixie.models.reports import Report


def report(settings: Settings, r: Report, target: Account) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "action_taken": r.action_taken_at is not None,
        "action_taken_at": timestamp(r.action_taken_at),
        "category": r.category,
        "comment": r.comment,
        "forwarded": False,  # nothing is forwarded: Pixie does not federate
        "created_at": timestamp(r.created_at),
        "status_ids": [str(i) for i in r.status_ids],
        "rule_ids": [str(i) for i in r.rule_ids],
        "target_account": account(settings, target),
    }
