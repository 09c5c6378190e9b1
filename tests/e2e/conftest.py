"""Fixtures of the end-to-end tests: the settings of a real server, on embedded defaults or on
PostgreSQL + Redis + S3, each with databases of its own."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_bucket
from tests.e2e.processes import free_port, fresh_database, shared_redis_url


@pytest.fixture(params=["embedded", "production"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The server's PIXIE_* settings: embedded defaults, or PostgreSQL + Redis + S3."""
    port = free_port()
    values = {
        "data_dir": str(tmp_path / "var"),
        "base_url": f"http://127.0.0.1:{port}",
        "secret_key": secrets.token_urlsafe(32),
        "port": str(port),
        # Images over 100,000 pixels are processed in the background: the upload answers 202.
        "media_async_pixels": "100000",
    }
    if request.param == "embedded":
        yield values
        return
    redis_url = shared_redis_url()
    endpoint = request.getfixturevalue("s3_endpoint")
    with fresh_database() as database:
        yield values | {
            "database_url": database,
            "redis_url": redis_url,
            "s3_bucket": make_bucket(endpoint),
            "s3_endpoint_url": endpoint,
            "s3_access_key_id": "test",
            "s3_secret_access_key": "test",
        }
