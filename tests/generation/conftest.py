"""The fake OpenAI-compatible server as a fixture, and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pixie.config import Settings
from tests.generation.fake_openai import FakeOpenAI, serve_fake_openai


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with serve_fake_openai() as fake:
        yield fake


def openai_settings(fake: FakeOpenAI, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "generator": "openai",
        "openai_base_url": fake.base_url,
        "openai_api_key": "test-key",
        "openai_timeout_seconds": 5.0,
    }
    values.update(overrides)
    return Settings(**values)
