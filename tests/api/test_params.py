"""The one parameter parser: Rails-style keys from any encoding become the same structure."""

from __future__ import annotations

from pixie.api.params import nest


def test_bracket_keys_nest() -> None:
    assert nest([("a[b]", "1"), ("c[]", "2"), ("c[]", "3"), ("plain", "x")]) == {
        "a": {"b": "1"},
        "c": ["2", "3"],
        "plain": "x",
    }


def test_indexed_hashes_as_rails_sends_them() -> None:
    pairs = [
        ("fields_attributes[0][name]", "Site"),
        ("fields_attributes[0][value]", "x"),
        ("fields_attributes[1][name]", "P"),
    ]
    assert nest(pairs) == {"fields_attributes": {"0": {"name": "Site", "value": "x"}, "1": {"name": "P"}}}


def test_arrays_of_hashes() -> None:
    assert nest([("poll[options][]", "a"), ("poll[options][]", "b"), ("poll[expires_in]", "60")]) == {
        "poll": {"options": ["a", "b"], "expires_in": "60"}
    }


def test_conflicting_shapes_do_not_crash() -> None:
    assert nest([("a", "1"), ("a[b]", "2")]) == {"a": {"b": "2"}}
    assert nest([("a[]", "1"), ("a[b]", "2")]) == {"a": {"b": "2"}}
    assert nest([("a[b]", "1"), ("a[]", "2")]) == {"a": ["2"]}
    assert nest([("weird]key[", "1")]) == {"weird]key[": "1"}


def test_arrays_of_hashes_fill_the_last_hash_until_a_key_repeats() -> None:
    pairs = [
        ("keywords_attributes[][keyword]", "cats"),
        ("keywords_attributes[][whole_word]", "true"),
        ("keywords_attributes[][keyword]", "dogs"),
    ]
    assert nest(pairs) == {
        "keywords_attributes": [{"keyword": "cats", "whole_word": "true"}, {"keyword": "dogs"}]
    }
