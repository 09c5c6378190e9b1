"""Mail that follows account events: address confirmation and password reset links."""

from __future__ import annotations

from sqlalchemy import select

from pixie.infra.mail import compose
from pixie.infra.outbox import Delivery
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.services import events
from pixie.services.accounts import CONFIRM, RESET, make_email_token


async def _recipient(rt: Runtime, user_id: int) -> tuple[User, Account] | None:
    async with rt.db.read() as session:
        row = (
            await session.execute(
                select(User, Account).join(Account, Account.id == User.account_id).where(User.id == user_id)
            )
        ).first()
    return (row[0], row[1]) if row else None


async def _send(rt: Runtime, to: str, subject: str, text: str) -> None:
    settings = rt.settings
    await rt.mailer.send(
        compose(sender=settings.smtp_from, to=to, subject=subject, text=text, domain=settings.domain)
    )


async def send_confirmation(rt: Runtime, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, events.AccountCreated | events.EmailChanged)
    if isinstance(event, events.EmailChanged) and not event.needs_confirmation:
        return
    found = await _recipient(rt, event.user_id)
    if found is None or found[0].confirmed_at is not None:
        return
    user, account = found
    token = await make_email_token(rt, user.id, CONFIRM)
    link = rt.settings.url(f"/auth/confirmation?token={token}")
    opening = (
        f"this is now the address of your {rt.settings.instance_title} account."
        if isinstance(event, events.EmailChanged)
        else f"welcome to {rt.settings.instance_title}."
    )
    text = (
        f"Hello @{account.username},\n\n"
        f"{opening} Confirm your e-mail address by opening this link:\n\n"
        f"{link}\n\nThe link works for two days. If you did not ask for this, ignore this message.\n"
    )
    await _send(rt, user.email, f"Confirm your e-mail address for {rt.settings.instance_title}", text)


async def send_password_reset(rt: Runtime, delivery: Delivery) -> None:
    event = delivery.event
    assert isinstance(event, events.PasswordResetRequested)
    found = await _recipient(rt, event.user_id)
    if found is None:
        return
    user, account = found
    token = await make_email_token(rt, user.id, RESET)
    link = rt.settings.url(f"/auth/password/edit?token={token}")
    text = (
        f"Hello @{account.username},\n\n"
        f"someone asked to reset the password of your {rt.settings.instance_title} account. "
        f"To choose a new one, open this link within two hours:\n\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n"
    )
    await _send(rt, user.email, f"Reset your {rt.settings.instance_title} password", text)


def install(rt: Runtime) -> None:
    rt.handlers.add(
        "mail.confirmation", [events.AccountCreated, events.EmailChanged], lambda d: send_confirmation(rt, d)
    )
    rt.handlers.add(
        "mail.password_reset", [events.PasswordResetRequested], lambda d: send_password_reset(rt, d)
    )
