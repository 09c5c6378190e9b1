"""A real HTTP server on loopback that speaks OpenAI's Images and Moderations wire format, for tests.

Tests drive the real ``openai`` SDK against it, so request shapes, multipart uploads, error bodies,
headers and time-outs are exercised as they are in production, without reaching the internet::

    with serve_fake_openai() as fake:          # or the ``fake_openai`` fixture in conftest.py
        settings = Settings(generator="openai", openai_base_url=fake.base_url, openai_api_key="k")
        ...
        assert fake.requests[-1].json["prompt"] == "a red fox"
        fake.fail(Fault.RATE_LIMIT, times=1)   # the next request answers 429 with Retry-After

The interface, all of it:

- ``fake.base_url``: ``http://127.0.0.1:PORT/v1``, what ``PIXIE_OPENAI_BASE_URL`` takes.
- ``fake.requests``: every request received, in order, as :class:`RecordedRequest`.
- ``fake.fail(fault, times=None, endpoint=None)``: answer the next ``times`` requests (every one
  when None), or only those to ``endpoint`` ("generations", "edits", "moderations"), with a
  :class:`Fault`; ``fake.fail(None)`` clears it.
- ``fake.flag(word, *categories)``: the moderation endpoint flags any input containing ``word``
  (case-insensitively) in those categories.
- ``fake.retry_after`` (seconds sent with 429) and ``fake.hang_seconds`` (how long HANG stalls
  before answering normally), both settable.
- ``image_colour(prompt)``: the colour of every pixel of the image answered for ``prompt``, so a
  test can tell which call produced an image. Images have the requested size (1024x1024 for auto).
- ``revised(prompt)``: the ``revised_prompt`` that dall-e-3 answers carry (as the real one does).

It checks what the real API checks where a client could get it wrong: GPT image models refuse
``response_format``; dall-e models answer with a URL unless asked for ``b64_json``; dall-e-3 takes
no edits and one image per call; known models refuse sizes they do not render.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class Fault(StrEnum):
    RATE_LIMIT = "rate_limit"  # 429, code rate_limit_exceeded, Retry-After: fake.retry_after
    SERVER_ERROR = "server_error"  # 500
    UNAUTHORIZED = "unauthorized"  # 401, code invalid_api_key
    CONTENT_POLICY = "content_policy"  # 400, content_policy_violation (dall-e) or moderation_blocked
    HANG = "hang"  # no answer for fake.hang_seconds, then a normal one
    NOT_AN_IMAGE = "not_an_image"  # 200, valid base64 of bytes that are no image
    BAD_BASE64 = "bad_base64"  # 200, b64_json that is not base64
    NO_DATA = "no_data"  # 200, an empty data (or moderation results) list


@dataclass(frozen=True)
class RecordedRequest:
    path: str  # "/v1/images/generations", "/v1/images/edits" or "/v1/moderations"
    headers: dict[str, str]  # lower-case names
    json: dict[str, Any]  # the JSON body, or a multipart form's text fields
    files: dict[str, bytes] = field(default_factory=dict)  # multipart files by field name


GPT_IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536")
_KNOWN_SIZES = {
    "dall-e-3": ("1024x1024", "1792x1024", "1024x1792"),
    "dall-e-2": ("256x256", "512x512", "1024x1024"),
}
_ALL_CATEGORIES = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


def image_colour(prompt: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(prompt.encode()).digest()
    return digest[0], digest[1], digest[2]


def revised(prompt: str) -> str:
    return f"A detailed rendering of {prompt}"


def _is_gpt_image(model: str) -> bool:
    return model.startswith(("gpt-image", "chatgpt-image"))


def _error(status: int, message: str, type_: str, code: str | None, param: str | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return JSONResponse(body, status_code=status)


def _png(prompt: str, size: str) -> bytes:
    width, _, height = (size if size and size != "auto" else "1024x1024").partition("x")
    image = Image.new("RGB", (int(width), int(height)), image_colour(prompt))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class FakeOpenAI:
    def __init__(self) -> None:
        self.base_url = ""
        self.requests: list[RecordedRequest] = []
        self.retry_after = 7
        self.hang_seconds = 30.0
        self._flags: dict[str, tuple[str, ...]] = {}
        self._fault: Fault | None = None
        self._fault_times: int | None = None
        self._fault_endpoint: str | None = None
        self._lock = threading.Lock()
        self.stopping = False
        self.app = Starlette(
            routes=[
                Route("/v1/images/generations", self._generations, methods=["POST"]),
                Route("/v1/images/edits", self._edits, methods=["POST"]),
                Route("/v1/moderations", self._moderations, methods=["POST"]),
            ]
        )

    def fail(self, fault: Fault | None, times: int | None = None, endpoint: str | None = None) -> None:
        with self._lock:
            self._fault, self._fault_times, self._fault_endpoint = fault, times, endpoint

    def flag(self, word: str, *categories: str) -> None:
        self._flags[word.lower()] = categories

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None or (self._fault_endpoint not in (None, endpoint)):
                return None
            if self._fault_times is not None:
                self._fault_times -= 1
                if self._fault_times <= 0:
                    self._fault = None
            return fault

    async def _record(self, request: Request) -> RecordedRequest:
        headers = {name.lower(): value for name, value in request.headers.items()}
        body: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if headers.get("content-type", "").startswith("multipart/form-data"):
            async with request.form() as form:
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        files[name] = await value.read()
                    else:
                        body[name] = value
        else:
            body = await request.json()
        recorded = RecordedRequest(request.url.path, headers, body, files)
        self.requests.append(recorded)
        return recorded

    async def _hang(self, request: Request) -> None:
        deadline = time.monotonic() + self.hang_seconds
        while time.monotonic() < deadline and not self.stopping:
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.05)

    async def _fault_response(self, fault: Fault, request: Request, model: str) -> Response | None:
        if fault is Fault.RATE_LIMIT:
            response = _error(
                429,
                f"Rate limit reached for {model or 'requests'}. Please try again in {self.retry_after}s.",
                "requests",
                "rate_limit_exceeded",
            )
            response.headers["retry-after"] = str(self.retry_after)
            return response
        if fault is Fault.SERVER_ERROR:
            return _error(500, "The server had an error while processing your request.", "server_error", None)
        if fault is Fault.UNAUTHORIZED:
            return _error(
                401, "Incorrect API key provided: sk-te***ey.", "invalid_request_error", "invalid_api_key"
            )
        if fault is Fault.CONTENT_POLICY:
            if _is_gpt_image(model):
                return _error(
                    400,
                    "Your request was rejected by the safety system.",
                    "image_generation_user_error",
                    "moderation_blocked",
                )
            return _error(
                400,
                "Your request was rejected as a result of our safety system.",
                "invalid_request_error",
                "content_policy_violation",
            )
        if fault is Fault.HANG:
            await self._hang(request)
        return None

    def _image_answer(self, fault: Fault | None, model: str, prompt: str, size: str, b64: bool) -> Response:
        created = int(time.time())
        if fault is Fault.NO_DATA:
            return JSONResponse({"created": created, "data": []})
        if fault is Fault.NOT_AN_IMAGE:
            item: dict[str, Any] = {"b64_json": base64.b64encode(b"this is no image at all").decode()}
        elif fault is Fault.BAD_BASE64:
            item = {"b64_json": "*** not base64 ***"}
        elif b64:
            item = {"b64_json": base64.b64encode(_png(prompt, size)).decode()}
        else:
            item = {"url": "https://images.invalid/generated.png"}
        if model == "dall-e-3":
            item["revised_prompt"] = revised(prompt)
        body: dict[str, Any] = {"created": created, "data": [item]}
        if _is_gpt_image(model):
            body.update(output_format="png", size=size or "1024x1024", quality="high")
        return JSONResponse(body)

    def _check_common(self, body: dict[str, Any], model: str) -> Response | None:
        if not body.get("prompt"):
            return _error(
                400, "Missing required parameter: 'prompt'.", "invalid_request_error", None, "prompt"
            )
        if _is_gpt_image(model) and "response_format" in body:
            return _error(
                400,
                "Unknown parameter: 'response_format'.",
                "invalid_request_error",
                "unknown_parameter",
                "response_format",
            )
        sizes = GPT_IMAGE_SIZES if _is_gpt_image(model) else _KNOWN_SIZES.get(model)
        size = body.get("size")
        if sizes and size not in (None, "auto", *sizes):
            return _error(
                400,
                f"Invalid value: '{size}'. Supported values are: {', '.join(sizes)}.",
                "invalid_request_error",
                "invalid_value",
                "size",
            )
        if model == "dall-e-3" and int(body.get("n", 1)) != 1:
            return _error(400, "dall-e-3 makes one image per request.", "invalid_request_error", None, "n")
        return None

    async def _generations(self, request: Request) -> Response:
        recorded = await self._record(request)
        body = recorded.json
        model = str(body.get("model", ""))
        fault = self._take_fault("generations")
        if fault is not None and (early := await self._fault_response(fault, request, model)) is not None:
            return early
        if (invalid := self._check_common(body, model)) is not None:
            return invalid
        b64 = _is_gpt_image(model) or body.get("response_format") == "b64_json"
        return self._image_answer(fault, model, str(body["prompt"]), str(body.get("size", "")), b64)

    async def _edits(self, request: Request) -> Response:
        recorded = await self._record(request)
        body = recorded.json
        model = str(body.get("model", ""))
        fault = self._take_fault("edits")
        if fault is not None and (early := await self._fault_response(fault, request, model)) is not None:
            return early
        if model == "dall-e-3":
            return _error(
                400,
                f"Invalid model {model}. The model must be a GPT image model or dall-e-2.",
                "invalid_request_error",
                "invalid_value",
                "model",
            )
        if "image" not in recorded.files and "image[]" not in recorded.files:
            return _error(400, "Missing required parameter: 'image'.", "invalid_request_error", None, "image")
        if (invalid := self._check_common(body, model)) is not None:
            return invalid
        b64 = _is_gpt_image(model) or body.get("response_format") == "b64_json"
        return self._image_answer(fault, model, str(body["prompt"]), str(body.get("size", "")), b64)

    async def _moderations(self, request: Request) -> Response:
        recorded = await self._record(request)
        body = recorded.json
        fault = self._take_fault("moderations")
        if fault is not None and (early := await self._fault_response(fault, request, "")) is not None:
            return early
        model = str(body.get("model", "omni-moderation-latest"))
        if fault is not None:  # the garbage faults: an answer with no verdict in it
            return JSONResponse({"id": "modr-fake", "model": model, "results": []})
        inputs = body.get("input", "")
        texts = [inputs] if isinstance(inputs, str) else [str(text) for text in inputs]
        results = []
        for text in texts:
            flagged = {
                category
                for word, categories in self._flags.items()
                if word in text.lower()
                for category in categories
            }
            results.append(
                {
                    "flagged": bool(flagged),
                    "categories": {name: name in flagged for name in (*_ALL_CATEGORIES, *flagged)},
                    "category_scores": {
                        name: 0.97 if name in flagged else 0.001 for name in (*_ALL_CATEGORIES, *flagged)
                    },
                    "category_applied_input_types": {name: ["text"] for name in (*_ALL_CATEGORIES, *flagged)},
                }
            )
        return JSONResponse({"id": "modr-fake", "model": model, "results": results})


@contextmanager
def serve_fake_openai() -> Iterator[FakeOpenAI]:
    """Runs a :class:`FakeOpenAI` on a free loopback port in a background thread."""
    fake = FakeOpenAI()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        fake.app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake OpenAI server did not start")
        time.sleep(0.01)
    fake.base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield fake
    finally:
        fake.stopping = True
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
