"""The web app's own files (CSS, JavaScript, htmx from npm), served under names that carry a hash
of their content, so a browser may keep each for a year and still never runs a stale one."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from pixie.web.routing import NotFoundPage

STATIC = Path(__file__).parent / "static"
# Served with hashed names: Pixie's own, and what scripts/web-assets.sh copied from node_modules.
FILES = ("app.css", "app.js", "vendor/htmx.min.js", "vendor/htmx-sse.min.js", "vendor/blurhash.mjs")
PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str


class Assets:
    """Read once at start-up: a name's hashed URL, and the bytes behind each hashed URL."""

    def __init__(self, root: Path = STATIC, files: tuple[str, ...] = FILES) -> None:
        self.urls: dict[str, str] = {}
        self.served: dict[str, Asset] = {}
        for name in files:
            path = root / name
            if not path.exists():
                raise RuntimeError(
                    f"the web app's asset {path} is missing: run `make install` (scripts/web-assets.sh)"
                )
            body = path.read_bytes()
            stem, dot, ext = path.name.partition(".")
            hashed = f"{stem}.{hashlib.sha256(body).hexdigest()[:12]}{dot}{ext}"
            # Browsers run a module script only when it is served as JavaScript.
            content_type = (
                "text/javascript" if ext.endswith("js") else mimetypes.guess_type(path.name)[0] or ""
            )
            content_type = (content_type or "application/octet-stream") + (
                "; charset=utf-8" if content_type.startswith("text/") else ""
            )
            self.urls[name] = PREFIX + hashed
            self.served[hashed] = Asset(body, content_type)

    def url(self, name: str) -> str:
        return self.urls[name]

    async def serve(self, request: Request) -> Response:
        found = self.served.get(request.path_params["name"])
        if found is None:
            raise NotFoundPage()
        return Response(
            found.body,
            media_type=found.content_type,
            headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
        )
