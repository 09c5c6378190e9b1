"""Browser tests: a real `pixie serve` on embedded defaults, driven by Playwright in Debian's
Chromium (Playwright's own browser download is not used). Each test saves a screenshot of its
last page under the test output folder (``test-output/web/``)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, PASSWORD
from tests.e2e.processes import Server, clean_env, free_port, pixie, serve

CHROMIUM = os.environ.get("PIXIE_TEST_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "web"
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Without the background-networking flags Chromium keeps dialling hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Site:
    server: Server
    env: dict[str, str]
    cwd: Path

    @property
    def url(self) -> str:
        return self.server.url

    def create_user(self, name: str) -> None:
        pixie(["create-user", name, f"{name}@example.com"], env=self.env, cwd=self.cwd, stdin=PASSWORD + "\n")

    def invite(self) -> str:
        return pixie(["invite"], env=self.env, cwd=self.cwd).strip().split()[-1]


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One server for the browser tests (they make their own accounts, so they do not meet)."""
    cwd = tmp_path_factory.mktemp("web")
    port = free_port()
    env = clean_env(
        data_dir=str(cwd / "var"),
        base_url=f"http://127.0.0.1:{port}",
        secret_key=secrets.token_urlsafe(32),
        registrations="open",
        rate_limits="false",
    )
    pixie(["migrate"], env=env, cwd=cwd)
    with serve(env, cwd, port=port, name="web") as server:
        yield Site(server, env, cwd)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module: sync Playwright holds an event loop in this thread while it
    runs, and the async tests after the module need the thread's loop free again."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (`make test` installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Any:
    """``shot(page)``: saves the page as ``test-output/web/<test name>[-label].png``."""
    OUTPUT.mkdir(parents=True, exist_ok=True)

    def take(page: Any, label: str = "") -> Path:
        path = OUTPUT / f"{request.node.name}{'-' + label if label else ''}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical accessibility problems axe-core (from npm) finds on the page."""
    # Evaluated through the DevTools protocol: the page's CSP (rightly) refuses an inline script.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    found = page.evaluate("axe.run()")
    return [v for v in found["violations"] if v["impact"] in ("serious", "critical")]


def sign_up(page: Any, site: Site, name: str) -> None:
    page.goto(site.url + "/auth/sign_up")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(site.url + "/")


def sign_in(page: Any, site: Site, name: str) -> None:
    page.goto(site.url + "/auth/sign_in")
    page.get_by_label("Email or username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url + "/")
