"""OAuth applications, access tokens and authorization codes. Secrets are kept as SHA-256 only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pixie.db.base import Base, CreatedMixin, IdMixin
from pixie.db.types import UTCDateTime


class Application(IdMixin, CreatedMixin, Base):
    __tablename__ = "oauth_applications"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    website: Mapped[str | None] = mapped_column(String(2000))
    redirect_uris: Mapped[str] = mapped_column(Text, nullable=False)  # newline-separated
    scopes: Mapped[str] = mapped_column(Text, nullable=False)  # space-separated
    client_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    client_secret_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    owner_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"))
    # Space-separated; an app that registers "refresh_token" gets expiring tokens with refresh tokens.
    grant_types: Mapped[str] = mapped_column(
        Text, nullable=False, default="authorization_code password client_credentials"
    )


class AccessToken(IdMixin, CreatedMixin, Base):
    __tablename__ = "oauth_access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("oauth_applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    scopes: Mapped[str] = mapped_column(Text, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The code it was redeemed from: a second use of that code revokes it (RFC 6749, 4.1.2).
    authorization_code_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # The first token of a refresh chain; a reused refresh token revokes the whole family.
    family_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)


class AuthorizationCode(IdMixin, CreatedMixin, Base):
    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    application_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("oauth_applications.id", ondelete="CASCADE"), nullable=False
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    redirect_uri: Mapped[str] = mapped_column(Text, nullable=False)
    scopes: Mapped[str] = mapped_column(Text, nullable=False)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(IdMixin, CreatedMixin, Base):
    """A browser's sign-in to the web app. Its secret is an access token of the built-in web
    application, kept in an HttpOnly cookie: revoking the token ends the session everywhere."""

    __tablename__ = "web_sessions"

    token_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("oauth_access_tokens.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_agent: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")
