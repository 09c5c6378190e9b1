"""Invite codes for the invite-only registration mode."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.types import utcnow
from pixie.errors import Invalid, NotFound
from pixie.infra.runtime import Runtime
from pixie.models.invites import Invite

_ALPHABET = string.ascii_letters + string.digits
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """'7d', '12h', '30m', '2w' -> a timedelta."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) <= 0:
        raise Invalid(f"cannot read {text!r} as a duration; use forms like 30m, 12h, 7d or 2w")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


async def create_invite(
    rt: Runtime,
    *,
    created_by_id: int | None = None,
    max_uses: int | None = None,
    expires_in: timedelta | None = None,
) -> Invite:
    if max_uses is not None and max_uses < 1:
        raise Invalid("max uses must be at least 1")
    code = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    invite = Invite(
        code=code,
        created_by_id=created_by_id,
        max_uses=max_uses,
        expires_at=utcnow() + expires_in if expires_in else None,
    )
    async with rt.write() as session:
        session.add(invite)
    return invite


def _usable(now: datetime) -> list[object]:
    return [
        Invite.revoked_at.is_(None),
        (Invite.expires_at.is_(None)) | (Invite.expires_at > now),
        (Invite.max_uses.is_(None)) | (Invite.uses < Invite.max_uses),
    ]


async def use_invite(session: AsyncSession, code: str) -> Invite | None:
    """Counts one use of the code inside the caller's transaction; None when it is not usable.

    The use is a conditional update, so two sign-ups racing for the last use cannot both win.
    """
    now = utcnow()
    invite = await session.scalar(select(Invite).where(Invite.code == code, *_usable(now)))  # type: ignore[arg-type]
    if invite is None:
        return None
    counted = await session.execute(
        update(Invite).where(Invite.id == invite.id, *_usable(now)).values(uses=Invite.uses + 1)  # type: ignore[arg-type]
    )
    return invite if counted.rowcount else None  # type: ignore[attr-defined]


async def revoke_invite(rt: Runtime, code: str) -> None:
    async with rt.write() as session:
        revoked = await session.execute(
            update(Invite).where(Invite.code == code, Invite.revoked_at.is_(None)).values(revoked_at=utcnow())
        )
    if not revoked.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"no usable invite with the code {code!r}")
