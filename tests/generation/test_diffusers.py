"""The diffusers provider, run for real on the CPU with a tiny randomly initialised Stable Diffusion
pipeline that the module builds and saves itself: nothing is downloaded."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pixie.config import Settings
from pixie.generation.diffusers import DiffusersGenerator, default_sizes, from_settings, missing_extra
from pixie.generation.providers import (
    TRAINED_ALGORITHMIC_MEDIA,
    GeneratedImage,
    GenerationRequest,
    GeneratorError,
    build_generator,
)

# Read by huggingface_hub when it is first imported: the tests must never reach the network.
os.environ["HF_HUB_OFFLINE"] = "1"

_MISSING = missing_extra()
_REASON = (
    f"the diffusers extra is not installed (missing: {', '.join(_MISSING)}); "
    "`make install-dev` or pip install -r requirements-diffusers.lock installs it"
)
if _MISSING and os.environ.get("CI") == "true":
    pytest.fail(_REASON + " (CI must run these tests)", pytrace=False)
for _module in ("torch", "diffusers", "transformers", "accelerate"):
    pytest.importorskip(_module, reason=_REASON)

SIZES = ("64x64", "64x32")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Stable Diffusion pipeline with every part shrunk (about 6 MB), saved as a model directory."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    # A tiny model gains nothing from several threads, and on a busy machine they wait on each other.
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("tiny-sd")
    # A byte-level vocabulary with no merges: every prompt tokenizes, one token per character.
    vocab: dict[str, int] = {}
    for char in sorted(ByteLevel.alphabet()):
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab[special] = len(vocab)
    (root / "vocab.json").write_text(json.dumps(vocab))
    (root / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(root / "vocab.json"), str(root / "merges.txt"), model_max_length=77)

    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
        )
    )
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
    )
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=DDIMScheduler(steps_offset=1, clip_sample=False),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(root / "pipeline")
    return root / "pipeline"


def make(model: Path, steps: int = 2) -> DiffusersGenerator:
    return DiffusersGenerator(str(model), device="cpu", steps=steps, sizes=SIZES)


@pytest.fixture
async def generator(tiny_model: Path) -> AsyncIterator[DiffusersGenerator]:
    gen = make(tiny_model)
    yield gen
    await gen.aclose()


def ask(seed: int = 7, size: tuple[int, int] = (64, 64), **fields: Any) -> GenerationRequest:
    return GenerationRequest(prompt="a red fox in snow", seed=seed, width=size[0], height=size[1], **fields)


def decode(image: GeneratedImage) -> Image.Image:
    picture = Image.open(io.BytesIO(image.data))
    picture.load()
    return picture


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (80, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


class UNetCalls:
    """Counts denoising steps (one UNet call each) and the most that ever ran at the same time."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_with: BaseException | None = None) -> None:
        from diffusers import UNet2DConditionModel

        self.count = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()
        original: Callable[..., Any] = UNet2DConditionModel.forward

        def forward(module: Any, *args: Any, **kwargs: Any) -> Any:
            if fail_with is not None:
                raise fail_with
            with self._lock:
                self.count += 1
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
            try:
                return original(module, *args, **kwargs)
            finally:
                with self._lock:
                    self.running -= 1

        monkeypatch.setattr(UNet2DConditionModel, "forward", forward)


async def test_text_to_image_gives_a_png_of_the_requested_size(
    generator: DiffusersGenerator, tiny_model: Path
) -> None:
    square = await generator.generate(ask())
    wide = await generator.generate(ask(size=(64, 32)))

    assert square.mime_type == "image/png"
    assert decode(square).format == "PNG"
    assert decode(square).size == (64, 64)
    assert decode(wide).size == (64, 32)  # width first, as asked
    assert square.seed == 7
    assert square.details["device"] == "cpu"
    assert square.details["dtype"] == "float32"
    assert square.details["steps"] == "2"
    assert generator.provider == "diffusers"
    assert generator.model == str(tiny_model)
    assert generator.label == "ai_generated"
    assert generator.digital_source_type == TRAINED_ALGORITHMIC_MEDIA
    assert generator.sizes == SIZES


async def test_a_seed_gives_the_same_image_and_another_seed_a_different_one(
    generator: DiffusersGenerator,
) -> None:
    first = await generator.generate(ask(seed=1))
    again = await generator.generate(ask(seed=1))
    other = await generator.generate(ask(seed=2))

    assert decode(first).tobytes() == decode(again).tobytes()
    assert decode(first).tobytes() != decode(other).tobytes()


async def test_the_negative_prompt_reaches_the_pipeline(generator: DiffusersGenerator) -> None:
    plain = await generator.generate(ask(seed=3))
    steered = await generator.generate(ask(seed=3, negative_prompt="blurry, text"))

    assert decode(plain).tobytes() != decode(steered).tobytes()


async def test_image_to_image_starts_from_the_init_image(generator: DiffusersGenerator) -> None:
    seen: list[float] = []

    async def progress(value: float) -> None:
        seen.append(value)

    # Another size and aspect than asked for: the source is cropped and scaled to the frame.
    from_red = await generator.generate(ask(init_image=solid((220, 30, 30)), strength=0.6), progress)
    from_blue = await generator.generate(ask(init_image=solid((30, 30, 220)), strength=0.6))
    wide = await generator.generate(ask(size=(64, 32), init_image=solid((220, 30, 30)), strength=0.6))

    assert decode(from_red).size == (64, 64)
    assert decode(wide).size == (64, 32)
    assert decode(from_red).tobytes() != decode(from_blue).tobytes()
    assert seen[-1] == 1.0


async def test_progress_rises_step_by_step_to_one(tiny_model: Path) -> None:
    generator = make(tiny_model, steps=4)
    seen: list[float] = []

    async def progress(value: float) -> None:
        seen.append(value)

    try:
        await generator.generate(ask(), progress)
    finally:
        await generator.aclose()

    assert len(seen) >= 2 and seen[0] < 1.0  # reported during the run, not only at its end
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    assert seen[-1] == 1.0
    assert all(0.0 < value <= 1.0 for value in seen)


async def test_cancelling_stops_the_pipeline_at_its_next_step(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = 30
    generator = make(tiny_model, steps=steps)
    await generator.generate(ask())  # loaded before counting
    calls = UNetCalls(monkeypatch)
    started = asyncio.Event()

    async def progress(value: float) -> None:
        started.set()

    try:
        running = asyncio.create_task(generator.generate(ask(seed=1), progress))
        queued = asyncio.create_task(generator.generate(ask(seed=2)))
        await asyncio.wait_for(started.wait(), 30)

        # A job still waiting for the GPU is dropped at once, without waiting for the running one.
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        assert not running.done()

        at_cancel = calls.count
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        after = calls.count
        await asyncio.sleep(0.3)

        assert after <= at_cancel + 1 < steps  # at most the step under way when it was cancelled
        assert calls.count == after  # nothing runs on in the background
        # The GPU is free again: the next job runs all its steps.
        await generator.generate(ask(seed=3))
        assert calls.count == after + steps
    finally:
        await generator.aclose()


async def test_concurrent_jobs_take_turns_on_the_device(
    generator: DiffusersGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = await generator.generate(ask(seed=5))
    calls = UNetCalls(monkeypatch)

    together = await asyncio.gather(*(generator.generate(ask(seed=seed)) for seed in (5, 6, 7)))

    assert calls.count == 3 * 2
    assert calls.most_at_once == 1
    assert together[0].data == alone.data


async def test_out_of_memory_is_a_transient_error(
    generator: DiffusersGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    with monkeypatch.context() as patch:
        UNetCalls(patch, fail_with=torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"))
        with pytest.raises(GeneratorError) as raised:
            await generator.generate(ask())

    assert raised.value.transient  # retried: the memory may have been another job's
    assert "out of memory" in raised.value.message
    assert "smaller size" in raised.value.message
    assert decode(await generator.generate(ask())).size == (64, 64)  # and it recovers


async def test_a_missing_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    missing = DiffusersGenerator(str(tmp_path / "no-such-model"), device="cpu", sizes=SIZES)
    empty = DiffusersGenerator(str(tmp_path), device="cpu", sizes=SIZES)
    try:
        with pytest.raises(GeneratorError) as not_there:
            await missing.generate(ask())
        with pytest.raises(GeneratorError) as no_files:
            await empty.generate(ask())
    finally:
        await missing.aclose()
        await empty.aclose()

    assert "no-such-model does not exist" in not_there.value.message
    assert "PIXIE_DIFFUSERS_MODEL" in not_there.value.message
    assert not not_there.value.transient
    assert "model_index.json" in no_files.value.message
    assert not no_files.value.transient


async def test_an_unreadable_init_image_is_a_clear_error(generator: DiffusersGenerator) -> None:
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(ask(init_image=b"these bytes are not an image"))

    assert "source image" in raised.value.message
    assert not raised.value.transient


async def test_a_size_the_model_does_not_offer_is_refused(generator: DiffusersGenerator) -> None:
    with pytest.raises(GeneratorError) as raised:
        await generator.generate(ask(size=(1024, 1024)))

    assert "64x64, 64x32" in raised.value.message


async def test_a_closed_generator_refuses_work(tiny_model: Path) -> None:
    generator = make(tiny_model)
    await generator.generate(ask())
    await generator.aclose()

    with pytest.raises(GeneratorError) as raised:
        await generator.generate(ask())
    assert raised.value.transient


def test_build_generator_chooses_the_diffusers_provider(tiny_model: Path) -> None:
    settings = Settings(
        _env_file=None, generator="diffusers", diffusers_model=str(tiny_model), diffusers_steps=3
    )

    generator = build_generator(settings)

    assert isinstance(generator, DiffusersGenerator)
    assert generator.provider == "diffusers"
    assert generator.model == str(tiny_model)


def test_without_the_extra_from_settings_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "diffusers", None)  # what find_spec reports for a missing package
    settings = Settings(_env_file=None, generator="diffusers")

    with pytest.raises(GeneratorError) as raised:
        from_settings(settings)

    assert "pixie[diffusers]" in raised.value.message
    assert "missing: diffusers" in raised.value.message


def test_choosing_the_provider_loads_nothing_heavy() -> None:
    # In a fresh interpreter: the module, the constructor and from_settings import none of the extra.
    script = (
        "import sys\n"
        "from pixie.config import Settings\n"
        "from pixie.generation.providers import build_generator\n"
        "build_generator(Settings(_env_file=None, generator='diffusers'))\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers', 'accelerate') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"


def test_default_sizes_follow_the_model_family() -> None:
    assert default_sizes("stabilityai/sdxl-turbo")[0] == "512x512"
    assert default_sizes("stabilityai/sd-turbo")[0] == "512x512"
    assert default_sizes("stable-diffusion-v1-5/stable-diffusion-v1-5")[0] == "512x512"
    assert default_sizes("stabilityai/stable-diffusion-2-1")[0] == "768x768"
    assert default_sizes("stabilityai/stable-diffusion-xl-base-1.0")[0] == "1024x1024"
    assert default_sizes("black-forest-labs/FLUX.1-schnell")[0] == "1024x1024"
    assert DiffusersGenerator("stabilityai/sdxl-turbo").sizes == default_sizes("stabilityai/sdxl-turbo")
