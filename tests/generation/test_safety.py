"""Prompt safety: the instance's block list, and moderation against the fake OpenAI-compatible server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pixie.config import Settings
from pixie.generation.providers import GeneratorError
from pixie.generation.safety import (
    MODERATION_MODEL,
    BlocklistError,
    ModerationUnavailable,
    PromptChecker,
    PromptRefused,
)
from tests.generation.conftest import openai_settings
from tests.generation.fake_openai import FakeOpenAI, Fault


def _checker(tmp_path: Path, blocklist: str) -> PromptChecker:
    return PromptChecker.from_settings(Settings(data_dir=tmp_path, prompt_blocklist=blocklist))


async def _refusal(checker: PromptChecker, prompt: str, negative_prompt: str = "") -> PromptRefused:
    with pytest.raises(PromptRefused) as raised:
        await checker.check(prompt, negative_prompt)
    return raised.value


async def test_a_blocked_word_is_refused_in_any_case_and_named(tmp_path: Path) -> None:
    checker = _checker(tmp_path, "ass|gore")
    refused = await _refusal(checker, "A kicking ASS, in the style of a woodcut")
    assert refused.source == "blocklist"
    assert refused.categories == ["ass"]
    assert '"ass"' in refused.reason
    assert "rephrase your prompt" in refused.reason
    assert (await _refusal(checker, "gore.")).categories == ["gore"]


async def test_words_match_only_on_word_boundaries(tmp_path: Path) -> None:
    checker = _checker(tmp_path, "ass|gore")
    await checker.check("a class of glass bass players at a gorex convention", "")
    await checker.check("Gregory's gorgeous passage", "")


async def test_phrases_and_punctuated_entries_match_whole(tmp_path: Path) -> None:
    checker = _checker(tmp_path, "red fox|f*ck")
    assert (await _refusal(checker, "a Red \n  Fox at night")).categories == ["red fox"]
    assert (await _refusal(checker, "what the F*CK")).categories == ["f*ck"]
    await checker.check("a red, fox-like dog", "")
    await checker.check("a red foxglove", "")


async def test_lookalike_letters_and_invisible_characters_do_not_hide_a_word(tmp_path: Path) -> None:
    checker = _checker(tmp_path, "gore")
    await _refusal(checker, "\uff47\uff4f\uff52\uff45 everywhere")  # full-width letters
    await _refusal(checker, "go\u200bre everywhere")  # a zero-width space inside


async def test_the_negative_prompt_is_checked_and_named(tmp_path: Path) -> None:
    refused = await _refusal(_checker(tmp_path, "gore"), "a quiet meadow", "anything but GORE")
    assert "negative prompt" in refused.reason


async def test_a_regular_expression_refuses_without_showing_itself(tmp_path: Path) -> None:
    checker = _checker(tmp_path, r"gore|/b[a4]d\s*w[o0]rds?/")
    refused = await _refusal(checker, "a poster full of B4D W0RDS in neon")
    assert refused.source == "blocklist"
    assert refused.categories == ["pattern 2"]
    assert '"B4D W0RDS"' in refused.reason
    assert "[a4]" not in refused.reason and "\\s" not in refused.reason
    await checker.check("a bad day for words", "")  # the pattern, not the words, decides


@pytest.mark.parametrize(
    ("blocklist", "says"),
    [("ok|/b(ad/", "entry 2 (/b(ad/) is not a valid regular expression"), ("/x*/", "matches empty text")],
)
def test_an_unusable_regular_expression_stops_start_up(tmp_path: Path, blocklist: str, says: str) -> None:
    with pytest.raises(BlocklistError, match=r"PIXIE_PROMPT_BLOCKLIST") as raised:
        _checker(tmp_path, blocklist)
    assert says in str(raised.value)


def test_an_unknown_moderation_choice_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PIXIE_PROMPT_MODERATION must be empty"):
        PromptChecker.from_settings(Settings(data_dir=tmp_path, prompt_moderation="perspective"))


async def test_moderation_refuses_a_flagged_prompt_with_its_categories(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.flag("battlefield", "violence", "violence/graphic")
    checker = PromptChecker.from_settings(openai_settings(fake_openai, tmp_path, prompt_moderation="openai"))
    refused = await _refusal(checker, "a gruesome Battlefield", "blur")
    await checker.aclose()

    assert refused.source == "moderation"
    assert refused.categories == ["violence", "violence/graphic"]
    assert refused.reason == (
        "This instance's moderation check flagged your prompt for violence and graphic violence. "
        "Please rephrase it."
    )
    sent = fake_openai.requests[-1]
    assert sent.path == "/v1/moderations"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert sent.json == {"model": MODERATION_MODEL, "input": ["a gruesome Battlefield", "blur"]}


async def test_moderation_lets_a_clean_prompt_through(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.flag("battlefield", "violence")
    checker = PromptChecker.from_settings(openai_settings(fake_openai, tmp_path, prompt_moderation="openai"))
    await checker.check("a quiet meadow", "")
    await checker.aclose()
    assert fake_openai.requests[-1].json["input"] == ["a quiet meadow"]


async def test_the_block_list_answers_before_moderation_is_asked(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    settings = openai_settings(fake_openai, tmp_path, prompt_moderation="openai", prompt_blocklist="gore")
    checker = PromptChecker.from_settings(settings)
    await _refusal(checker, "gore")
    await checker.aclose()
    assert fake_openai.requests == []


@pytest.mark.parametrize(
    ("fault", "transient"),
    [
        (Fault.SERVER_ERROR, True),
        (Fault.RATE_LIMIT, True),
        (Fault.NO_DATA, True),
        (Fault.UNAUTHORIZED, False),
    ],
)
async def test_moderation_down_never_lets_the_prompt_through(
    fake_openai: FakeOpenAI, tmp_path: Path, fault: Fault, transient: bool
) -> None:
    fake_openai.fail(fault)
    checker = PromptChecker.from_settings(openai_settings(fake_openai, tmp_path, prompt_moderation="openai"))
    with pytest.raises(ModerationUnavailable) as raised:
        await checker.check("a quiet meadow", "")
    await checker.aclose()
    assert isinstance(raised.value, GeneratorError)  # the job system and API handle it as one
    assert raised.value.transient is transient
    assert raised.value.message.startswith("Pixie could not check this prompt just now")
    if fault is Fault.RATE_LIMIT:
        assert raised.value.retry_after == fake_openai.retry_after
    if fault is Fault.UNAUTHORIZED:
        assert "operator must fix PIXIE_OPENAI_API_KEY" in raised.value.message


async def test_a_hanging_moderation_service_times_out(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.fail(Fault.HANG)
    settings = openai_settings(fake_openai, tmp_path, prompt_moderation="openai", openai_timeout_seconds=0.5)
    checker = PromptChecker.from_settings(settings)
    started = time.monotonic()
    with pytest.raises(ModerationUnavailable) as raised:
        await checker.check("a quiet meadow", "")
    elapsed = time.monotonic() - started
    await checker.aclose()
    assert raised.value.transient
    assert "did not answer within 0.5 seconds" in raised.value.message
    assert 0.4 < elapsed < 2.0
