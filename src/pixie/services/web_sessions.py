"""Signing in to the web app: a session is an access token of the built-in web application, with
the browser it was made on; the token lives in an HttpOnly cookie and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from pixie.db.types import utcnow
from pixie.errors import Forbidden, NotFound, Unauthorized
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.oauth import AccessToken, Application, WebSession
from pixie.services import oauth
from pixie.services import scopes as scope_rules
from pixie.services.tokens import digest, new_secret

WEB_CLIENT_ID = "pixie-web"
WEB_SCOPES = frozenset({"read", "write", "follow", "push"})
BAD_LOGIN = "That e-mail, username or password is not right."


@dataclass(frozen=True)
class Started:
    """A new session: the secret for the cookie, and whose it is."""

    token: str
    account: Account


@dataclass(frozen=True)
class SessionView:
    id: int
    created_at: datetime
    user_agent: str
    ip: str
    current: bool


async def web_application_id(rt: Runtime) -> int:
    """The web app's own OAuth application, made the first time anyone signs in."""
    async with rt.db.read() as session:
        found = await session.scalar(select(Application.id).where(Application.client_id == WEB_CLIENT_ID))
    if found is not None:
        return found
    try:
        async with rt.write() as session:
            app = Application(
                name="Pixie web",
                website=rt.settings.base_url,
                redirect_uris=oauth.OOB,
                scopes=scope_rules.render(WEB_SCOPES),
                client_id=WEB_CLIENT_ID,
                # No secret anyone holds: the web app never uses the token endpoint.
                client_secret_hash=digest(new_secret()),
                grant_types="",
            )
            session.add(app)
        return app.id
    except IntegrityError:  # another process made it first
        return await web_application_id(rt)


async def start(rt: Runtime, account_id: int, *, user_agent: str, ip: str) -> str:
    """A session for an account that just proved who it is (signed up, or signed in)."""
    app_id = await web_application_id(rt)
    async with rt.write() as session:
        raw = oauth.issue_token(
            session, application_id=app_id, account_id=account_id, scopes=WEB_SCOPES
        ).access_token
        await session.flush()
        token_id = await session.scalar(select(AccessToken.id).where(AccessToken.token_hash == digest(raw)))
        session.add(
            WebSession(token_id=token_id, account_id=account_id, user_agent=user_agent[:400], ip=ip[:64])
        )
        await session.execute(
            update(User).where(User.account_id == account_id).values(last_sign_in_at=utcnow())
        )
    return raw


async def sign_in(rt: Runtime, login: str, password: str, *, user_agent: str, ip: str) -> Started:
    """Signs in with an e-mail address or a username and the password."""
    email = login.strip()
    if "@" not in email.lstrip("@"):
        async with rt.db.read() as session:
            found_email = await session.scalar(
                select(User.email)
                .join(Account, Account.id == User.account_id)
                .where(func.lower(Account.username) == email.lstrip("@").lower())
            )
        email = found_email or ""
    found = await oauth.check_password(rt, email, password)
    if found is None:
        raise Unauthorized(BAD_LOGIN)
    account = found[0]
    if account.suspended_at is not None:
        raise Forbidden(oauth.SUSPENDED_MESSAGE)
    return Started(await start(rt, account.id, user_agent=user_agent, ip=ip), account)


async def _end(rt: Runtime, condition: object) -> int:
    async with rt.write() as session:
        hashes = list(
            await session.scalars(
                select(AccessToken.token_hash)
                .join(WebSession, WebSession.token_id == AccessToken.id)
                .where(condition, AccessToken.revoked_at.is_(None))  # type: ignore[arg-type]
            )
        )
        if hashes:
            await session.execute(
                update(AccessToken).where(AccessToken.token_hash.in_(hashes)).values(revoked_at=utcnow())
            )
    for token_hash in hashes:
        await rt.pubsub.publish(oauth.AUTH_CHANNEL, "t:" + token_hash)
    return len(hashes)


async def sign_out(rt: Runtime, raw_token: str) -> None:
    """Ends the session behind a cookie (an unknown or ended one is ignored)."""
    await _end(rt, AccessToken.token_hash == digest(raw_token))


async def sessions_of(rt: Runtime, account_id: int, current_token_hash: str | None) -> list[SessionView]:
    async with rt.db.read() as session:
        rows = (
            await session.execute(
                select(WebSession, AccessToken.token_hash)
                .join(AccessToken, AccessToken.id == WebSession.token_id)
                .where(WebSession.account_id == account_id, AccessToken.revoked_at.is_(None))
                .order_by(WebSession.id.desc())
            )
        ).all()
    return [
        SessionView(s.id, s.created_at, s.user_agent, s.ip, current=token_hash == current_token_hash)
        for s, token_hash in rows
    ]


async def end_session(rt: Runtime, account_id: int, session_id: int) -> None:
    if not await _end(rt, (WebSession.id == session_id) & (WebSession.account_id == account_id)):
        raise NotFound("Record not found")


async def end_other_sessions(rt: Runtime, account_id: int, current_token_hash: str) -> int:
    """Signs out every other browser ("sign out everywhere else")."""
    return await _end(
        rt, (WebSession.account_id == account_id) & (AccessToken.token_hash != current_token_hash)
    )
