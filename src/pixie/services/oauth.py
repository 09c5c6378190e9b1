"""OAuth 2 as Mastodon has it: applications, grants, tokens, revocation, and token look-up."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import SplitResult, urlsplit

from cachetools import TTLCache
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pixie.db.ids import new_id
from pixie.db.types import utcnow
from pixie.errors import Forbidden, Invalid, PixieError, Unauthorized
from pixie.infra.outbox import Delivery
from pixie.infra.pubsub import RESET
from pixie.infra.runtime import Runtime
from pixie.models.accounts import Account, User
from pixie.models.oauth import AccessToken, Application, AuthorizationCode
from pixie.services import events
from pixie.services import scopes as scope_rules
from pixie.services.passwords import verify_password
from pixie.services.tokens import digest, new_secret

OOB = "urn:ietf:wg:oauth:2.0:oob"
# An S256 challenge is 43 base64url characters; RFC 7636 allows 43 to 128 unreserved ones.
PKCE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")
CODE_LIFETIME = timedelta(minutes=10)
# Only tokens that come with a refresh token expire (apps opt in by registering the
# refresh_token grant); the rest live until revoked, as Mastodon's do.
REFRESHABLE_LIFETIME = timedelta(days=1)
GRANT_TYPES = ("authorization_code", "password", "client_credentials", "refresh_token")
AUTH_CHANNEL = "auth"


class OAuthError(PixieError):
    """An error of the token endpoint, in RFC 6749's shape (``error`` is the error code)."""

    def __init__(self, code: str, description: str, *, status_code: int = 400) -> None:
        super().__init__(code, description=description)
        self.status_code = status_code


def invalid_grant() -> OAuthError:
    return OAuthError(
        "invalid_grant",
        "The provided authorization grant is invalid, expired, revoked, does not match the "
        "redirection URI used in the authorization request, or was issued to another client.",
    )


def invalid_client() -> OAuthError:
    return OAuthError(
        "invalid_client",
        "Client authentication failed due to unknown client, no client authentication "
        "included, or unsupported authentication method.",
        status_code=401,
    )


# --- applications -------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedApplication:
    application: Application
    client_secret: str  # shown once, at creation


# Schemes that would run code in the browser that follows the redirect.
_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob"})
MAX_URI_LENGTH = 2000


def _split(uri: str) -> SplitResult | None:
    try:
        return urlsplit(uri)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None


def _check_redirect_uris(text: str) -> list[str]:
    # Whitespace separates them, as on Mastodon; a comma may belong to a URI's query.
    uris = text.split()
    if not uris:
        raise Invalid("Validation failed: Redirect URI can't be blank")
    for uri in uris:
        if uri == OOB:
            continue
        parts = _split(uri)
        if (
            parts is None
            or len(uri) > MAX_URI_LENGTH
            or not parts.scheme
            or parts.scheme.lower() in _UNSAFE_SCHEMES
            or parts.fragment
            or (parts.scheme in ("http", "https") and not parts.netloc)
        ):
            raise Invalid(f"Validation failed: Redirect URI must be an absolute URI: {uri[:200]}")
    return uris


async def create_application(
    rt: Runtime,
    *,
    name: str,
    redirect_uris: str,
    scopes: str | None,
    website: str | None,
    grant_types: list[str] | None = None,
    owner_id: int | None = None,
) -> CreatedApplication:
    if not name.strip():
        raise Invalid("Validation failed: Application name can't be blank")
    if len(name) > 200:
        raise Invalid("Validation failed: Application name is too long (maximum is 200 characters)")
    uris = _check_redirect_uris(redirect_uris)
    granted = scope_rules.parse(scopes)
    if website and (
        len(website) > MAX_URI_LENGTH
        or (parts := _split(website)) is None
        or parts.scheme not in ("http", "https")
    ):
        raise Invalid("Validation failed: Website must be an http(s) URL")
    grants = grant_types or ["authorization_code", "password", "client_credentials"]
    unknown = [g for g in grants if g not in GRANT_TYPES]
    if unknown:
        raise Invalid(f"Validation failed: unsupported grant type: {' '.join(unknown)}")
    secret = new_secret()
    app = Application(
        grant_types=" ".join(dict.fromkeys(grants)),
        name=name.strip(),
        website=website or None,
        redirect_uris="\n".join(uris),
        scopes=scope_rules.render(granted),
        client_id=new_secret(),
        client_secret_hash=digest(secret),
        owner_id=owner_id,
    )
    async with rt.write() as session:
        session.add(app)
    return CreatedApplication(app, secret)


async def find_application(rt: Runtime, client_id: str) -> Application | None:
    async with rt.db.read() as session:
        return await session.scalar(select(Application).where(Application.client_id == client_id))


async def get_application(rt: Runtime, application_id: int) -> Application | None:
    async with rt.db.read() as session:
        return await session.get(Application, application_id)


def redirect_uri_allowed(app: Application, redirect_uri: str) -> bool:
    return redirect_uri in app.redirect_uris.split("\n")


async def authenticate_client(rt: Runtime, client_id: str | None, client_secret: str | None) -> Application:
    if not client_id:
        raise invalid_client()
    app = await find_application(rt, client_id)
    if (
        app is None
        or client_secret is None
        or not hmac.compare_digest(app.client_secret_hash, digest(client_secret))
    ):
        raise invalid_client()
    return app


# --- tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scopes: str
    created_at: datetime
    refresh_token: str | None = None
    expires_in: int | None = None


def issue_token(
    session: AsyncSession,
    *,
    application_id: int,
    account_id: int | None,
    scopes: frozenset[str],
    refreshable: bool = False,
    authorization_code_id: int | None = None,
    family_id: int | None = None,
) -> IssuedToken:
    """Adds a new token to the caller's transaction and returns its secrets. A refreshed token
    stays in the family (and keeps the code) of the token it replaces."""
    raw = new_secret()
    refresh = new_secret() if refreshable else None
    now = utcnow()
    token_id = new_id()
    session.add(
        AccessToken(
            id=token_id,
            family_id=family_id or token_id,
            token_hash=digest(raw),
            refresh_token_hash=digest(refresh) if refresh else None,
            application_id=application_id,
            account_id=account_id,
            scopes=scope_rules.render(scopes),
            created_at=now,
            expires_at=now + REFRESHABLE_LIFETIME if refreshable else None,
            authorization_code_id=authorization_code_id,
        )
    )
    return IssuedToken(
        access_token=raw,
        scopes=scope_rules.render(scopes),
        created_at=now,
        refresh_token=refresh,
        expires_in=int(REFRESHABLE_LIFETIME.total_seconds()) if refreshable else None,
    )


def requested_scopes(app: Application, requested: str | None) -> frozenset[str]:
    """What a token request (or an authorization request) asks for; ``read`` when it names
    nothing, as on Mastodon. Unknown scopes, or scopes the app did not register, are refused."""
    try:
        wanted = scope_rules.parse(requested)
    except Invalid:
        wanted = None
    if wanted is None or not scope_rules.subset(wanted, frozenset(app.scopes.split())):
        raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
    return wanted


def _wants_refresh(app: Application) -> bool:
    return "refresh_token" in app.grant_types.split()


async def check_password(rt: Runtime, email: str, password: str) -> tuple[Account, User] | None:
    """The account behind an e-mail and password, or None. An unknown e-mail and a wrong password
    give the same answer after the same work (a dummy hash is checked for unknown e-mails)."""
    async with rt.db.read() as session:
        row = (
            await session.execute(
                select(Account, User)
                .join(User, User.account_id == Account.id)
                .where(User.email == email.strip().lower())
            )
        ).first()
    found = (row[0], row[1]) if row else None
    if not await verify_password(found[1].password_hash if found else None, password):
        return None
    return found


SUSPENDED_MESSAGE = "Your login is currently disabled"


async def password_grant(
    rt: Runtime, app: Application, *, email: str, password: str, scope: str | None
) -> IssuedToken:
    wanted = requested_scopes(app, scope)
    found = await check_password(rt, email, password)
    if found is None:
        raise invalid_grant()
    account, user = found
    if account.suspended_at is not None:
        raise Forbidden(SUSPENDED_MESSAGE)
    async with rt.write() as session:
        await session.execute(update(User).where(User.id == user.id).values(last_sign_in_at=utcnow()))
        return issue_token(
            session,
            application_id=app.id,
            account_id=account.id,
            scopes=wanted,
            refreshable=_wants_refresh(app),
        )


async def client_credentials_grant(rt: Runtime, app: Application, *, scope: str | None) -> IssuedToken:
    wanted = requested_scopes(app, scope)
    async with rt.write() as session:
        return issue_token(session, application_id=app.id, account_id=None, scopes=wanted)


def _pkce_matches(challenge: str, method: str | None, verifier: str) -> bool:
    if method == "S256":
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        return hmac.compare_digest(computed, challenge)
    return False


async def create_authorization_code(
    rt: Runtime,
    app: Application,
    *,
    account_id: int,
    redirect_uri: str,
    scopes: frozenset[str],
    code_challenge: str | None,
    code_challenge_method: str | None,
) -> str:
    code = new_secret()
    async with rt.write() as session:
        session.add(
            AuthorizationCode(
                code_hash=digest(code),
                application_id=app.id,
                account_id=account_id,
                redirect_uri=redirect_uri,
                scopes=scope_rules.render(scopes),
                code_challenge=code_challenge,
                code_challenge_method=code_challenge_method,
                expires_at=utcnow() + CODE_LIFETIME,
            )
        )
    return code


async def authorization_code_grant(
    rt: Runtime,
    app: Application,
    *,
    code: str,
    redirect_uri: str | None,
    code_verifier: str | None,
    client_authenticated: bool = True,
) -> IssuedToken:
    """Redeems a code once. A client without its secret (a public client) may redeem only a code
    that was issued with a PKCE challenge, and must answer it. A second use of a code revokes the
    tokens the first use got (RFC 6749, 4.1.2): whoever replays it may have stolen it."""
    now = utcnow()
    async with rt.write() as session:
        grant = await session.scalar(
            select(AuthorizationCode).where(AuthorizationCode.code_hash == digest(code))
        )
        if grant is None or grant.application_id != app.id or grant.expires_at < now:
            raise invalid_grant()
        if grant.used_at is None:
            if not client_authenticated and grant.code_challenge is None:
                raise invalid_client()
            if redirect_uri != grant.redirect_uri:
                raise invalid_grant()
            if grant.code_challenge is None:
                if code_verifier:
                    raise invalid_grant()  # a verifier for a code that had no challenge
            elif not (
                code_verifier
                and _pkce_matches(grant.code_challenge, grant.code_challenge_method, code_verifier)
            ):
                raise invalid_grant()
            # Used at most once, even by two requests racing with the same code.
            used = await session.execute(
                update(AuthorizationCode)
                .where(AuthorizationCode.id == grant.id, AuthorizationCode.used_at.is_(None))
                .values(used_at=now)
            )
            if used.rowcount:  # type: ignore[attr-defined]
                await session.execute(
                    update(User).where(User.account_id == grant.account_id).values(last_sign_in_at=now)
                )
                return issue_token(
                    session,
                    application_id=app.id,
                    account_id=grant.account_id,
                    scopes=frozenset(grant.scopes.split()),
                    refreshable=_wants_refresh(app),
                    authorization_code_id=grant.id,
                )
        families = select(AccessToken.family_id).where(AccessToken.authorization_code_id == grant.id)
        revoked = await _revoke_families(session, families)
    await publish_revoked(rt, revoked)
    raise invalid_grant()


async def _revoke_families(session: AsyncSession, families: Any) -> list[str]:
    """Revokes every live token of the given families; returns their hashes to publish."""
    live = (AccessToken.family_id.in_(families), AccessToken.revoked_at.is_(None))
    hashes = list(await session.scalars(select(AccessToken.token_hash).where(*live)))
    await session.execute(update(AccessToken).where(*live).values(revoked_at=utcnow()))
    return hashes


async def publish_revoked(rt: Runtime, hashes: list[str]) -> None:
    for token_hash in hashes:
        await rt.pubsub.publish(AUTH_CHANNEL, "t:" + token_hash)


async def refresh_token_grant(rt: Runtime, app: Application, *, refresh_token: str) -> IssuedToken:
    """Rotates a refresh token. A refresh token used a second time was copied: the whole family
    of tokens it belongs to is revoked (RFC 6819, 5.2.2.3)."""
    now = utcnow()
    async with rt.write() as session:
        old = await session.scalar(
            select(AccessToken).where(AccessToken.refresh_token_hash == digest(refresh_token))
        )
        if old is None or old.application_id != app.id:
            raise invalid_grant()
        rotated = await session.execute(
            update(AccessToken)
            .where(AccessToken.id == old.id, AccessToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        if rotated.rowcount:  # type: ignore[attr-defined]
            issued = issue_token(
                session,
                application_id=app.id,
                account_id=old.account_id,
                scopes=frozenset(old.scopes.split()),
                refreshable=True,
                authorization_code_id=old.authorization_code_id,
                family_id=old.family_id,
            )
            replayed: list[str] = []
        else:
            replayed = await _revoke_families(session, [old.family_id])
    if replayed:
        await publish_revoked(rt, replayed)
        raise invalid_grant()
    await publish_revoked(rt, [old.token_hash])
    return issued


async def revoke_token(rt: Runtime, app: Application, token: str) -> None:
    """Revokes an access or refresh token of this app; unknown tokens are ignored (RFC 7009)."""
    hashed = digest(token)
    async with rt.write() as session:
        found = await session.scalar(
            select(AccessToken).where(
                (AccessToken.token_hash == hashed) | (AccessToken.refresh_token_hash == hashed),
                AccessToken.application_id == app.id,
            )
        )
        if found is None or found.revoked_at is not None:
            return
        found.revoked_at = utcnow()
        token_hash = found.token_hash
    await rt.pubsub.publish(AUTH_CHANNEL, "t:" + token_hash)


async def revoke_all_for_account(session: AsyncSession, account_id: int) -> None:
    await session.execute(
        update(AccessToken)
        .where(AccessToken.account_id == account_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


# --- who is calling -----------------------------------------------------------------------

ACTIVE, SUSPENDED, UNCONFIRMED, PENDING = "active", "suspended", "unconfirmed", "pending"


@dataclass(frozen=True)
class Principal:
    """What a bearer token stands for, as every entry point sees it."""

    token_id: int
    token_hash: str
    application_id: int
    account_id: int | None
    scopes: frozenset[str]
    state: str  # active, suspended, unconfirmed, pending (app-only tokens are active)
    admin: bool
    expires_at: datetime | None

    def allows(self, scope: str) -> bool:
        return scope_rules.covers(self.scopes, scope)


class TokenCache:
    """Recently used tokens of this process, dropped at once when pub/sub says they changed."""

    def __init__(self, ttl_seconds: float, maxsize: int = 20_000) -> None:
        self._cache: TTLCache[str, Principal] = TTLCache(maxsize=maxsize, ttl=ttl_seconds)
        # Bumped by every invalidation: a look-up whose database read began before one must not
        # cache what it read (the row may predate the revocation).
        self.generation = 0

    def get(self, token_hash: str) -> Principal | None:
        return self._cache.get(token_hash)

    def put(self, principal: Principal, *, read_at_generation: int) -> None:
        if read_at_generation == self.generation:
            self._cache[principal.token_hash] = principal

    async def on_message(self, message: str) -> None:
        self.generation += 1
        if message == RESET:
            self._cache.clear()
        elif message.startswith("t:"):
            self._cache.pop(message[2:], None)
        elif message.startswith("a:"):
            account_id = int(message[2:])
            for key, principal in list(self._cache.items()):
                if principal.account_id == account_id:
                    self._cache.pop(key, None)


def install_token_cache(rt: Runtime) -> TokenCache:
    cache = TokenCache(rt.settings.token_cache_seconds)
    rt.pubsub.subscribe(AUTH_CHANNEL, cache.on_message)

    async def account_state_changed(delivery: Delivery) -> None:
        # The writer published already; this reaches processes its pub/sub could not (a CLI run
        # beside an embedded server shares only the database with it).
        account_id = getattr(delivery.event, "account_id", None)
        if account_id is not None:
            await account_changed(rt, account_id)

    rt.handlers.add(
        "auth.cache",
        [events.AccountSuspended, events.AccountUnsuspended, events.AccountApproved, events.EmailConfirmed],
        account_state_changed,
    )
    return cache


async def account_changed(rt: Runtime, account_id: int) -> None:
    """Every process drops what it cached about this account's tokens."""
    await rt.pubsub.publish(AUTH_CHANNEL, f"a:{account_id}")


async def authenticate(rt: Runtime, cache: TokenCache, raw_token: str) -> Principal:
    """The principal behind a bearer token: one indexed query, cached; 401 when it is not valid."""
    return await principal_by_hash(rt, cache, digest(raw_token))


async def principal_by_hash(rt: Runtime, cache: TokenCache, token_hash: str) -> Principal:
    """The principal behind a token's hash (a live stream checks its token again with it)."""
    principal = cache.get(token_hash)
    if principal is None:
        generation = cache.generation
        async with rt.db.read() as session:
            row = (
                await session.execute(
                    select(AccessToken, Account.suspended_at, User.confirmed_at, User.approved, User.admin)
                    .outerjoin(Account, Account.id == AccessToken.account_id)
                    .outerjoin(User, User.account_id == AccessToken.account_id)
                    .where(AccessToken.token_hash == token_hash, AccessToken.revoked_at.is_(None))
                )
            ).first()
        if row is None:
            raise Unauthorized("The access token is invalid")
        token, suspended_at, confirmed_at, approved, admin = row
        state = ACTIVE
        if token.account_id is not None:
            if suspended_at is not None:
                state = SUSPENDED
            elif not approved:
                state = PENDING
            elif confirmed_at is None and rt.settings.require_email_confirmation:
                state = UNCONFIRMED
        principal = Principal(
            token_id=token.id,
            token_hash=token_hash,
            application_id=token.application_id,
            account_id=token.account_id,
            scopes=frozenset(token.scopes.split()),
            state=state,
            admin=bool(admin),
            expires_at=token.expires_at,
        )
        cache.put(principal, read_at_generation=generation)
    if principal.expires_at is not None and principal.expires_at < utcnow():
        raise Unauthorized("The access token expired")
    return principal
