"""The sketch generator: what a person sees for their prompt, seed, style and starting image."""

from __future__ import annotations

import colorsys
import io
import itertools
import statistics
import time

import imagehash
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageOps

from pixie.config import Settings
from pixie.generation.providers import (
    ALGORITHMIC_MEDIA,
    GenerationRequest,
    GeneratorError,
    build_generator,
    parse_size,
)
from pixie.generation.sketch import MODEL, SIZES, SketchGenerator, render_png
from pixie.generation.sketch_prompt import CONCEPTS, MOODS
from pixie.generation.styles import STYLES
from tests.media import images

Pixels = npt.NDArray[np.float64]


def request(prompt: str, seed: int = 1, size: int = 512, **fields: object) -> GenerationRequest:
    return GenerationRequest(prompt=prompt, seed=seed, width=size, height=size, **fields)  # type: ignore[arg-type]


def picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def render(prompt: str, seed: int = 1, size: int = 512, **fields: object) -> Image.Image:
    return picture(render_png(request(prompt, seed, size, **fields)))


def pixels(image: Image.Image) -> Pixels:
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def mean_hue(image: Image.Image) -> float:
    """The hue, in degrees, of the picture's average colour."""
    r, g, b = (pixels(image) / 255).reshape(-1, 3).mean(axis=0)
    return colorsys.rgb_to_hls(r, g, b)[0] * 360


def hue_gap(a: float, b: float) -> float:
    return min(abs(a - b), 360 - abs(a - b))


def test_the_deployment_default_builds_the_sketch_generator() -> None:
    generator = build_generator(Settings(generator="sketch"))
    assert isinstance(generator, SketchGenerator)
    assert generator.provider == "sketch"
    assert generator.model == MODEL == "pixie-sketch-1"
    # Never presented as made by a trained model.
    assert generator.label == "sketch"
    assert generator.digital_source_type == ALGORITHMIC_MEDIA
    assert generator.image_to_image is True
    assert generator.sizes[0] == "1024x1024"


async def test_same_prompt_seed_and_size_give_the_same_bytes() -> None:
    generator = SketchGenerator()
    req = request("a red sun over blue mountains with a cat", seed=42, size=1024)
    first = await generator.generate(req)
    second = await generator.generate(req)
    assert first.data == second.data
    assert first.mime_type == "image/png" and first.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert first.seed == 42
    assert first.details["renderer"] == MODEL
    await generator.aclose()


async def test_progress_climbs_to_one() -> None:
    seen: list[float] = []

    async def progress(value: float) -> None:
        seen.append(value)

    await SketchGenerator().generate(request("a lighthouse by the sea"), progress)
    assert seen == sorted(seen) and len(seen) >= 2
    assert seen[-1] == 1.0 and all(0 <= value <= 1 for value in seen)


@pytest.mark.parametrize(
    "prompt",
    [
        "a red sun over blue mountains",
        "a cat",
        "a sailboat on the sea at sunset",
        "the meaning of life",
        "a flower",
    ],
)
def test_different_seeds_give_different_compositions(prompt: str) -> None:
    hashes = [imagehash.phash(render(prompt, seed)) for seed in range(6)]
    distances = [a - b for a, b in itertools.combinations(hashes, 2)]
    # 64-bit hashes: unrelated pictures sit around 32 apart, near-copies under 5.
    assert min(distances) >= 8, distances
    assert statistics.median(distances) >= 16, distances
    assert imagehash.phash(render(prompt, 3)) - hashes[3] == 0


@pytest.mark.parametrize("thing", ["balloon", "flower", "cat", "car"])
def test_the_colour_named_in_the_prompt_dominates(thing: str) -> None:
    # "car" is not a word the renderer draws: the colour still leads the picture.
    expected = {"red": 0.0, "blue": 225.0, "green": 130.0, "yellow": 55.0}
    for colour, hue in expected.items():
        for seed in (1, 2):
            seen = mean_hue(render(f"a {colour} {thing}", seed))
            assert hue_gap(seen, hue) <= 35, (colour, thing, seed, seen)


def test_a_colour_before_a_thing_colours_that_thing() -> None:
    # A red sun over blue mountains: red high in the sky, blue along the mountains below it.
    image = pixels(render("a red sun over blue mountains", seed=5))
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    red = (r > 150) & (g < 90) & (b < 90)
    rows = np.nonzero(red.any(axis=1))[0]
    assert red.sum() > 2000 and rows.mean() < image.shape[0] * 0.4
    blue = (b > r + 60) & (b > g + 30)
    mountain_band = blue[int(image.shape[0] * 0.35) : int(image.shape[0] * 0.65)]
    assert mountain_band.mean() > 0.25


def test_words_in_the_prompt_change_the_picture() -> None:
    cat, dog = pixels(render("a cat", seed=4)), pixels(render("a dog", seed=4))
    assert np.abs(cat - dog).mean() > 10
    # Even words it does not draw change it: they are captioned, and they reseed the layout.
    assert render_png(request("a cat named Bob", 4)) != render_png(request("a cat named Tom", 4))


def test_a_number_or_a_plural_sets_how_many_are_drawn() -> None:
    def red_shapes(prompt: str) -> int:
        image = pixels(render(prompt, seed=2))
        red = (image[..., 0] > 150) & (image[..., 1] < 100) & (image[..., 2] < 100)
        return len(_components(red))

    assert red_shapes("a red heart") == 1
    assert red_shapes("three red hearts") == 3
    assert red_shapes("red hearts") >= 2


def _components(mask: npt.NDArray[np.bool_]) -> list[int]:
    """Sizes of the connected regions of a mask, on a 64x64 grid, ignoring specks."""
    grid = mask.reshape(64, mask.shape[0] // 64, 64, mask.shape[1] // 64).mean(axis=(1, 3)) > 0.5
    seen = np.zeros_like(grid)
    sizes = []
    for start in zip(*np.nonzero(grid), strict=True):
        if seen[start]:
            continue
        seen[start] = True
        stack, size = [start], 0
        while stack:
            y, x = stack.pop()
            size += 1
            for ny, nx in ((y + 1, x), (y - 1, x), (y, x + 1), (y, x - 1)):
                if 0 <= ny < 64 and 0 <= nx < 64 and grid[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        if size > 3:
            sizes.append(size)
    return sizes


def test_the_negative_prompt_removes_what_it_names() -> None:
    prompt = "a white moon over the sea at night"
    with_moon = pixels(render(prompt, seed=3))
    without = pixels(render(prompt, seed=3, negative_prompt="moon"))

    def bright_sky(image: Pixels) -> int:
        sky = image[: int(image.shape[0] * 0.5)]
        return int((sky.min(axis=2) > 215).sum())

    assert bright_sky(with_moon) > 1000  # the crescent; the stars are specks
    assert bright_sky(without) < bright_sky(with_moon) / 4


def test_a_negative_for_text_removes_the_caption_and_nothing_else() -> None:
    captioned = pixels(render("a house on a hill", seed=8))
    bare = pixels(render("a house on a hill", seed=8, negative_prompt="text"))
    top = int(captioned.shape[0] * 0.8)
    assert np.array_equal(captioned[:top], bare[:top])
    assert np.abs(captioned[top:] - bare[top:]).mean() > 3


@pytest.mark.parametrize("size", SIZES)
def test_every_advertised_size_renders_at_that_size(size: str) -> None:
    width, height = parse_size(size)
    image = picture(
        render_png(GenerationRequest(prompt="a castle on a hill", seed=1, width=width, height=height))
    )
    assert image.size == (width, height)
    assert image.mode == "RGB"


def test_sizes_outside_the_range_are_refused_with_a_reason() -> None:
    with pytest.raises(GeneratorError, match=r"64 to 2048 pixels a side; 5000x5000"):
        render_png(GenerationRequest(prompt="a cat", seed=1, width=5000, height=5000))


def test_image_to_image_starts_from_the_given_image() -> None:
    data = io.BytesIO()
    images.picture(800, 600).save(data, "JPEG", quality=92)
    fitted = pixels(ImageOps.fit(picture(data.getvalue()), (512, 512), Image.Resampling.BILINEAR))
    prompt = "a golden sun over a field"
    text_only = pixels(render(prompt, seed=6))
    distances = {}
    for strength in (0.0, 0.3, 0.6, 0.9):
        result = pixels(render(prompt, seed=6, init_image=data.getvalue(), strength=strength))
        body = slice(0, int(512 * 0.8))  # above the caption
        distances[strength] = np.abs(result[body] - fitted[body]).mean()
        assert distances[strength] < np.abs(text_only[body] - fitted[body]).mean()
    # Strength 0 gives the source back; more strength moves further from it.
    assert distances[0.0] < 3
    assert distances[0.0] < distances[0.3] < distances[0.6] < distances[0.9]


def test_an_unreadable_starting_image_fails_with_a_reason() -> None:
    with pytest.raises(GeneratorError, match="starting image could not be used"):
        render_png(request("a cat", init_image=b"not an image"))


def test_a_style_changes_how_it_is_drawn() -> None:
    plain = pixels(render("a cat under a red sun", seed=2))
    line_art = pixels(render("a cat under a red sun", seed=2, style="line-art"))
    neon = pixels(render("a cat under a red sun", seed=2, style="neon"))
    # Line art is ink on paper: light and colourless. Neon is dark.
    spread = line_art.max(axis=2) - line_art.min(axis=2)
    assert np.median(spread) < 12 and line_art.mean() > 200
    assert neon.mean() < plain.mean() - 40
    # The style's wording is for trained models: the caption shows the person's own words, so
    # the styled prompt gives the same picture as the plain one with the style chosen.
    from pixie.generation.styles import apply_style, style_by_id

    styled_prompt, styled_negative = apply_style(style_by_id("neon"), "a cat under a red sun", "")
    restyled = render_png(request(styled_prompt, 2, style="neon", negative_prompt=styled_negative))
    assert restyled == render_png(request("a cat under a red sun", 2, style="neon"))


@pytest.mark.parametrize("style", [None, *(style.id for style in STYLES)])
def test_every_word_it_knows_draws_in_every_style(style: str | None) -> None:
    # One small picture per thing (every other one plural, at night, by the sea), and one with
    # everything at once.
    for index, concept in enumerate(sorted(set(CONCEPTS.values()))):
        word = next(word for word, known in CONCEPTS.items() if known == concept)
        prompt = f"a {word}" if index % 2 else f"three {word}s at night by the sea"
        data = render_png(GenerationRequest(prompt=prompt, seed=index, width=64, height=64, style=style))
        assert picture(data).size == (64, 64)
    everything = " ".join(sorted(CONCEPTS)) + " " + " ".join(sorted(MOODS))
    req = GenerationRequest(prompt=everything, seed=5, width=256, height=192, style=style)
    assert picture(render_png(req)).size == (256, 192)


def test_a_very_long_prompt_renders_as_fast_as_a_short_one() -> None:
    # The caption keeps two lines and an ellipsis whatever the prompt's length; measuring the
    # whole prompt for every character cut once took seconds here.
    long_prompt = "a red sun over blue mountains and " * 300 + "x" * 2000
    started = time.thread_time()
    image = render(long_prompt, seed=1, size=256)
    assert time.thread_time() - started < 1.0
    assert image.size == (256, 256)
