"""What the sketch renderer reads in a prompt: things, plurals, colours, counts, moods, negatives."""

from __future__ import annotations

import pytest

from pixie.generation.sketch_prompt import COLOURS, read_prompt


def concepts(prompt: str, negative: str = "") -> list[str]:
    return [thing.concept for thing in read_prompt(prompt, negative).things]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("snowflakes on the mountains", ["snow", "mountain"]),
        ("two puppies", ["dog"]),
        ("falling leaves", ["leaf"]),
        ("butterflies over a meadow", ["butterfly", "field"]),
        ("boxes and spheres", ["square", "circle"]),
        ("the ocean at dusk", ["sea"]),
        ("a kitten in the woods", ["cat", "forest"]),
    ],
)
def test_things_are_found_by_word_and_plural(prompt: str, expected: list[str]) -> None:
    assert concepts(prompt) == expected


def test_only_whole_words_match() -> None:
    assert concepts("a category of scattered catalogues") == []
    assert concepts("Sunday brunch") == []


def test_a_colour_belongs_to_the_thing_right_after_it() -> None:
    reading = read_prompt("a red sun over blue mountains")
    sun, mountain = reading.things
    assert (sun.concept, sun.colour) == ("sun", COLOURS["red"])
    assert (mountain.concept, mountain.colour) == ("mountain", COLOURS["blue"])
    assert reading.colours == ()
    # A colour for something it does not draw tints the scene instead.
    hat = read_prompt("a cat in a red hat")
    assert hat.things[0].colour is None
    assert hat.colours == (COLOURS["red"],)


def test_numbers_and_plurals_set_counts() -> None:
    assert read_prompt("three cats").things[0].count == 3
    assert read_prompt("a cat").things[0].count == 1
    assert read_prompt("cats").things[0].count == 0  # several: the seed decides how many
    assert read_prompt("two red balloons").things[0].count == 2
    palms = read_prompt("palm trees on a beach")
    assert [(t.concept, t.count) for t in palms.things] == [("palm", 0), ("beach", 1)]


def test_moods_are_read() -> None:
    assert read_prompt("a harbour at sunset").moods == {"sunset"}
    assert read_prompt("snowy mountains").moods == {"winter"}
    assert read_prompt("an autumn forest at night").moods == {"autumn", "night"}


def test_the_negative_prompt_rules_out_things_colours_and_the_caption() -> None:
    reading = read_prompt("a red cat under the sun and the moon", "sun, red, text")
    assert [thing.concept for thing in reading.things] == ["cat", "moon"]
    assert reading.things[0].colour is None
    assert not reading.allows("sun") and reading.allows("cloud")
    assert reading.caption is False
    assert read_prompt("a cat", "blurry").caption is True
