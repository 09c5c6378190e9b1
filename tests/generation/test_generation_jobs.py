"""Generation jobs against a provider that fails: the OpenAI-compatible fake server answering with
errors. A transient failure is retried and the job still succeeds; a refusal fails the job at once
with a message the person can act on; moderation refuses prompts before any image is asked for."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from pixie.models.system import OutboxEvent
from tests.conftest import Instance, bearer
from tests.generation.fake_openai import FakeOpenAI, Fault

GENERATIONS = "/api/v1/pixie/generations"


async def finished(px: Instance, token: str, generation_id: str) -> dict[str, Any]:
    for _ in range(300):
        job = (await px.client.get(f"{GENERATIONS}/{generation_id}", headers=bearer(token))).json()
        if job["state"] not in ("queued", "running"):
            return dict(job)
        await asyncio.sleep(0.1)
    raise AssertionError(f"still {job['state']}")


def settings(fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "generator": "openai",
        "openai_base_url": fake.base_url,
        "openai_api_key": "test-key",
        "openai_image_model": "gpt-image-1.5",
        "openai_timeout_seconds": 5.0,
        "job_retry_seconds": 0.2,
        "generation_attempts": 3,
        "prompt_moderation": "openai",
    }


async def test_a_provider_error_that_may_pass_is_retried_and_the_job_succeeds(
    start: Any, fake_openai: FakeOpenAI
) -> None:
    async with start(**settings(fake_openai)) as px:
        _, alice = await px.user("alice")
        fake_openai.fail(Fault.SERVER_ERROR, times=1, endpoint="generations")
        r = await px.client.post(
            GENERATIONS, data={"prompt": "a red fox", "n": "2", "size": "1024x1024"}, headers=bearer(alice)
        )
        assert r.status_code == 202, r.text
        assert r.json()["provider"] == "openai" and r.json()["model"] == "gpt-image-1.5"
        job = await finished(px, alice, r.json()["id"])
        assert job["state"] == "succeeded", job
        assert len(job["candidates"]) == 2
        assert all(c["pixie"]["provenance"]["label"] == "ai_generated" for c in job["candidates"])
        summary = job["candidates"][0]["pixie"]["provenance"]["c2pa"]
        assert summary["digital_source_type"] == "trainedAlgorithmicMedia"
        assert "gpt-image-1.5" in str(summary)
        asked = [q for q in fake_openai.requests if q.path.endswith("/images/generations")]
        assert len(asked) == 3  # one failure, then the two candidates


async def test_a_refusal_fails_the_job_with_a_reason_and_a_finished_event(
    start: Any, fake_openai: FakeOpenAI
) -> None:
    async with start(**settings(fake_openai)) as px:
        _, alice = await px.user("alice")
        fake_openai.fail(Fault.CONTENT_POLICY, endpoint="generations")
        r = await px.client.post(
            GENERATIONS, data={"prompt": "a red fox", "n": "1", "size": "1024x1024"}, headers=bearer(alice)
        )
        job = await finished(px, alice, r.json()["id"])
        assert job["state"] == "failed" and job["candidates"] == []
        assert "refused" in job["error"].lower()
        asked = [q for q in fake_openai.requests if q.path.endswith("/images/generations")]
        assert len(asked) == 1  # not retried
        async with px.rt.db.read() as session:
            events = list(
                await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "generation.finished"))
            )
        assert [e.payload["state"] for e in events] == ["failed"]


async def test_moderation_refuses_before_any_image_and_says_why(start: Any, fake_openai: FakeOpenAI) -> None:
    async with start(**settings(fake_openai)) as px:
        _, alice = await px.user("alice")
        fake_openai.flag("gore", "violence/graphic")
        r = await px.client.post(GENERATIONS, data={"prompt": "lots of GORE"}, headers=bearer(alice))
        assert r.status_code == 422 and "violence" in r.json()["error"].lower()
        fake_openai.fail(Fault.SERVER_ERROR, endpoint="moderations")
        r = await px.client.post(GENERATIONS, data={"prompt": "a calm lake"}, headers=bearer(alice))
        assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
        assert not [q for q in fake_openai.requests if "images" in q.path]
