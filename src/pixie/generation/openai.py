"""The ``openai`` provider: OpenAI's Images API, or any server that speaks it, through the official SDK.

One image per call (``n=1``), always as base64 so that no second download (and no expiring URL) is
involved. The API has no seed and no negative prompt: the negative prompt is folded into the prompt
text, and the seed stays only Pixie's candidate number.

Errors become :class:`GeneratorError`: rate limits, time-outs, connection failures and 5xx are
transient (the job system retries them with backoff, so the SDK's own retries are off); refusals,
rejected keys and other 4xx are permanent, with a message the person who asked can act on.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

import openai
from openai import AsyncOpenAI, Omit, omit
from PIL import Image, UnidentifiedImageError

from pixie.generation.providers import (
    TRAINED_ALGORITHMIC_MEDIA,
    GeneratedImage,
    GenerationRequest,
    GeneratorError,
    Progress,
    ProvenanceLabel,
)

if TYPE_CHECKING:
    from openai.types import ImagesResponse

    from pixie.config import Settings

# Sent when no key is configured for a custom base URL: most self-hosted compatible servers need
# none, but the SDK refuses to start without one.
_NO_KEY = "no-key"
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# What the image service calls a refused prompt (dall-e models, then GPT image models).
_REFUSAL_CODES = frozenset({"content_policy_violation", "moderation_blocked"})


@dataclass(frozen=True)
class ModelProfile:
    """What one model takes, as the Images API documents it."""

    sizes: tuple[str, ...]
    edits: bool
    # GPT image models always answer in base64 and refuse the parameter; the others default to URLs.
    response_format: bool
    # gpt-image-1 and 1.5 take input_fidelity; the others refuse it or take only "low".
    input_fidelity: bool = False


_GPT_IMAGE = ModelProfile(("1024x1024", "1536x1024", "1024x1536"), edits=True, response_format=False)
_PROFILES = {
    "gpt-image-1": ModelProfile(_GPT_IMAGE.sizes, edits=True, response_format=False, input_fidelity=True),
    "gpt-image-1.5": ModelProfile(_GPT_IMAGE.sizes, edits=True, response_format=False, input_fidelity=True),
    "dall-e-3": ModelProfile(("1024x1024", "1792x1024", "1024x1792"), edits=False, response_format=True),
    "dall-e-2": ModelProfile(("256x256", "512x512", "1024x1024"), edits=True, response_format=True),
}
# A model behind a compatible server (LocalAI, a Stable Diffusion gateway, ...): the square sizes
# of the original Images API, which such servers were built against, and no edits, which few offer.
_COMPATIBLE = ModelProfile(("1024x1024", "512x512", "256x256"), edits=False, response_format=True)


def model_profile(model: str) -> ModelProfile:
    if model in _PROFILES:
        return _PROFILES[model]
    if model.startswith(("gpt-image", "chatgpt-image")):
        return _GPT_IMAGE
    return _COMPATIBLE


def make_client(settings: Settings) -> AsyncOpenAI:
    """An SDK client on the configured base URL and key, shared by images and moderation."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    if not key and not settings.openai_base_url:
        raise ValueError(
            "PIXIE_OPENAI_API_KEY must be set to use OpenAI's API "
            "(or set PIXIE_OPENAI_BASE_URL to a compatible server that needs no key)"
        )
    return AsyncOpenAI(
        api_key=key or _NO_KEY,
        base_url=settings.openai_base_url or None,
        timeout=settings.openai_timeout_seconds,
        # Pixie's job system retries transient failures with backoff; the SDK retrying too would
        # multiply the attempts and hide the rate limit's Retry-After from it.
        max_retries=0,
    )


def retry_after(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _service_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return str(body["message"])
    return f"HTTP {error.status_code}"


def seconds(value: float) -> str:
    return "1 second" if value == 1 else f"{value:g} seconds"


def timed_out(timeout: float) -> GeneratorError:
    return GeneratorError(
        f"The image service did not answer within {seconds(timeout)}; this will be tried again.",
        transient=True,
    )


def translate_error(error: openai.OpenAIError, timeout: float) -> GeneratorError:
    """The SDK's error as a :class:`GeneratorError` for the person who asked."""
    if isinstance(error, openai.APITimeoutError):
        return timed_out(timeout)
    if isinstance(error, openai.APIConnectionError):
        return GeneratorError(
            "The image service could not be reached; this will be tried again.", transient=True
        )
    if not isinstance(error, openai.APIStatusError):
        return GeneratorError(f"The image service gave an answer Pixie could not read: {error}")
    status = error.status_code
    message = _service_message(error)
    wait = retry_after(error.response.headers)
    if status == 429:
        if error.code == "insufficient_quota":
            return GeneratorError(
                "This instance's image service account has run out of credit; "
                "the instance's operator must top it up before images can be made."
            )
        return GeneratorError(
            "The image service is busy (rate limited); this will be tried again.",
            transient=True,
            retry_after=wait,
        )
    if status >= 500 or status == 408:
        return GeneratorError(
            f"The image service failed (HTTP {status}); this will be tried again.",
            transient=True,
            retry_after=wait,
        )
    if status in (401, 403):
        return GeneratorError(
            f"The image service refused this instance's API key (HTTP {status}); "
            "the instance's operator must fix the key (PIXIE_OPENAI_API_KEY) before images can be made."
        )
    if error.code in _REFUSAL_CODES:
        return GeneratorError(
            f"The image service refused this prompt: {message} Please rephrase it and try again."
        )
    return GeneratorError(f"The image service could not make this image: {message} (HTTP {status})")


def _decode_output(b64: str) -> tuple[bytes, str]:
    """The image's bytes and MIME type; anything but PNG, JPEG or WebP is re-encoded as PNG."""
    try:
        data = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise GeneratorError("The image service sent an image Pixie could not decode (bad base64).") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # the whole image, so truncated data fails here and not in the media pipeline
            kind = image.format or ""
            if kind in _MIME:
                return data, _MIME[kind]
            out = io.BytesIO()
            image.save(out, "PNG")
            return out.getvalue(), "image/png"
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise GeneratorError(
            "The image service sent something that is not an image Pixie can read."
        ) from None


def _prepare_source(data: bytes, profile_is_dalle2: bool, width: int) -> tuple[bytes, str]:
    """The init image as the edits endpoint takes it: PNG, JPEG or WebP as given; dall-e-2 wants a
    square RGBA PNG (its transparent areas are where it paints)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if not profile_is_dalle2 and image.format in _MIME:
                return data, _MIME[image.format or ""]
            converted = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise GeneratorError(
            "The source image could not be read; upload a PNG, JPEG or WebP image."
        ) from None
    if profile_is_dalle2:
        side = min(converted.size)
        left, top = (converted.width - side) // 2, (converted.height - side) // 2
        converted = converted.crop((left, top, left + side, top + side)).resize((width, width))
    out = io.BytesIO()
    converted.save(out, "PNG")
    return out.getvalue(), "image/png"


def fold_prompt(prompt: str, negative_prompt: str) -> str:
    """The API has no negative prompt: it is said in words."""
    negative = negative_prompt.strip()
    return f"{prompt.strip()}\n\nAvoid: {negative}" if negative else prompt.strip()


class OpenAIGenerator:
    """The :class:`~pixie.generation.providers.Generator` for OpenAI-compatible image APIs."""

    def __init__(self, client: AsyncOpenAI, model: str, timeout: float) -> None:
        self._client = client
        self._model = model
        self._timeout = timeout
        self._profile = model_profile(model)

    @property
    def provider(self) -> str:
        return "openai"

    @property
    def model(self) -> str:
        return self._model

    @property
    def sizes(self) -> tuple[str, ...]:
        return self._profile.sizes

    @property
    def image_to_image(self) -> bool:
        return self._profile.edits

    @property
    def label(self) -> ProvenanceLabel:
        return "ai_generated"

    @property
    def digital_source_type(self) -> str:
        return TRAINED_ALGORITHMIC_MEDIA

    async def generate(self, request: GenerationRequest, progress: Progress | None = None) -> GeneratedImage:
        size = f"{request.width}x{request.height}"
        if size not in self._profile.sizes:
            raise GeneratorError(
                f"{self._model} does not make {size} images; choose one of {', '.join(self._profile.sizes)}."
            )
        if request.init_image is not None and not self._profile.edits:
            raise GeneratorError(f"{self._model} cannot start from an image; send the prompt alone.")
        if progress is not None:
            await progress(0.0)
        try:
            # The SDK's own timeout is per read; this bounds the whole call, however slowly it trickles.
            async with asyncio.timeout(self._timeout):
                response = await self._call(request, size)
        except TimeoutError:
            raise timed_out(self._timeout) from None
        except openai.OpenAIError as error:
            raise translate_error(error, self._timeout) from error
        image = response.data[0] if response.data else None
        if image is None or not image.b64_json:
            if image is not None and image.url:
                raise GeneratorError(
                    "The image service answered with a link instead of the image itself; "
                    "it must support response_format=b64_json."
                )
            raise GeneratorError("The image service answered without an image; this prompt was not drawn.")
        data, mime_type = await asyncio.to_thread(_decode_output, image.b64_json)
        details = {"revised_prompt": image.revised_prompt} if image.revised_prompt else {}
        if progress is not None:
            await progress(1.0)
        return GeneratedImage(data=data, mime_type=mime_type, seed=request.seed, details=details)

    async def _call(self, request: GenerationRequest, size: str) -> ImagesResponse:
        prompt = fold_prompt(request.prompt, request.negative_prompt)
        response_format: Literal["b64_json"] | Omit = "b64_json" if self._profile.response_format else omit
        if request.init_image is None:
            return await self._client.images.generate(
                model=self._model, prompt=prompt, n=1, size=size, response_format=response_format
            )
        source, mime_type = await asyncio.to_thread(
            _prepare_source, request.init_image, self._model == "dall-e-2", request.width
        )
        # Low strength means "stay close to the source", which these models express as fidelity.
        fidelity: Literal["high"] | Omit = (
            "high" if self._profile.input_fidelity and request.strength < 0.5 else omit
        )
        return await self._client.images.edit(
            image=(f"source.{mime_type.removeprefix('image/')}", source, mime_type),
            model=self._model,
            prompt=prompt,
            n=1,
            size=size,
            response_format=response_format,
            input_fidelity=fidelity,
        )

    async def aclose(self) -> None:
        await self._client.close()


def from_settings(settings: Settings) -> OpenAIGenerator:
    return OpenAIGenerator(
        make_client(settings), settings.openai_image_model, settings.openai_timeout_seconds
    )
