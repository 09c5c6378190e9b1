"""Takes the README's screenshots of the real web app: starts `pixie serve` on embedded defaults
in a temporary folder, makes two accounts, and drives Chromium (Debian's, through Playwright)
through generating, choosing and posting. Writes docs/screenshots/{home,create,post}.png.

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PIXIE = Path(sys.executable).parent / "pixie"
PASSWORD = "correct horse battery"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PROMPTS = ["a lighthouse at dusk, waves", "a fox in a snowy forest", "mountains over a quiet lake"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sign_up(page: Page, base: str, name: str) -> None:
    page.goto(base + "/auth/sign_up")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(base + "/")


def post_generated(page: Page, base: str, prompt: str, caption: str, *, shoot: bool = False) -> str:
    page.goto(base + "/create")
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate").click()
    page.get_by_role("button", name="Choose candidate 4").wait_for(timeout=30_000)
    page.get_by_role("button", name="Choose candidate 2").click()
    if shoot:
        page.screenshot(path=str(OUT / "create.png"), full_page=True)
    page.get_by_label("Caption").fill(caption)
    page.get_by_role("button", name="Post", exact=True).click()
    page.wait_for_url(re.compile(r".*/@\w+/\d+$"))
    return page.url


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIXIE_")}
        env.update(
            PIXIE_DATA_DIR=str(Path(tmp) / "var"),
            PIXIE_BASE_URL=base,
            PIXIE_REGISTRATIONS="open",
            PIXIE_RATE_LIMITS="false",
        )
        log = (Path(tmp) / "server.log").open("wb")
        server = subprocess.Popen(  # noqa: S603 - our own pixie, with fixed arguments
            [str(PIXIE), "serve", "--migrate", "--port", str(port)], env=env, cwd=tmp, stdout=log, stderr=log
        )
        try:
            for _ in range(300):
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                maker = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
                reader = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
                sign_up(maker, base, "ada")
                sign_up(reader, base, "bea")
                reader.goto(base + "/@ada")
                reader.get_by_role("button", name="Follow").click()
                reader.get_by_role("button", name="Unfollow").wait_for()
                urls = [
                    post_generated(maker, base, prompt, f"Today's {prompt.split(',')[0]}", shoot=not i)
                    for i, prompt in enumerate(PROMPTS)
                ]
                reader.goto(base + "/")
                reader.get_by_role("button", name="Like").first.click()
                reader.wait_for_load_state("networkidle")
                reader.screenshot(path=str(OUT / "home.png"))
                reader.goto(urls[0])
                reader.get_by_label("Reply").fill("@ada the light is lovely")
                reader.get_by_role("button", name="Send reply").click()
                reader.goto(urls[0])
                reader.screenshot(path=str(OUT / "post.png"), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('*.png')))} in {OUT}")


if __name__ == "__main__":
    main()
