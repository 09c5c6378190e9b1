"""Accounts: registration, confirmation, password reset, profile changes, moderation states."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.config import RegistrationMode
from pixie.db.idlist import one_of
from pixie.db.types import utcnow
from pixie.errors import Forbidden, Invalid, NotFound
from pixie.infra.outbox import DomainEvent, record
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, AiTrainingConsent, User
from pixie.models.email_tokens import EmailToken
from pixie.models.oauth import AuthorizationCode
from pixie.services import events, media, passwords
from pixie.services.invites import use_invite
from pixie.services.oauth import IssuedToken, account_changed, issue_token, revoke_all_for_account
from pixie.services.tokens import digest, new_secret

USERNAME_RE = re.compile(r"^[A-Za-z0-9_]{1,30}$")
# The version of the question "may Pixie use my public posts and activity to improve AI
# models?"; a new wording gets a new number, and the data pipeline reads only matching answers.
AI_TRAINING_CONSENT_VERSION = 1
MAX_FIELDS = 4
FIELD_NAME_LIMIT = 255
FIELD_VALUE_LIMIT = 255
DISPLAY_NAME_LIMIT = 30
NOTE_LIMIT = 500
VISIBILITIES = ("public", "unlisted", "private", "direct")
CONFIRMATION_LIFETIME = timedelta(days=2)
RESET_LIFETIME = timedelta(hours=2)
CONFIRM, RESET = "confirm_email", "reset_password"


class ValidationFailed(Invalid):
    """422 with Mastodon's per-field ``details`` ({field: [{error, description}]})."""

    def __init__(self, details: dict[str, list[dict[str, str]]]) -> None:
        summary = ", ".join(item["description"] for items in details.values() for item in items)
        super().__init__(f"Validation failed: {summary}")
        self.details = details

    def by_field(self) -> dict[str, str]:
        """The first problem of each field, as a form shows it next to that field."""
        return {name: items[0]["description"] for name, items in self.details.items()}


@dataclass
class Problems:
    details: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def add(self, name: str, code: str, description: str) -> None:
        self.details.setdefault(name, []).append({"error": code, "description": description})

    def raise_any(self) -> None:
        if self.details:
            raise ValidationFailed(self.details)


def _check_username(rt: Runtime, username: str, problems: Problems) -> None:
    if not username:
        problems.add("username", "ERR_BLANK", "Username can't be blank")
    elif len(username) > 30:
        problems.add("username", "ERR_TOO_LONG", "Username is too long (maximum is 30 characters)")
    elif not USERNAME_RE.match(username):
        problems.add("username", "ERR_INVALID", "Username must contain only letters, numbers and underscores")
    elif username.lower() in {n.lower() for n in rt.settings.reserved_usernames}:
        problems.add("username", "ERR_RESERVED", "Username is reserved")


def normalise_email(email: str, problems: Problems) -> str:
    if not email:
        problems.add("email", "ERR_BLANK", "E-mail can't be blank")
        return ""
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        problems.add("email", "ERR_INVALID", "E-mail is invalid")
        return ""


def check_new_password(password: str, problems: Problems, name: str = "password") -> None:
    if not password:
        problems.add(name, "ERR_BLANK", "Password can't be blank")
    elif len(password) < passwords.MIN_LENGTH:
        problems.add(
            name, "ERR_TOO_SHORT", f"Password is too short (minimum is {passwords.MIN_LENGTH} characters)"
        )
    elif len(password) > passwords.MAX_LENGTH:
        problems.add(
            name, "ERR_TOO_LONG", f"Password is too long (maximum is {passwords.MAX_LENGTH} characters)"
        )


async def _taken(session: AsyncSession, username: str, email: str, problems: Problems) -> None:
    if username and await session.scalar(
        select(Account.id).where(func.lower(Account.username) == username.lower())
    ):
        problems.add("username", "ERR_TAKEN", "Username is already taken")
    if email and await session.scalar(select(User.id).where(User.email == email)):
        problems.add("email", "ERR_TAKEN", "E-mail is already taken")


def _set_consent(session: AsyncSession, user: User, granted: bool) -> None:
    now = utcnow()
    user.ai_training_consent = granted
    user.ai_training_consent_version = AI_TRAINING_CONSENT_VERSION
    user.ai_training_consent_at = now
    session.add(
        AiTrainingConsent(
            account_id=user.account_id, granted=granted, version=AI_TRAINING_CONSENT_VERSION, created_at=now
        )
    )
    record(
        session,
        events.ConsentChanged(
            account_id=user.account_id, granted=granted, version=AI_TRAINING_CONSENT_VERSION
        ),
    )


def withdraw_consent(session: AsyncSession, user: User) -> None:
    """Consent withdrawn within the caller's transaction (an account being deleted)."""
    _set_consent(session, user, False)


@dataclass(frozen=True)
class Registration:
    account: Account
    user: User
    token: IssuedToken | None


async def register(
    rt: Runtime,
    *,
    username: str,
    email: str,
    password: str,
    agreement: bool,
    locale: str = "en",
    reason: str = "",
    invite_code: str | None = None,
    ai_training_consent: bool = False,
    application_id: int | None = None,
    scopes: frozenset[str] = frozenset(),
) -> Registration:
    """A sign-up through the API (or web): the registration mode decides who may, and how."""
    mode = rt.settings.registrations
    if mode == RegistrationMode.CLOSED:
        raise Forbidden("Registrations are closed on this server")
    if mode == RegistrationMode.INVITE and not invite_code:
        raise Forbidden("This server is invite-only: an invite code is required to sign up")
    problems = Problems()
    _check_username(rt, username, problems)
    normalised = normalise_email(email, problems)
    check_new_password(password, problems)
    if not agreement:
        problems.add("agreement", "ERR_ACCEPTED", "Agreement must be accepted")
    if len(reason) > 500:
        problems.add("reason", "ERR_TOO_LONG", "Reason is too long (maximum is 500 characters)")
    if not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?", locale or "en"):
        problems.add("locale", "ERR_INCLUSION", "Locale is not a supported language tag")
    problems.raise_any()
    password_hash = await passwords.hash_password(password)
    try:
        async with rt.write() as session:
            await _taken(session, username, normalised, problems)
            problems.raise_any()
            invite_id = None
            if invite_code:
                invite = await use_invite(session, invite_code)
                if invite is None:
                    problems.add("invite_code", "ERR_INVALID", "Invite code is invalid, expired or used up")
                    problems.raise_any()
                else:
                    invite_id = invite.id
            account = Account(username=username)
            session.add(account)
            await session.flush()
            needs_approval = mode == RegistrationMode.APPROVAL
            user = User(
                account_id=account.id,
                email=normalised,
                password_hash=password_hash,
                approved=not needs_approval,
                locale=locale or "en",
                sign_up_reason=reason,
                invite_id=invite_id,
            )
            session.add(user)
            await session.flush()
            _set_consent(session, user, ai_training_consent)
            record(
                session,
                events.AccountCreated(
                    account_id=account.id,
                    user_id=user.id,
                    needs_confirmation=bool(rt.settings.require_email_confirmation),
                    needs_approval=needs_approval,
                ),
            )
            token = (
                issue_token(session, application_id=application_id, account_id=account.id, scopes=scopes)
                if application_id is not None
                else None
            )
    except IntegrityError:
        # Another sign-up took the name or address between our check and our insert.
        problems.add("username", "ERR_TAKEN", "Username or e-mail is already taken")
        problems.raise_any()
        raise
    return Registration(account, user, token)


async def create_user(
    rt: Runtime, *, username: str, email: str, password: str, admin: bool = False
) -> Account:
    """An operator's account creation (CLI): no invite needed, confirmed and approved at once."""
    problems = Problems()
    if not username or len(username) > 30 or not USERNAME_RE.match(username):
        _check_username(rt, username, problems)
    normalised = normalise_email(email, problems)
    check_new_password(password, problems)
    problems.raise_any()
    password_hash = await passwords.hash_password(password)
    try:
        async with rt.write() as session:
            await _taken(session, username, normalised, problems)
            problems.raise_any()
            account = Account(username=username)
            session.add(account)
            await session.flush()
            user = User(
                account_id=account.id,
                email=normalised,
                password_hash=password_hash,
                admin=admin,
                approved=True,
                confirmed_at=utcnow(),
            )
            session.add(user)
            await session.flush()
            _set_consent(session, user, False)
            record(
                session,
                events.AccountCreated(
                    account_id=account.id, user_id=user.id, needs_confirmation=False, needs_approval=False
                ),
            )
    except IntegrityError:
        problems.add("username", "ERR_TAKEN", "Username or e-mail is already taken")
        problems.raise_any()
        raise
    return account


# --- reading ------------------------------------------------------------------------------


async def get_account(rt: Runtime, account_id: int) -> Account:
    """A visible account; suspended accounts are gone for everyone (404), as on Mastodon."""
    async with rt.db.read() as session:
        account = await session.get(Account, account_id)
    if account is None or account.suspended_at is not None:
        raise NotFound()
    return account


async def accounts_by_id(session: AsyncSession, ids: Collection[int]) -> list[Account]:
    """These accounts, in one query (for rendering: the caller decided who may see them)."""
    if not ids:
        return []
    return list(await session.scalars(select(Account).where(one_of(Account.id, set(ids)))))


async def _account_and_user(session: AsyncSession, condition: Any) -> tuple[Account, User]:
    row = (
        await session.execute(
            select(Account, User).join(User, User.account_id == Account.id).where(condition)
        )
    ).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


async def get_user(rt: Runtime, account_id: int) -> tuple[Account, User]:
    async with rt.db.read() as session:
        return await _account_and_user(session, Account.id == account_id)


async def lookup(rt: Runtime, acct: str) -> Account:
    """``name`` or ``name@this.domain``; other domains are not known here."""
    name, _, domain = acct.strip().lstrip("@").partition("@")
    if domain and domain.lower() != rt.settings.domain.lower():
        raise NotFound()
    if not USERNAME_RE.match(name):
        raise NotFound()
    async with rt.db.read() as session:
        account = await session.scalar(select(Account).where(func.lower(Account.username) == name.lower()))
    if account is None or account.suspended_at is not None:
        raise NotFound()
    return account


async def _by_username(session: AsyncSession, username: str) -> tuple[Account, User]:
    try:
        return await _account_and_user(session, func.lower(Account.username) == username.lower())
    except NotFound:
        raise NotFound(f"no account named {username!r}") from None


# --- profile ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileChanges:
    """What update_credentials may change; None leaves a value as it is."""

    display_name: str | None = None
    note: str | None = None
    locked: bool | None = None
    bot: bool | None = None
    discoverable: bool | None = None
    indexable: bool | None = None
    fields: list[tuple[str, str]] | None = None
    privacy: str | None = None
    sensitive: bool | None = None
    language: str | None = None
    ai_training_consent: bool | None = None
    hide_prompt: bool | None = None
    allow_remix: bool | None = None
    direct_messages: str | None = None  # everyone, following or nobody


DIRECT_MESSAGE_CHOICES = ("everyone", "following", "nobody")


async def update_profile(
    rt: Runtime, account_id: int, changes: ProfileChanges, *, images: dict[str, bytes] | None = None
) -> tuple[Account, User]:
    """Changes the profile; ``images`` may hold a new "avatar" and "header" (image file bytes)."""
    problems = Problems()
    if changes.display_name is not None and len(changes.display_name) > DISPLAY_NAME_LIMIT:
        problems.add(
            "display_name",
            "ERR_TOO_LONG",
            f"Display name is too long (maximum is {DISPLAY_NAME_LIMIT} characters)",
        )
    if changes.note is not None and len(changes.note) > NOTE_LIMIT:
        problems.add("note", "ERR_TOO_LONG", f"Note is too long (maximum is {NOTE_LIMIT} characters)")
    if changes.fields is not None:
        if len(changes.fields) > MAX_FIELDS:
            problems.add("fields", "ERR_TOO_LONG", f"Profile metadata has more than {MAX_FIELDS} fields")
        for name, value in changes.fields:
            if len(name) > FIELD_NAME_LIMIT or len(value) > FIELD_VALUE_LIMIT:
                problems.add(
                    "fields", "ERR_TOO_LONG", "Profile field is too long (maximum is 255 characters)"
                )
    if changes.privacy is not None and changes.privacy not in VISIBILITIES:
        problems.add(
            "source[privacy]",
            "ERR_INCLUSION",
            "Default visibility must be public, unlisted, private or direct",
        )
    if changes.language and not re.fullmatch(r"[a-z]{2,3}", changes.language):
        problems.add("source[language]", "ERR_INCLUSION", "Language must be an ISO 639 code")
    if changes.direct_messages is not None and changes.direct_messages not in DIRECT_MESSAGE_CHOICES:
        problems.add(
            "source[pixie][direct_messages]",
            "ERR_INCLUSION",
            "Direct messages must be everyone, following or nobody",
        )
    problems.raise_any()
    stored: dict[str, str] = {}
    try:
        for kind, data in (images or {}).items():
            stored[kind] = await media.store_profile_image(rt, kind, data)
        account, user, replaced = await _save_profile(rt, account_id, changes, stored)
    except BaseException:
        await media.forget_files(rt, list(stored.values()))
        raise
    await media.forget_files(rt, replaced)
    return account, user


async def _save_profile(
    rt: Runtime, account_id: int, changes: ProfileChanges, stored: dict[str, str]
) -> tuple[Account, User, list[str | None]]:
    replaced: list[str | None] = []
    async with rt.write() as session:
        account, user = await _account_and_user(session, Account.id == account_id)
        if "avatar" in stored:
            replaced.append(account.avatar_key)
            account.avatar_key = stored["avatar"]
        if "header" in stored:
            replaced.append(account.header_key)
            account.header_key = stored["header"]
        for name in ("display_name", "note", "locked", "bot", "discoverable", "indexable"):
            value = getattr(changes, name)
            if value is not None:
                setattr(
                    account,
                    name,
                    value.strip() if isinstance(value, str) and name == "display_name" else value,
                )
        if changes.fields is not None:
            account.fields = [
                {"name": n, "value": v, "verified_at": None} for n, v in changes.fields if n or v
            ]
        if changes.privacy is not None:
            user.default_visibility = changes.privacy
        if changes.sensitive is not None:
            user.default_sensitive = changes.sensitive
        if changes.language is not None:
            user.default_language = changes.language or None
        if (
            changes.ai_training_consent is not None
            and changes.ai_training_consent != user.ai_training_consent
        ):
            _set_consent(session, user, changes.ai_training_consent)
        if changes.hide_prompt is not None:
            user.hide_prompt = changes.hide_prompt
        if changes.allow_remix is not None:
            user.allow_remix = changes.allow_remix
        if changes.direct_messages is not None:
            user.direct_messages = changes.direct_messages
        account.updated_at = utcnow()
        record(session, events.AccountUpdated(account_id=account.id))
    return account, user, replaced


# --- moderation (CLI for now) ---------------------------------------------------------------


async def set_suspended(rt: Runtime, username: str, suspended: bool) -> Account:
    async with rt.write() as session:
        account, _ = await _by_username(session, username)
        account.suspended_at = utcnow() if suspended else None
        event: DomainEvent = (
            events.AccountSuspended(account_id=account.id)
            if suspended
            else events.AccountUnsuspended(account_id=account.id)
        )
        record(session, event)
    await account_changed(rt, account.id)
    return account


async def approve(rt: Runtime, username: str) -> Account:
    async with rt.write() as session:
        account, user = await _by_username(session, username)
        if user.approved:
            return account
        user.approved = True
        record(session, events.AccountApproved(account_id=account.id))
    await account_changed(rt, account.id)
    return account


# --- e-mail confirmation and password reset --------------------------------------------------


async def make_email_token(rt: Runtime, user_id: int, purpose: str) -> str:
    raw = new_secret()
    lifetime = CONFIRMATION_LIFETIME if purpose == CONFIRM else RESET_LIFETIME
    async with rt.write() as session:
        session.add(
            EmailToken(
                user_id=user_id, purpose=purpose, token_hash=digest(raw), expires_at=utcnow() + lifetime
            )
        )
    return raw


async def _use_email_token(session: AsyncSession, raw: str, purpose: str) -> EmailToken:
    now = utcnow()
    token = await session.scalar(
        select(EmailToken).where(EmailToken.token_hash == digest(raw), EmailToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at < now:
        raise Invalid("This link is invalid or has expired")
    used = await session.execute(
        update(EmailToken).where(EmailToken.id == token.id, EmailToken.used_at.is_(None)).values(used_at=now)
    )
    if not used.rowcount:  # type: ignore[attr-defined]
        raise Invalid("This link is invalid or has expired")
    return token


async def confirm_email(rt: Runtime, raw_token: str) -> Account:
    async with rt.write() as session:
        token = await _use_email_token(session, raw_token, CONFIRM)
        user = await session.get(User, token.user_id)
        assert user is not None
        if user.confirmed_at is None:
            user.confirmed_at = utcnow()
            record(session, events.EmailConfirmed(account_id=user.account_id))
        account = await session.get(Account, user.account_id)
        assert account is not None
    await account_changed(rt, account.id)
    return account


async def request_password_reset(rt: Runtime, email: str) -> None:
    """Sends a reset link if the address is known; says nothing either way (no account probing)."""
    async with rt.write() as session:
        user = await session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is not None:
            record(session, events.PasswordResetRequested(user_id=user.id))


async def reset_password(rt: Runtime, raw_token: str, new_password: str) -> Account:
    problems = Problems()
    check_new_password(new_password, problems)
    problems.raise_any()
    password_hash = await passwords.hash_password(new_password)
    async with rt.write() as session:
        token = await _use_email_token(session, raw_token, RESET)
        user = await session.get(User, token.user_id)
        assert user is not None
        user.password_hash = password_hash
        # Whoever had the old password loses every session; following the link proves the address.
        if user.confirmed_at is None:
            user.confirmed_at = utcnow()
        await revoke_all_for_account(session, user.account_id)
        # ...and every other way in that the old password opened: other reset links, and
        # authorization codes not yet redeemed.
        now = utcnow()
        await session.execute(
            update(EmailToken)
            .where(EmailToken.user_id == user.id, EmailToken.purpose == RESET, EmailToken.used_at.is_(None))
            .values(used_at=now)
        )
        await session.execute(
            delete(AuthorizationCode).where(
                AuthorizationCode.account_id == user.account_id, AuthorizationCode.used_at.is_(None)
            )
        )
        account = await session.get(Account, user.account_id)
        assert account is not None
    await account_changed(rt, account.id)
    return account


async def count_users(rt: Runtime, *, active_since_days: int | None = None) -> int:
    async with rt.db.read() as session:
        query = select(func.count()).select_from(Account).where(Account.suspended_at.is_(None))
        if active_since_days is not None:
            since = utcnow() - timedelta(days=active_since_days)
            query = query.join(User, User.account_id == Account.id).where(User.last_sign_in_at >= since)
        return int(await session.scalar(query) or 0)


def consent_of(user: User) -> dict[str, Any]:
    return {
        "granted": user.ai_training_consent,
        "version": user.ai_training_consent_version,
        "current_version": AI_TRAINING_CONSENT_VERSION,
        "updated_at": user.ai_training_consent_at,
    }
