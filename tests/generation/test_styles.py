"""Style presets: what the API lists, what a trained model's prompt gets, what the sketch draws."""

from __future__ import annotations

import re

from pixie.generation.providers import GenerationRequest
from pixie.generation.sketch import render_png
from pixie.generation.styles import STYLES, apply_style, strip_style, style_by_id


def test_presets_are_complete_and_addressable() -> None:
    ids = [style.id for style in STYLES]
    assert len(ids) == len(set(ids)) >= 8
    for style in STYLES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", style.id)
        assert style.name and style.description.endswith(".")
        assert style.prompt and style.negative_prompt
        assert style_by_id(style.id) is style
    assert {"photographic", "watercolor", "anime", "pixel-art", "line-art", "neon"} <= set(ids)
    assert style_by_id("no-such-style") is None


def test_apply_style_adds_the_wording_once() -> None:
    style = style_by_id("watercolor")
    assert style is not None
    prompt, negative = apply_style(style, " a fox in the snow ", "Text, people")
    assert prompt == f"a fox in the snow, {style.prompt}"
    terms = [term.strip() for term in negative.split(",")]
    assert terms[:2] == ["Text", "people"]  # the person's own terms first, as written
    assert "photograph" in terms
    assert [term.casefold() for term in terms].count("text") == 1  # not added twice
    assert apply_style(style, "", "") == (style.prompt, style.negative_prompt)
    assert apply_style(None, "a fox", "blur") == ("a fox", "blur")


def test_strip_style_gives_back_the_persons_words() -> None:
    for style in STYLES:
        styled = apply_style(style, "a fox in the snow", "people, cars")
        assert strip_style(style, *styled) == ("a fox in the snow", "people, cars")
    assert strip_style(None, "a fox", "blur") == ("a fox", "blur")


def test_every_style_draws_the_same_prompt_differently() -> None:
    def png(style: str | None) -> bytes:
        return render_png(
            GenerationRequest(prompt="a house under a rainbow", seed=3, width=256, height=256, style=style)
        )

    pictures = {style.id: png(style.id) for style in STYLES}
    pictures["none"] = png(None)
    assert len(set(pictures.values())) == len(pictures)
