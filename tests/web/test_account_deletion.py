"""Deleting one's own account from Settings: gone at once everywhere, then its traces removed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pixie.errors import PixieError
from pixie.models.accounts import AiTrainingConsent
from pixie.models.reactions import Favourite
from pixie.models.statuses import Status
from pixie.services import accounts
from tests.api.test_home import eventually
from tests.conftest import PASSWORD, Instance, bearer
from tests.web.test_pages import _browser, _csrf, _sign_in


async def test_a_deleted_account_is_gone_with_its_posts_likes_and_follows(px: Instance) -> None:
    ada_id, ada = await px.user("ada")
    bo_id, bo = await px.user("bo")
    await px.follow(bo, ada_id)
    await px.follow(ada, bo_id)
    post = await px.post(ada, status="soon gone #farewell")
    bos_post = await px.post(bo, status="ada liked this")
    r = await px.client.post(f"/api/v1/statuses/{bos_post['id']}/favourite", headers=bearer(ada))
    assert r.json()["favourites_count"] == 1
    r = await px.client.patch(
        "/api/v1/accounts/update_credentials",
        data={"pixie[ai_training_consent]": "true"},
        headers=bearer(ada),
    )
    assert r.status_code == 200
    async with await _browser(px) as browser:
        await _sign_in(browser, "ada")
        page = await browser.get("/settings/account")
        wrong = await browser.post(
            "/settings/delete", data={"csrf_token": _csrf(page.text), "password": "no"}
        )
        assert wrong.status_code == 422 and "password is not right" in wrong.text
        assert (await px.client.get(f"/api/v1/statuses/{post['id']}")).status_code == 200  # nothing done
        r = await browser.post(
            "/settings/delete", data={"csrf_token": _csrf(page.text), "password": PASSWORD}
        )
        assert r.status_code == 200 and "Your account is deleted" in r.text
        assert "Sign out @ada" not in (await browser.get("/")).text
    # At once: no sign-in, no profile, no posts, no token; the name stays taken.
    assert (await px.password_login("ada@example.com")).status_code == 400
    assert (
        await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(ada))
    ).status_code == 401
    assert (await px.client.get("/@ada")).status_code == 404
    assert (await px.client.get(f"/api/v1/statuses/{post['id']}")).status_code == 404
    assert (await px.client.get("/api/v1/accounts/lookup", params={"acct": "ada"})).status_code == 404
    public = await px.client.get("/api/v1/timelines/public")
    assert post["id"] not in [s["id"] for s in public.json()] and bos_post["id"] in [
        s["id"] for s in public.json()
    ]
    bo_me = (await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(bo))).json()
    assert (bo_me["followers_count"], bo_me["following_count"]) == (0, 0)

    # Then its traces: the like on bo's post is taken back, its post is deleted.
    async def cleaned() -> bool:
        async with px.rt.db.read() as session:
            likes = await session.scalar(
                select(func.count(Favourite.id)).where(Favourite.account_id == ada_id)
            )
            left = await session.scalar(
                select(func.count(Status.id)).where(Status.account_id == ada_id, Status.deleted_at.is_(None))
            )
        return likes == 0 and left == 0

    await eventually(cleaned)
    bos = (await px.client.get(f"/api/v1/statuses/{bos_post['id']}", headers=bearer(bo))).json()
    assert bos["favourites_count"] == 0
    async with px.rt.db.read() as session:
        history = list(
            await session.scalars(
                select(AiTrainingConsent.granted)
                .where(AiTrainingConsent.account_id == ada_id)
                .order_by(AiTrainingConsent.created_at)
            )
        )
    assert history[-1] is False  # consent withdrawn, on the record
    with pytest.raises(PixieError):  # the name stays taken
        await accounts.create_user(px.rt, username="ada", email="someone.new@example.com", password=PASSWORD)
