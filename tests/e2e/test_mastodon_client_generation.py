"""End to end: generate, choose, post and remix through a real server, with Mastodon.py posting.

On embedded defaults (SQLite, the server runs its own workers) and as production runs it
(PostgreSQL + Redis, the server runs no jobs, two `pixie worker` processes render them). Mastodon.py
has no calls for Pixie's own endpoints, so those go through HTTP with the same token; posting, reading
and the status entities are Mastodon.py's.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from tests.e2e.processes import clean_env, free_port, fresh_database, pixie, serve, shared_redis_url
from tests.e2e.test_workers import spawn_workers, wait_ready

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
SCOPES = ["read", "write", "follow"]


@pytest.fixture(params=["embedded", "production"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    port = free_port()
    values = {
        "data_dir": str(tmp_path / "var"),
        "base_url": f"http://127.0.0.1:{port}",
        "secret_key": secrets.token_urlsafe(32),
        "port": str(port),
    }
    if request.param == "embedded":
        yield values
        return
    redis_url = shared_redis_url()
    with fresh_database() as database:
        yield values | {"database_url": database, "redis_url": redis_url, "workers_in_process": "false"}


def finished(http: httpx.Client, token: str, generation_id: str, seconds: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        job = http.get(
            f"/api/v1/pixie/generations/{generation_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert job.status_code == 200, job.text
        if job.json()["state"] not in ("queued", "running"):
            return dict(job.json())
        assert time.monotonic() < deadline, f"generation still {job.json()['state']} after {seconds} s"
        time.sleep(0.1)


def test_generate_choose_post_and_remix(settings: dict[str, str], tmp_path: Path) -> None:
    port = int(settings.pop("port"))
    base = settings["base_url"]
    env = clean_env(**settings)
    pixie(["migrate"], env=env, cwd=tmp_path)
    for name in ("ada", "bo"):
        pixie(["create-user", name, f"{name}@example.com"], env=env, cwd=tmp_path, stdin=PASSWORD + "\n")

    with ExitStack() as stack:
        server = stack.enter_context(serve(env, tmp_path, port=port))
        if "redis_url" in settings:
            workers = spawn_workers(env, tmp_path, 2, "--concurrency", "2")
            for worker in workers:
                stack.callback(worker.stop)
            wait_ready(workers)
        client_id, client_secret = Mastodon.create_app("Pixie e2e", scopes=SCOPES, api_base_url=base)

        def log_in(email: str) -> Mastodon:
            api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
            api.log_in(username=email, password=PASSWORD, scopes=SCOPES, allow_http=True)
            return api

        ada, bo = log_in("ada@example.com"), log_in("bo@example.com")
        http = stack.enter_context(httpx.Client(base_url=server.url, timeout=30))

        def generate(api: Mastodon, **data: str) -> dict[str, Any]:
            r = http.post(
                "/api/v1/pixie/generations",
                data={"size": "512x512", **data},
                headers={"Authorization": f"Bearer {api.access_token}"},
            )
            assert r.status_code == 202, r.text
            return finished(http, str(api.access_token), r.json()["id"])

        # ada asks for four candidates, picks the third and posts it with Mastodon.py.
        job = generate(ada, prompt="a lighthouse on a cliff at sunset, orange sky", n="4", seed="42")
        assert job["state"] == "succeeded", job
        candidates = job["candidates"]
        assert len(candidates) == 4 and len({c["id"] for c in candidates}) == 4
        assert all(c["pixie"]["provenance"]["label"] == "sketch" for c in candidates)
        for c in candidates:
            assert httpx.get(c["url"], timeout=10).status_code == 200
        posted = ada.status_post("Lighthouse, take three", media_ids=[candidates[2]["id"]])
        assert posted["pixie"]["generation"]["prompt"].startswith("a lighthouse")
        assert posted["pixie"]["generation"]["model"] == "pixie-sketch-1"
        assert posted["media_attachments"][0]["id"] == candidates[2]["id"]
        chosen = finished(http, str(ada.access_token), job["id"])
        assert [c["pixie"]["chosen"] for c in chosen["candidates"]] == [False, False, True, False]
        assert chosen["status_id"] == str(posted["id"])

        # bo sees it, remixes it from its image, and posts the remix.
        seen = bo.status(posted["id"])
        assert seen["pixie"]["remixes_count"] == 0
        remix = generate(
            bo, prompt="the same lighthouse in a storm", n="2", remix_of=str(posted["id"]), mode="image"
        )
        assert remix["state"] == "succeeded", remix
        assert remix["params"]["remix_of"] == str(posted["id"])
        answer = bo.status_post("Mine, in a storm", media_ids=[remix["candidates"][0]["id"]])
        assert answer["pixie"]["remix_of"] == str(posted["id"])
        assert ada.status(posted["id"])["pixie"]["remixes_count"] == 1

        lineage = http.get(f"/api/v1/pixie/statuses/{posted['id']}/lineage").json()
        assert [s["id"] for s in lineage["descendants"]] == [str(answer["id"])]
        lineage = http.get(f"/api/v1/pixie/statuses/{answer['id']}/lineage").json()
        assert [s["id"] for s in lineage["ancestors"]] == [str(posted["id"])]
