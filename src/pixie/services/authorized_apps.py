"""The applications a person let into their account (Settings, "Authorised apps"), and taking
one's access away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from pixie.db.types import utcnow
from pixie.errors import NotFound
from pixie.infra.runtime import Runtime
from pixie.models.oauth import AccessToken, Application
from pixie.services.oauth import publish_revoked


@dataclass(frozen=True)
class AuthorizedApp:
    """An application holding a live token for an account (the "authorised apps" list)."""

    application_id: int
    name: str
    website: str | None
    scopes: frozenset[str]
    authorized_at: datetime


async def authorized_applications(
    rt: Runtime, account_id: int, *, leave_out: int | None = None
) -> list[AuthorizedApp]:
    """Every application with a live token of the account, newest first; ``leave_out`` is the
    web app, whose sessions are listed on their own."""
    async with rt.db.read() as session:
        rows = (
            await session.execute(
                select(Application, AccessToken.scopes, AccessToken.created_at)
                .join(AccessToken, AccessToken.application_id == Application.id)
                .where(
                    AccessToken.account_id == account_id,
                    AccessToken.revoked_at.is_(None),
                    Application.id != (leave_out or 0),
                )
                .order_by(AccessToken.created_at.desc())
            )
        ).all()
    found: dict[int, AuthorizedApp] = {}
    for app, token_scopes, created_at in rows:
        if app.id in found:
            earlier = found[app.id]
            found[app.id] = AuthorizedApp(
                app.id,
                app.name,
                app.website,
                earlier.scopes | frozenset(token_scopes.split()),
                earlier.authorized_at,
            )
        else:
            found[app.id] = AuthorizedApp(
                app.id, app.name, app.website, frozenset(token_scopes.split()), created_at
            )
    return list(found.values())


async def revoke_application(rt: Runtime, account_id: int, application_id: int) -> None:
    """Ends an application's access to the account: every token it holds stops working at once."""
    async with rt.write() as session:
        live = (
            AccessToken.account_id == account_id,
            AccessToken.application_id == application_id,
            AccessToken.revoked_at.is_(None),
        )
        hashes = list(await session.scalars(select(AccessToken.token_hash).where(*live)))
        if not hashes:
            raise NotFound("Record not found")
        await session.execute(update(AccessToken).where(*live).values(revoked_at=utcnow()))
    await publish_revoked(rt, hashes)
