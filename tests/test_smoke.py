from __future__ import annotations

from tests.conftest import Instance, bearer


async def test_password_login_and_verify_credentials(px: Instance) -> None:
    account_id, token = await px.user("alice")
    r = await px.client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == str(account_id)
