"""Account, CredentialAccount, Preferences, Application and Token entities."""

from __future__ import annotations

import html
from typing import Any

from pixie.config import Settings
from pixie.convert.common import text_to_html, timestamp
from pixie.models.accounts import Account, User
from pixie.models.oauth import Application
from pixie.services.accounts import consent_of
from pixie.services.oauth import IssuedToken

DEFAULT_AVATAR = "/static/avatar.png"
DEFAULT_HEADER = "/static/header.png"


def _media_url(settings: Settings, key: str | None, default: str) -> str:
    return settings.media_url(key) if key else settings.url(default)


def account(settings: Settings, a: Account) -> dict[str, Any]:
    avatar = _media_url(settings, a.avatar_key, DEFAULT_AVATAR)
    header = _media_url(settings, a.header_key, DEFAULT_HEADER)
    return {
        "id": str(a.id),
        "username": a.username,
        "acct": a.username,
        "url": settings.url(f"/@{a.username}"),
        "uri": settings.url(f"/users/{a.username}"),
        "display_name": a.display_name,
        "note": text_to_html(a.note),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "locked": a.locked,
        "fields": [
            {
                "name": html.escape(f["name"]),
                "value": html.escape(f["value"]),
                "verified_at": f.get("verified_at"),
            }
            for f in a.fields
        ],
        "emojis": [],
        "bot": a.bot,
        "group": False,
        "discoverable": a.discoverable,
        "indexable": a.indexable,
        "noindex": not a.indexable,
        "created_at": timestamp(a.created_at),
        "last_status_at": a.last_status_at.date().isoformat() if a.last_status_at else None,
        "statuses_count": a.statuses_count,
        "followers_count": a.followers_count,
        "following_count": a.following_count,
        "hide_collections": False,
        "roles": [],
    }


def credential_account(settings: Settings, a: Account, user: User) -> dict[str, Any]:
    entity = account(settings, a)
    entity["source"] = {
        "privacy": user.default_visibility,
        "sensitive": user.default_sensitive,
        "language": user.default_language or "",
        "note": a.note,
        "fields": [
            {"name": f["name"], "value": f["value"], "verified_at": f.get("verified_at")} for f in a.fields
        ],
        "follow_requests_count": 0,
        "hide_collections": False,
        "discoverable": a.discoverable,
        "indexable": a.indexable,
        "pixie": {"direct_messages": user.direct_messages},
    }
    entity["role"] = role(user)
    consent = consent_of(user)
    entity["pixie"] = {
        "ai_training_consent": {
            "granted": consent["granted"],
            "version": consent["version"],
            "current_version": consent["current_version"],
            "updated_at": timestamp(consent["updated_at"]),
        },
        "confirmed": user.confirmed_at is not None,
        "approved": user.approved,
        # Defaults for posts made from generations.
        "hide_prompt": user.hide_prompt,
        "allow_remix": user.allow_remix,
    }
    return entity


def role(user: User) -> dict[str, Any]:
    if user.admin:
        return {"id": "3", "name": "Owner", "color": "", "permissions": "1", "highlighted": True}
    return {"id": "-99", "name": "", "color": "", "permissions": "0", "highlighted": False}


def preferences(user: User) -> dict[str, Any]:
    return {
        "posting:default:visibility": user.default_visibility,
        "posting:default:sensitive": user.default_sensitive,
        "posting:default:language": user.default_language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": False,
    }


def application(app: Application, *, client_secret: str | None = None) -> dict[str, Any]:
    redirect_uris = app.redirect_uris.split("\n")
    entity: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": app.scopes.split(),
        "redirect_uri": "\n".join(redirect_uris),
        "redirect_uris": redirect_uris,
        "vapid_key": "",
    }
    if client_secret is not None:
        entity["client_id"] = app.client_id
        entity["client_secret"] = client_secret
        entity["client_secret_expires_at"] = 0
    return entity


def token(issued: IssuedToken) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "scope": issued.scopes,
        "created_at": int(issued.created_at.timestamp()),
    }
    if issued.refresh_token is not None:
        entity["refresh_token"] = issued.refresh_token
        entity["expires_in"] = issued.expires_in
    return entity
