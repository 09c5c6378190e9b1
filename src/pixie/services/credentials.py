"""Changing how one signs in: a new password, a new e-mail address. Each needs the current
password first."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from pixie.db.types import utcnow
from pixie.errors import NotFound
from pixie.infra.outbox import record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import User
from pixie.models.oauth import AccessToken
from pixie.services import events, passwords
from pixie.services.accounts import Problems, check_new_password, normalise_email
from pixie.services.oauth import account_changed


async def _proven(rt: Runtime, account_id: int, password: str, problems: Problems) -> User:
    """The account's user, once its current password is given (a change of sign-in needs it);
    raises with every problem found so far otherwise."""
    async with rt.db.read() as session:
        user = await session.scalar(select(User).where(User.account_id == account_id))
    if user is None:
        raise NotFound()
    if not await passwords.verify_password(user.password_hash, password):
        problems.add("current_password", "ERR_INVALID", "The current password is not right")
    problems.raise_any()
    return user


async def change_password(
    rt: Runtime, account_id: int, current: str, new_password: str, *, keep_token_hash: str | None
) -> None:
    """A new password, given the current one. Every other session and app token ends (whoever
    knew the old password is out); the session that made the change, ``keep_token_hash``, stays."""
    problems = Problems()
    check_new_password(new_password, problems, "new_password")
    user = await _proven(rt, account_id, current, problems)
    password_hash = await passwords.hash_password(new_password)
    async with rt.write() as session:
        await session.execute(update(User).where(User.id == user.id).values(password_hash=password_hash))
        ended = list(
            await session.scalars(
                select(AccessToken.token_hash).where(
                    AccessToken.account_id == account_id,
                    AccessToken.revoked_at.is_(None),
                    AccessToken.token_hash != (keep_token_hash or ""),
                )
            )
        )
        await session.execute(
            update(AccessToken).where(AccessToken.token_hash.in_(ended)).values(revoked_at=utcnow())
        )
    await account_changed(rt, account_id)


async def change_email(rt: Runtime, account_id: int, password: str, new_email: str) -> User:
    """A new sign-in address, given the password. Where the instance confirms addresses, the new
    one is unconfirmed until its link is opened (a mail is sent to it)."""
    problems = Problems()
    normalised = normalise_email(new_email, problems)
    user = await _proven(rt, account_id, password, problems)
    if normalised == user.email:
        return user
    needs_confirmation = bool(rt.settings.require_email_confirmation)
    try:
        async with rt.write() as session:
            taken = await session.scalar(select(User.id).where(User.email == normalised))
            if taken is not None:
                problems.add("email", "ERR_TAKEN", "E-mail is already taken")
                problems.raise_any()
            await session.execute(
                update(User)
                .where(User.id == user.id)
                .values(email=normalised, confirmed_at=None if needs_confirmation else user.confirmed_at)
            )
            record(session, events.EmailChanged(user_id=user.id, needs_confirmation=needs_confirmation))
    except IntegrityError:
        problems.add("email", "ERR_TAKEN", "E-mail is already taken")
        problems.raise_any()
    await account_changed(rt, account_id)
    return user
