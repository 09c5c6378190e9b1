"""Media storage: one interface, on local disk and on a real S3 API server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pixie.config import Settings
from pixie.infra.storage import LocalStorage, MediaStorage, S3Storage, new_prefix
from tests.conftest import S3_CREDENTIALS, make_bucket


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[MediaStorage, Settings]:
    if request.param == "local":
        settings = Settings(_env_file=None, data_dir=tmp_path)
        return LocalStorage(settings.media_dir), settings
    endpoint = request.getfixturevalue("s3_endpoint")
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        s3_bucket=make_bucket(endpoint),
        s3_endpoint_url=endpoint,
        **S3_CREDENTIALS,
    )
    return S3Storage(settings), settings


async def test_files_are_stored_read_and_removed(storage: tuple[MediaStorage, Settings]) -> None:
    store, settings = storage
    key = f"{new_prefix()}/original.jpg"
    await store.put(key, b"\xff\xd8 pretend jpeg", "image/jpeg")
    assert await store.get(key) == b"\xff\xd8 pretend jpeg"
    if isinstance(store, S3Storage):
        # The bucket serves it at the URL Pixie renders, with long-lived cache headers.
        async with httpx.AsyncClient() as client:
            r = await client.get(settings.media_url(key))
        assert r.status_code == 200 and r.content == b"\xff\xd8 pretend jpeg"
        assert r.headers["content-type"] == "image/jpeg"
        assert "immutable" in r.headers["cache-control"]
    await store.delete([key])
    assert await store.get(key) is None
    await store.delete([key])  # removing twice is harmless


@pytest.mark.parametrize(
    "key", ["../secret_key", "abc/original.jpg", f"{'0' * 32}/../../x.jpg", "/etc/passwd"]
)
async def test_only_well_formed_keys_are_accepted(storage: tuple[MediaStorage, Settings], key: str) -> None:
    store, _ = storage
    with pytest.raises(ValueError):
        await store.put(key, b"x", "image/jpeg")


async def test_local_files_are_not_reachable_outside_the_media_dir(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("s3cret")
    store = LocalStorage(tmp_path / "media")
    assert await store.get("../secret_key") is None
    assert store.path(f"{'0' * 32}/../../secret_key") is None
