"""The interface every image generator implements, and the choice of one per deployment.

A provider renders one candidate per call (candidate i of a job uses ``seed + i``), so progress is
reported per candidate and a cancelled job stops between candidates. Providers know nothing of the
database, the queue or HTTP requests to Pixie; the generation service drives them.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from pixie.config import Settings

# IPTC digital source types (http://cv.iptc.org/newscodes/digitalsourcetype/), written into the
# C2PA manifest of every generated image.
ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

# What the API calls a provider's output (`pixie.provenance.label` on a MediaAttachment).
ProvenanceLabel = Literal["ai_generated", "sketch", "none"]

Progress = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class GenerationRequest:
    """One candidate to render. ``prompt`` already carries the style preset's additions."""

    prompt: str
    seed: int
    width: int
    height: int
    negative_prompt: str = ""
    style: str | None = None
    # Image-to-image: the source image's bytes (any format Pillow reads) and how far to move from it.
    init_image: bytes | None = None
    strength: float = 0.6


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    mime_type: str  # "image/png", "image/jpeg" or "image/webp"
    seed: int
    # What the provider reports beyond the request (a revised prompt, timings), kept with the job.
    details: dict[str, str] = field(default_factory=dict)


class GeneratorError(Exception):
    """A provider failed. ``transient`` errors (time-outs, rate limits, 5xx) are retried with backoff;
    the others fail the job with ``message``, written for the person who asked."""

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.retry_after = retry_after


class Generator(Protocol):
    @property
    def provider(self) -> str:
        """``sketch``, ``openai`` or ``diffusers``."""

    @property
    def model(self) -> str:
        """The exact model name, stored on every image it makes."""

    @property
    def sizes(self) -> tuple[str, ...]:
        """Sizes it renders, as ``"1024x1024"``; the first is the default."""

    @property
    def image_to_image(self) -> bool:
        """Whether it accepts ``init_image``."""

    @property
    def label(self) -> ProvenanceLabel:
        """``ai_generated`` for trained models, ``sketch`` for the offline renderer."""

    @property
    def digital_source_type(self) -> str:
        """The IPTC digital source type of its output."""

    async def generate(self, request: GenerationRequest, progress: Progress | None = None) -> GeneratedImage:
        """Render one candidate; raises :class:`GeneratorError`. ``progress`` gets 0..1 within it."""

    async def aclose(self) -> None:
        """Release clients, pipelines and threads."""


def parse_size(size: str) -> tuple[int, int]:
    """``"1024x768"`` -> ``(1024, 768)``; raises ValueError on anything else."""
    width, sep, height = size.partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise ValueError(f"size must look like 1024x1024, not {size!r}")
    return int(width), int(height)


# Module and factory per provider; imported only when chosen, so an optional extra (diffusers) is
# never loaded on a deployment that does not use it.
_PROVIDERS = {
    "sketch": "pixie.generation.sketch",
    "openai": "pixie.generation.openai",
    "diffusers": "pixie.generation.diffusers",
}


def build_generator(settings: Settings) -> Generator:
    """The deployment's generator, chosen by ``PIXIE_GENERATOR``."""
    module_name = _PROVIDERS.get(settings.generator)
    if module_name is None:
        raise ValueError(
            f"PIXIE_GENERATOR must be one of {', '.join(_PROVIDERS)}, not {settings.generator!r}"
        )
    module = importlib.import_module(module_name)
    generator: Generator = module.from_settings(settings)
    return generator
