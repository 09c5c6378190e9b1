"""Style presets: words added to the prompt for trained models, and hints for the offline sketch renderer.

A person picks a style by id; the generation service calls :func:`apply_style` before the provider
sees the prompt, so trained models get the preset's wording. The sketch renderer cannot read such
wording, so it reads :attr:`Style.sketch` instead and takes the wording back out with
:func:`strip_style` (it draws the person's own words as its caption).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# How the sketch renderer draws shapes: flat fills, ink outlines only, fills with dark outlines
# (cel), glowing outlines, fills with a highlight (shaded) or translucent washes (soft).
Rendering = Literal["flat", "outline", "cel", "glow", "shaded", "soft"]
# The surface laid over the finished picture.
Texture = Literal["none", "paper", "canvas", "vignette"]
# What the picture is drawn on: its own sky or backdrop, plain paper, or the dark.
Backdrop = Literal["scene", "paper", "dark"]


@dataclass(frozen=True)
class SketchHints:
    """How the sketch renderer shows a style."""

    saturation: float = 1.0  # multiplies every colour's saturation
    lightness: float = 0.0  # added to every colour's lightness (0..1 scale)
    rendering: Rendering = "flat"
    texture: Texture = "none"
    backdrop: Backdrop = "scene"
    pixel_size: int = 1  # > 1: drawn on a grid this many pixels wide, in at most `colours` colours
    colours: int = 0
    blur: float = 0.0  # softening of the whole picture, in pixels at 1024 px


@dataclass(frozen=True)
class Style:
    id: str
    name: str
    description: str
    prompt: str  # appended to the person's prompt for trained models
    negative_prompt: str  # comma-separated terms added to the negative prompt
    sketch: SketchHints = field(default_factory=SketchHints)


STYLES: tuple[Style, ...] = (
    Style(
        id="photographic",
        name="Photographic",
        description="Natural light and colour, as if taken with a camera.",
        prompt="photograph, natural lighting, realistic detail, sharp focus, 35mm lens",
        negative_prompt="illustration, painting, drawing, cartoon, text, watermark",
        sketch=SketchHints(saturation=0.8, rendering="shaded", texture="vignette"),
    ),
    Style(
        id="watercolor",
        name="Watercolor",
        description="Soft washes of transparent colour on textured paper.",
        prompt="watercolor painting, soft washes, bleeding pigment, textured paper",
        negative_prompt="photograph, 3d render, hard edges, text, watermark",
        sketch=SketchHints(saturation=0.9, lightness=0.08, rendering="soft", texture="paper", blur=2.0),
    ),
    Style(
        id="anime",
        name="Anime",
        description="Clean lines and bright cel shading, in the manner of Japanese animation.",
        prompt="anime style, cel shading, clean line art, vibrant colors, detailed background",
        negative_prompt="photograph, realistic, 3d render, text, watermark",
        sketch=SketchHints(saturation=1.25, lightness=0.04, rendering="cel"),
    ),
    Style(
        id="pixel-art",
        name="Pixel art",
        description="A small grid of square pixels in a limited palette, like early video games.",
        prompt="pixel art, 16-bit, limited palette, crisp square pixels",
        negative_prompt="blurry, smooth gradients, photograph, anti-aliasing, text, watermark",
        sketch=SketchHints(saturation=1.2, pixel_size=8, colours=32),
    ),
    Style(
        id="oil-painting",
        name="Oil painting",
        description="Rich colour and visible brushwork on canvas.",
        prompt="oil painting, thick brushstrokes, impasto, rich colors, canvas texture",
        negative_prompt="photograph, flat colors, digital art, text, watermark",
        sketch=SketchHints(saturation=1.15, lightness=-0.04, rendering="soft", texture="canvas", blur=1.0),
    ),
    Style(
        id="line-art",
        name="Line art",
        description="Black ink lines on white paper, without colour.",
        prompt="line art, black ink on white paper, clean outlines, minimal shading",
        negative_prompt="color, colour, shading, photograph, text, watermark",
        sketch=SketchHints(saturation=0.0, rendering="outline", backdrop="paper"),
    ),
    Style(
        id="3d-render",
        name="3D render",
        description="Smooth lit shapes with soft shadows, as from 3D software.",
        prompt="3d render, octane render, soft global illumination, smooth materials, studio lighting",
        negative_prompt="flat, 2d, sketch, painting, text, watermark",
        sketch=SketchHints(saturation=1.1, lightness=0.03, rendering="shaded"),
    ),
    Style(
        id="neon",
        name="Neon",
        description="Glowing outlines of electric colour in the dark.",
        prompt="neon lights, glowing outlines, synthwave, dark background, vivid electric colors",
        negative_prompt="daylight, pastel, washed out, text, watermark",
        sketch=SketchHints(saturation=1.4, lightness=0.08, rendering="glow", backdrop="dark"),
    ),
)

_BY_ID = {style.id: style for style in STYLES}


def style_by_id(style_id: str) -> Style | None:
    """The preset with this id, or None."""
    return _BY_ID.get(style_id)


def _terms(text: str) -> list[str]:
    return [term.strip() for term in text.split(",") if term.strip()]


def apply_style(style: Style | None, prompt: str, negative_prompt: str) -> tuple[str, str]:
    """The prompt with the preset's wording appended, and the negative prompt with the preset's
    terms added (those it does not already hold)."""
    if style is None:
        return prompt, negative_prompt
    prompt = prompt.strip()
    styled = f"{prompt}, {style.prompt}" if prompt else style.prompt
    negative = _terms(negative_prompt)
    present = {term.casefold() for term in negative}
    negative += [term for term in _terms(style.negative_prompt) if term.casefold() not in present]
    return styled, ", ".join(negative)


def strip_style(style: Style | None, prompt: str, negative_prompt: str) -> tuple[str, str]:
    """Undoes :func:`apply_style` as far as it can: the person's own prompt, and their negative
    terms without the ones the preset added."""
    if style is None:
        return prompt, negative_prompt
    prompt = prompt.strip()
    if prompt == style.prompt:
        prompt = ""
    elif prompt.endswith(", " + style.prompt):
        prompt = prompt[: -len(style.prompt) - 2]
    added = {term.casefold() for term in _terms(style.negative_prompt)}
    negative = [term for term in _terms(negative_prompt) if term.casefold() not in added]
    return prompt, ", ".join(negative)
