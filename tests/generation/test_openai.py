"""The openai provider against a real HTTP server that speaks OpenAI's wire format (fake_openai.py)."""

from __future__ import annotations

import io
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pixie.config import Settings
from pixie.generation.openai import OpenAIGenerator, fold_prompt, from_settings, retry_after
from pixie.generation.providers import (
    TRAINED_ALGORITHMIC_MEDIA,
    GenerationRequest,
    GeneratorError,
    build_generator,
)
from tests.generation.conftest import openai_settings
from tests.generation.fake_openai import FakeOpenAI, Fault, image_colour, revised


def _request(prompt: str = "a red fox in snow", size: str = "1024x1024", **extra: Any) -> GenerationRequest:
    width, height = (int(side) for side in size.split("x"))
    return GenerationRequest(prompt=prompt, seed=41, width=width, height=height, **extra)


def _generator(fake: FakeOpenAI, tmp_path: Path, model: str = "gpt-image-1", **more: Any) -> OpenAIGenerator:
    return from_settings(openai_settings(fake, tmp_path, openai_image_model=model, **more))


def _pixel(data: bytes) -> tuple[int, ...]:
    with Image.open(io.BytesIO(data)) as image:
        return tuple(image.convert("RGB").getpixel((0, 0)))  # type: ignore[arg-type]


def _png(colour: tuple[int, int, int], size: tuple[int, int], kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


async def test_gpt_image_1_generates_one_base64_png_without_response_format(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    generator = _generator(fake_openai, tmp_path, "gpt-image-1")
    progress: list[float] = []

    async def report(value: float) -> None:
        progress.append(value)

    image = await generator.generate(_request(size="1536x1024", negative_prompt="blur, text"), report)
    await generator.aclose()

    sent = fake_openai.requests[-1]
    assert sent.path == "/v1/images/generations"
    assert sent.headers["authorization"] == "Bearer test-key"
    # The API has neither a negative prompt nor a seed: the one is said in words, the other stays Pixie's.
    assert sent.json == {
        "model": "gpt-image-1",
        "prompt": "a red fox in snow\n\nAvoid: blur, text",
        "n": 1,
        "size": "1536x1024",
    }
    assert image.mime_type == "image/png"
    assert image.seed == 41
    assert image.details == {}
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.size == (1536, 1024)
    assert _pixel(image.data) == image_colour(sent.json["prompt"])
    assert progress == [0.0, 1.0]
    assert (generator.provider, generator.model, generator.label) == ("openai", "gpt-image-1", "ai_generated")
    assert generator.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert generator.sizes == ("1024x1024", "1536x1024", "1024x1536")
    assert generator.image_to_image is True


async def test_dall_e_3_asks_for_base64_and_keeps_the_revised_prompt(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    generator = _generator(fake_openai, tmp_path, "dall-e-3")
    image = await generator.generate(_request("a lighthouse at dusk", size="1792x1024"))
    await generator.aclose()

    sent = fake_openai.requests[-1].json
    assert sent["response_format"] == "b64_json"
    assert sent["n"] == 1
    assert image.details == {"revised_prompt": revised("a lighthouse at dusk")}
    assert _pixel(image.data) == image_colour("a lighthouse at dusk")
    assert generator.sizes == ("1024x1024", "1792x1024", "1024x1792")
    assert generator.image_to_image is False


async def test_two_prompts_give_two_different_images(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    generator = _generator(fake_openai, tmp_path)
    first = await generator.generate(_request("a cat"))
    second = await generator.generate(_request("a dog"))
    await generator.aclose()
    assert _pixel(first.data) == image_colour("a cat") != _pixel(second.data) == image_colour("a dog")


async def test_an_edit_sends_the_source_image_and_stays_close_at_low_strength(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    source = _png((10, 200, 30), (640, 480), "JPEG")
    generator = _generator(fake_openai, tmp_path, "gpt-image-1")
    image = await generator.generate(_request("make it autumn", init_image=source, strength=0.3))
    await generator.aclose()

    sent = fake_openai.requests[-1]
    assert sent.path == "/v1/images/edits"
    assert sent.files["image"] == source  # a JPEG the model takes is sent as it is
    assert sent.json["input_fidelity"] == "high"
    assert sent.json["prompt"] == "make it autumn"
    assert "response_format" not in sent.json
    assert _pixel(image.data) == image_colour("make it autumn")


async def test_dall_e_2_edits_take_a_square_rgba_png_of_the_requested_size(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    generator = _generator(fake_openai, tmp_path, "dall-e-2")
    await generator.generate(
        _request("add a moon", size="512x512", init_image=_png((0, 0, 255), (300, 200), "JPEG"), strength=0.8)
    )
    await generator.aclose()

    sent = fake_openai.requests[-1]
    assert sent.json["response_format"] == "b64_json"
    assert "input_fidelity" not in sent.json
    with Image.open(io.BytesIO(sent.files["image"])) as received:
        assert (received.format, received.mode, received.size) == ("PNG", "RGBA", (512, 512))


async def test_what_a_model_cannot_do_is_refused_before_any_request(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    dall_e_3 = _generator(fake_openai, tmp_path, "dall-e-3")
    with pytest.raises(GeneratorError) as no_edits:
        await dall_e_3.generate(_request(init_image=_png((1, 2, 3), (64, 64))))
    with pytest.raises(GeneratorError) as bad_size:
        await dall_e_3.generate(_request(size="1536x1024"))
    await dall_e_3.aclose()

    assert not no_edits.value.transient
    assert "cannot start from an image" in no_edits.value.message
    assert not bad_size.value.transient
    assert "1024x1024, 1792x1024, 1024x1792" in bad_size.value.message
    assert fake_openai.requests == []


async def test_an_unreadable_source_image_is_a_clear_error(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    generator = _generator(fake_openai, tmp_path)
    with pytest.raises(GeneratorError, match="source image could not be read"):
        await generator.generate(_request(init_image=b"not an image"))
    await generator.aclose()
    assert fake_openai.requests == []


async def test_a_rate_limit_is_transient_and_carries_retry_after(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.retry_after = 12
    fake_openai.fail(Fault.RATE_LIMIT, times=1)
    generator = _generator(fake_openai, tmp_path)
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(_request())
    # Pixie's job system does the retrying: the SDK made exactly one attempt.
    assert len(fake_openai.requests) == 1
    assert raised.value.transient
    assert raised.value.retry_after == 12
    assert "rate limited" in raised.value.message
    # The fault was for one call only: the next one draws.
    assert (await generator.generate(_request())).data
    await generator.aclose()


@pytest.mark.parametrize(
    ("model", "code_says"),
    [("gpt-image-1", "rejected by the safety system"), ("dall-e-3", "rejected as a result of our safety")],
)
async def test_a_content_policy_refusal_is_permanent_and_says_so(
    fake_openai: FakeOpenAI, tmp_path: Path, model: str, code_says: str
) -> None:
    fake_openai.fail(Fault.CONTENT_POLICY)
    generator = _generator(fake_openai, tmp_path, model)
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(_request())
    await generator.aclose()
    assert not raised.value.transient
    assert raised.value.message.startswith("The image service refused this prompt: ")
    assert code_says in raised.value.message
    assert "rephrase" in raised.value.message


async def test_a_refused_key_is_permanent_and_points_at_the_operator(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.fail(Fault.UNAUTHORIZED)
    generator = _generator(fake_openai, tmp_path)
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(_request())
    await generator.aclose()
    assert not raised.value.transient
    assert "operator must fix the key" in raised.value.message
    assert "401" in raised.value.message


async def test_a_server_error_is_transient(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.fail(Fault.SERVER_ERROR)
    generator = _generator(fake_openai, tmp_path)
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(_request())
    await generator.aclose()
    assert raised.value.transient
    assert "HTTP 500" in raised.value.message


async def test_a_hang_is_a_transient_time_out_within_the_configured_timeout(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.fail(Fault.HANG)
    generator = _generator(fake_openai, tmp_path, openai_timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(_request())
    elapsed = time.monotonic() - started
    await generator.aclose()
    assert raised.value.transient
    assert "did not answer within 0.5 seconds" in raised.value.message
    assert 0.4 < elapsed < 2.0


async def test_an_unreachable_server_is_transient(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(
        data_dir=tmp_path, openai_base_url=f"http://127.0.0.1:{port}/v1", openai_api_key="test-key"
    )
    generator = from_settings(settings)
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(_request())
    await generator.aclose()
    assert raised.value.transient
    assert "could not be reached" in raised.value.message


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (Fault.NOT_AN_IMAGE, "not an image"),
        (Fault.BAD_BASE64, "bad base64"),
        (Fault.NO_DATA, "without an image"),
    ],
)
async def test_garbage_instead_of_an_image_is_an_error(
    fake_openai: FakeOpenAI, tmp_path: Path, fault: Fault, says: str
) -> None:
    fake_openai.fail(fault)
    generator = _generator(fake_openai, tmp_path, "dall-e-3")
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(_request())
    await generator.aclose()
    assert says in raised.value.message
    assert not raised.value.transient


async def test_build_generator_chooses_openai_from_settings(fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        generator="openai",
        openai_base_url=fake_openai.base_url,
        openai_image_model="dall-e-2",
    )
    generator = build_generator(settings)
    assert isinstance(generator, OpenAIGenerator)
    assert generator.model == "dall-e-2"
    assert generator.sizes == ("256x256", "512x512", "1024x1024")
    # No key is needed for a self-hosted compatible server.
    image = await generator.generate(_request(size="256x256"))
    await generator.aclose()
    assert image.data


def test_openais_own_api_needs_a_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="PIXIE_OPENAI_API_KEY must be set"):
        build_generator(Settings(data_dir=tmp_path, generator="openai"))


def test_a_model_behind_a_compatible_server_gets_square_sizes_and_no_edits(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, openai_base_url="http://127.0.0.1:9/v1", openai_image_model="sdxl")
    generator = from_settings(settings)
    assert generator.sizes[0] == "1024x1024"
    assert all(size.split("x")[0] == size.split("x")[1] for size in generator.sizes)
    assert generator.image_to_image is False


def test_the_negative_prompt_is_said_in_words() -> None:
    assert fold_prompt("  a fox ", "") == "a fox"
    assert fold_prompt("a fox", " blur ") == "a fox\n\nAvoid: blur"


def test_retry_after_reads_seconds_milliseconds_and_dates() -> None:
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    wait = retry_after({"retry-after": later})
    assert wait is not None and 25 < wait <= 30
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None
