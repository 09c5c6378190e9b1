"""The ``sketch`` generator: a deterministic renderer that turns a prompt and a seed into a picture,
with no model and no network, so Pixie works end to end on any machine.

It draws what it recognises in the prompt (colours, moods, and things such as a sun, mountains, the
sea, trees, a cat or a heart), a sky or backdrop behind them, and the prompt itself as a caption.
Its pictures are labelled ``sketch`` and carry the IPTC type ``algorithmicMedia``: they are never
presented as made by a trained model. The same prompt, seed and size always give the same bytes.
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from pixie.generation.providers import (
    ALGORITHMIC_MEDIA,
    GeneratedImage,
    GenerationRequest,
    GeneratorError,
    Progress,
    ProvenanceLabel,
)
from pixie.generation.sketch_paint import (
    Canvas,
    Painter,
    draw_caption,
    finish,
    fit_init_image,
    pixelate,
    repaint,
)
from pixie.generation.sketch_prompt import read_prompt
from pixie.generation.styles import SketchHints, strip_style, style_by_id

if TYPE_CHECKING:
    from pixie.config import Settings

MODEL = "pixie-sketch-1"
SIZES = ("1024x1024", "1024x1536", "1536x1024", "768x768", "512x512")
MIN_SIDE, MAX_SIDE = 64, 2048
# The largest image-to-image source it opens (a 48-megapixel photo), against decompression bombs.
MAX_INIT_PIXELS = 48_000_000
# zlib level 3: on these flat-coloured pictures it costs what level 1 does (about 19 ms CPU at
# 1024x1024) for files 12% smaller; level 6 adds about 10 ms for 29% less again (bench/sketch_render.py).
PNG_COMPRESS_LEVEL = 3


@dataclass
class _Render:
    """One candidate on its way: the painter, and the picture so far."""

    request: GenerationRequest
    hints: SketchHints
    painter: Painter
    caption: str
    image: Image.Image | None = None


def _prepare(request: GenerationRequest) -> _Render:
    if not (MIN_SIDE <= request.width <= MAX_SIDE and MIN_SIDE <= request.height <= MAX_SIDE):
        raise GeneratorError(
            f"The sketch renderer draws pictures from {MIN_SIDE} to {MAX_SIDE} pixels a side; "
            f"{request.width}x{request.height} is outside that."
        )
    style = style_by_id(request.style) if request.style else None
    hints = style.sketch if style is not None else SketchHints()
    # The generation service appended the style's wording for trained models; the sketch draws the
    # style from its hints instead, and captions the person's own words.
    prompt, negative = strip_style(style, request.prompt, request.negative_prompt)
    reading = read_prompt(prompt, negative)
    return _Render(request, hints, Painter(reading, request.seed, hints), prompt if reading.caption else "")


def _paint(render: _Render) -> None:
    request, hints, painter = render.request, render.hints, render.painter
    scale = max(1, hints.pixel_size)
    # Pixel art is painted small and scaled up with hard edges.
    width, height = max(16, request.width // scale), max(16, request.height // scale)
    if request.init_image is not None:
        try:
            source = fit_init_image(request.init_image, (width, height), MAX_INIT_PIXELS)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise GeneratorError(f"The starting image could not be used: {exc}") from None
        strength = min(1.0, max(0.0, request.strength))
        # Strength is how far the result moves from the source: the source's light and shade take
        # the prompt's colours in proportion, and the things drawn over it show at 1.6x strength, so
        # they read clearly from the middle of the range up. At 0 the source comes back unchanged.
        base = repaint(source, painter.scene.palette, strength)
        canvas = Canvas(base.copy(), hints)
        painter.paint(canvas, with_ground=False)
        render.image = Image.blend(base, canvas.image, min(1.0, 1.6 * strength))
    else:
        canvas = Canvas(painter.background(width, height), hints)
        painter.paint(canvas)
        render.image = canvas.image


def _finish(render: _Render) -> bytes:
    assert render.image is not None
    request, hints = render.request, render.hints
    image = finish(render.image, hints, render.painter.rng("finish"))
    if hints.pixel_size > 1:
        image = pixelate(image, hints.colours, (request.width, request.height))
    if render.caption:
        draw_caption(image, render.caption, hints)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def render_png(request: GenerationRequest) -> bytes:
    """The candidate's PNG bytes, rendered in the calling thread (for tools and benchmarks)."""
    render = _prepare(request)
    _paint(render)
    return _finish(render)


class SketchGenerator:
    """The offline renderer behind the ``Generator`` protocol."""

    @property
    def provider(self) -> str:
        return "sketch"

    @property
    def model(self) -> str:
        return MODEL

    @property
    def sizes(self) -> tuple[str, ...]:
        return SIZES

    @property
    def image_to_image(self) -> bool:
        return True

    @property
    def label(self) -> ProvenanceLabel:
        return "sketch"

    @property
    def digital_source_type(self) -> str:
        return ALGORITHMIC_MEDIA

    async def generate(self, request: GenerationRequest, progress: Progress | None = None) -> GeneratedImage:
        started = time.perf_counter()
        # Painting is CPU-bound: each step runs in a worker thread, and progress is reported between
        # steps on the event loop.
        render = await asyncio.to_thread(_prepare, request)
        if progress is not None:
            await progress(0.1)
        await asyncio.to_thread(_paint, render)
        if progress is not None:
            await progress(0.7)
        data = await asyncio.to_thread(_finish, render)
        if progress is not None:
            await progress(1.0)
        reading = render.painter.reading
        details = {
            "renderer": MODEL,
            "drawn": ", ".join(thing.concept for thing in reading.things) or "abstract",
            "render_ms": f"{(time.perf_counter() - started) * 1000:.0f}",
        }
        return GeneratedImage(data=data, mime_type="image/png", seed=request.seed, details=details)

    async def aclose(self) -> None:
        return None


def from_settings(settings: Settings) -> SketchGenerator:
    """The sketch generator needs no settings: it has no model, key or device."""
    return SketchGenerator()
