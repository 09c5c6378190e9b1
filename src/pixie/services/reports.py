"""Reports to the instance's moderators."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from pixie.errors import Invalid, NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account
from pixie.models.reports import CATEGORIES, Report
from pixie.models.statuses import Status
from pixie.services import events
from pixie.services.visibility import visible_to

MAX_COMMENT = 1000
MAX_STATUSES = 100


@dataclass(frozen=True)
class NewReport:
    target_account_id: int
    status_ids: list[int] = field(default_factory=list)
    rule_ids: list[int] = field(default_factory=list)
    category: str | None = None
    comment: str = ""
    forward: bool = False


async def create(rt: Runtime, account_id: int, new: NewReport) -> tuple[Report, Account]:
    """Stores a report for moderators. The reported posts must be the reported account's and ones
    the reporter may see (anything else is answered as if it did not exist)."""
    if len(new.comment) > MAX_COMMENT:
        raise Invalid(f"Validation failed: Comment is too long (maximum is {MAX_COMMENT} characters)")
    if len(new.status_ids) > MAX_STATUSES:
        raise Invalid(f"Validation failed: A report may name at most {MAX_STATUSES} posts")
    category = new.category or ("violation" if new.rule_ids else "other")
    if category not in CATEGORIES:
        raise Invalid("Validation failed: Category must be spam, legal, violation or other")
    known_rules = set(range(1, len(rt.settings.instance_rules) + 1))
    if category == "violation":
        if not new.rule_ids:
            raise Invalid("Validation failed: A report of a rule violation must name the rules broken")
        unknown = sorted(set(new.rule_ids) - known_rules)
        if unknown:
            raise Invalid(f"Validation failed: Rules {', '.join(map(str, unknown))} do not exist")
    elif new.rule_ids:
        raise Invalid("Validation failed: Rules are named only in reports of a rule violation")
    if new.target_account_id == account_id:
        raise Invalid("Validation failed: You cannot report yourself")
    async with rt.write() as session:
        target = await session.get(Account, new.target_account_id)
        if target is None or target.suspended_at is not None:
            raise NotFound()
        wanted = list(dict.fromkeys(new.status_ids))
        if wanted:
            found = set(
                await session.scalars(
                    select(Status.id).where(
                        Status.id.in_(wanted),
                        Status.account_id == target.id,
                        visible_to(account_id),
                    )
                )
            )
            missing = [i for i in wanted if i not in found]
            if missing:
                raise Invalid(f"Validation failed: Posts {', '.join(map(str, missing))} not found")
        report = Report(
            account_id=account_id,
            target_account_id=target.id,
            status_ids=wanted,
            rule_ids=sorted(set(new.rule_ids)) if category == "violation" else [],
            category=category,
            comment=new.comment,
            forward=new.forward,
        )
        session.add(report)
        await session.flush()
        record(
            session,
            events.ReportCreated(report_id=report.id, account_id=account_id, target_account_id=target.id),
        )
    return report, target
