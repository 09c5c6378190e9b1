"""The ``diffusers`` generator: a Hugging Face diffusers pipeline on this machine's GPU (or CPU).

torch, diffusers, transformers and accelerate come with the optional ``pixie[diffusers]`` extra and
are imported only inside the functions that use them, so importing this module costs nothing and a
deployment that chose another provider never loads them.

All heavy work runs on one worker thread that owns the pipeline: the model is loaded there on first
use and every render runs there, each holding ``_gpu_lock``, so one GPU never runs two jobs at once
and jobs waiting for it do not tie up the event loop's default executor. A render reports progress
after every denoising step back on the event loop, and stops at its next step when the task awaiting
it is cancelled, so a cancelled job frees the GPU within one step.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import inspect
import io
import logging
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PIL import Image, ImageOps

from pixie.generation.providers import (
    TRAINED_ALGORITHMIC_MEDIA,
    GeneratedImage,
    GenerationRequest,
    GeneratorError,
    Progress,
    ProvenanceLabel,
    parse_size,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from pixie.config import Settings

_T = TypeVar("_T")

log = logging.getLogger("pixie.generation.diffusers")

# What `pip install 'pixie[diffusers]'` adds; all four are needed to load a pipeline.
EXTRA_MODULES = ("torch", "diffusers", "transformers", "accelerate")

# Sizes per native resolution: the square the model was trained at first, then a landscape and a
# portrait frame of about the same area (multiples of 64, which every family's latent grid divides).
_SIZES_BY_SIDE = {
    512: ("512x512", "768x512", "512x768"),
    768: ("768x768", "960x640", "640x960"),
    1024: ("1024x1024", "1216x832", "832x1216"),
}


def missing_extra() -> list[str]:
    """The modules of the ``diffusers`` extra that are not installed (found without importing them)."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


def default_sizes(model: str) -> tuple[str, ...]:
    """The sizes a model renders well, guessed from its id or path: 512x512 for Stable Diffusion 1.x,
    SD-Turbo and SDXL-Turbo (distilled at 512), 768x768 for Stable Diffusion 2.x, 1024x1024 for SDXL,
    SD3 and FLUX."""
    name = model.lower()
    if "sdxl-turbo" in name or "sd-turbo" in name:
        side = 512
    elif any(family in name for family in ("flux", "xl", "stable-diffusion-3", "sd3")):
        side = 1024
    elif "stable-diffusion-2" in name and "base" not in name:
        side = 768
    else:
        side = 512
    return _SIZES_BY_SIDE[side]


def _looks_like_path(model: str) -> bool:
    # Hub ids are "owner/name" and never start like this, so such a value can only mean a directory.
    return model.startswith(("/", "./", "../", "~")) or Path(model).is_absolute()


class _Interrupted(Exception):
    """Raised from the step callback to stop a render whose job was cancelled."""


class _ProgressRelay:
    """Carries step progress from the worker thread to ``progress`` on the event loop: in order, never
    backwards, and skipping values that arrived while a slow ``progress`` call was still running."""

    def __init__(self, progress: Progress) -> None:
        self._loop = asyncio.get_running_loop()
        self._progress = progress
        self._latest = 0.0
        self._sent = 0.0
        self._finishing = False
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._forward())

    def report(self, value: float) -> None:
        """Called from the worker thread."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
            self._loop.call_soon_threadsafe(self.update, value)

    def update(self, value: float) -> None:
        """Called on the event loop."""
        value = min(value, 1.0)
        if value > self._latest:
            self._latest = value
            self._wake.set()

    async def _forward(self) -> None:
        while True:
            if self._latest > self._sent:
                self._sent = self._latest
                await self._progress(self._sent)
                continue
            if self._finishing:
                return
            await self._wake.wait()
            self._wake.clear()

    async def finish(self) -> None:
        """Delivers what is pending, then stops; raises what ``progress`` raised."""
        self._finishing = True
        self._wake.set()
        await self._task

    def cancel(self) -> None:
        if self._task.done() and not self._task.cancelled():
            self._task.exception()  # seen here, so asyncio does not log it as never retrieved
        self._task.cancel()


@dataclass
class _Loaded:
    torch: Any
    text2img: Any
    device: str
    dtype: Any
    img2img: Any = None  # made from text2img's components on the first image-to-image request


@dataclass
class _Job:
    request: GenerationRequest
    init_image: Image.Image | None
    relay: _ProgressRelay | None
    cancel: threading.Event = field(default_factory=threading.Event)


class DiffusersGenerator:
    """Renders with a local diffusers pipeline (Stable Diffusion 1.x/2.x/3, SDXL, SDXL-Turbo, FLUX, ...).

    ``model`` is a Hugging Face model id (downloaded to the Hugging Face cache on first use) or a
    directory made by ``save_pretrained``. ``device`` is a torch device (``cuda``, ``cuda:1``, ``mps``,
    ``cpu``); when empty, the GPU if there is one. ``sizes`` defaults to what the model family renders
    well (:func:`default_sizes`). ``guidance_scale`` defaults to 0 for the turbo models, which are
    distilled to work without guidance, and to the pipeline's own default for the rest.
    Nothing is loaded until the first :meth:`generate`.
    """

    def __init__(
        self,
        model: str,
        *,
        device: str = "",
        steps: int = 4,
        sizes: Sequence[str] | None = None,
        guidance_scale: float | None = None,
    ) -> None:
        if not model:
            raise ValueError("the diffusers provider needs a model id or path (PIXIE_DIFFUSERS_MODEL)")
        if steps < 1:
            raise ValueError(f"steps must be at least 1, not {steps}")
        self._model = model
        self._device_setting = device.strip()
        self._steps = steps
        self._sizes = tuple(sizes) if sizes else default_sizes(model)
        for size in self._sizes:
            parse_size(size)  # a malformed size fails here, at start-up, not in a job
        if guidance_scale is None and "turbo" in model.lower():
            guidance_scale = 0.0
        self._guidance_scale = guidance_scale
        # FLUX overflows in float16 on GPUs; bfloat16 is what it was trained in.
        self._bfloat16 = "flux" in model.lower()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pixie-diffusers")
        self._gpu_lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._closed = False

    @property
    def provider(self) -> str:
        return "diffusers"

    @property
    def model(self) -> str:
        return self._model

    @property
    def sizes(self) -> tuple[str, ...]:
        return self._sizes

    @property
    def image_to_image(self) -> bool:
        # Every family this provider targets has an image-to-image pipeline in diffusers; a model
        # that lacks one fails its image-to-image requests with a GeneratorError that says so.
        return True

    @property
    def label(self) -> ProvenanceLabel:
        return "ai_generated"

    @property
    def digital_source_type(self) -> str:
        return TRAINED_ALGORITHMIC_MEDIA

    async def generate(self, request: GenerationRequest, progress: Progress | None = None) -> GeneratedImage:
        if self._closed:
            raise GeneratorError(
                "The diffusers generator has been shut down; try again shortly.", transient=True
            )
        size = f"{request.width}x{request.height}"
        if size not in self._sizes:
            raise GeneratorError(
                f"{self._model} renders {', '.join(self._sizes)}; {size} is not one of them."
            )
        init_image = None
        if request.init_image is not None:
            if not 0.0 < request.strength <= 1.0:
                raise GeneratorError(
                    f"Image-to-image strength must be above 0 and at most 1, not {request.strength}."
                )
            init_image = await asyncio.to_thread(
                _decode_init_image, request.init_image, request.width, request.height
            )
        if self._loaded is None:
            # Not awaited to the end when cancelled: the load carries on and serves the next job.
            await asyncio.wrap_future(self._submit(self._load))
        job = _Job(request, init_image, _ProgressRelay(progress) if progress is not None else None)
        try:
            future = self._submit(self._render, job)
        except GeneratorError:
            if job.relay is not None:
                job.relay.cancel()
            raise
        try:
            image = await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            job.cancel.set()
            if job.relay is not None:
                job.relay.cancel()
            if not future.cancel():
                # Running: it stops at its next step. Waiting for that means that when this task has
                # been cancelled, the GPU is free for the next job.
                with contextlib.suppress(Exception):
                    await asyncio.wrap_future(future)
            task = asyncio.current_task()
            if self._closed and task is not None and not task.cancelling():
                # Nobody cancelled this task: aclose() dropped the queued job, which deserves a retry.
                raise GeneratorError(
                    "The diffusers generator shut down before this image was rendered.", transient=True
                ) from None
            raise
        except BaseException:
            if job.relay is not None:
                job.relay.cancel()
            raise
        if job.relay is not None:
            job.relay.update(1.0)
            await job.relay.finish()
        return image

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._release)

    # --- on the worker thread ---------------------------------------------------------------

    def _submit(self, fn: Callable[..., _T], *args: Any) -> Future[_T]:
        try:
            return self._executor.submit(fn, *args)
        except RuntimeError:  # shut down between the check in generate() and here
            raise GeneratorError(
                "The diffusers generator has been shut down; try again shortly.", transient=True
            ) from None

    def _load(self) -> None:
        with self._gpu_lock:
            if self._loaded is None and not self._closed:
                self._loaded = self._load_pipeline()

    def _load_pipeline(self) -> _Loaded:
        import torch
        from diffusers import AutoPipelineForText2Image
        from huggingface_hub.errors import OfflineModeIsEnabled

        device = self._resolve_device(torch)
        on_accelerator = torch.device(device).type != "cpu"
        dtype = (torch.bfloat16 if self._bfloat16 else torch.float16) if on_accelerator else torch.float32
        source = self._model
        if _looks_like_path(source):
            path = Path(source).expanduser()
            if not path.is_dir():
                raise GeneratorError(
                    f"The diffusers model directory {source} does not exist. Set PIXIE_DIFFUSERS_MODEL to "
                    "a directory made by diffusers' save_pretrained (it holds model_index.json) or to a "
                    "Hugging Face model id such as stabilityai/sdxl-turbo."
                )
            source = str(path)
        started = time.perf_counter()
        try:
            pipe = AutoPipelineForText2Image.from_pretrained(source, dtype=dtype)
            pipe.set_progress_bar_config(disable=True)  # progress goes to the job, not to stderr
            pipe.to(device)
        except (ConnectionError, TimeoutError) as exc:
            if isinstance(exc, OfflineModeIsEnabled):
                raise self._load_error(exc) from exc
            raise GeneratorError(
                f"Downloading the diffusers model {self._model} failed ({exc}); it will be tried again.",
                transient=True,
            ) from exc
        except (OSError, ValueError) as exc:
            raise self._load_error(exc) from exc
        except RuntimeError as exc:
            if _is_out_of_memory(torch, exc):
                _free_cache(torch, device)
                raise GeneratorError(
                    f"The diffusers model {self._model} does not fit in the memory of {device}. Use a "
                    "smaller model or a device with more memory (PIXIE_DIFFUSERS_DEVICE).",
                    transient=True,
                ) from exc
            raise GeneratorError(f"Loading the diffusers model {self._model} failed: {exc}") from exc
        log.info(
            "diffusers model %s loaded on %s (%s) in %.1f s",
            self._model,
            device,
            dtype,
            time.perf_counter() - started,
        )
        return _Loaded(torch=torch, text2img=pipe, device=device, dtype=dtype)

    def _load_error(self, exc: BaseException) -> GeneratorError:
        return GeneratorError(
            f"The diffusers model {self._model} could not be loaded: {exc} Set PIXIE_DIFFUSERS_MODEL to a "
            "directory made by diffusers' save_pretrained (it holds model_index.json) or to a Hugging "
            "Face model id; with HF_HUB_OFFLINE=1 the model must already be in the Hugging Face cache."
        )

    def _resolve_device(self, torch: Any) -> str:
        wanted = self._device_setting
        if not wanted:
            if torch.cuda.is_available():
                return "cuda"
            if torch.backends.mps.is_available():
                return "mps"
            return "cpu"
        try:
            kind = torch.device(wanted).type
        except RuntimeError as exc:
            raise GeneratorError(
                f"PIXIE_DIFFUSERS_DEVICE={wanted!r} is not a torch device; use cuda, cuda:N, mps or cpu, "
                "or leave it unset to use the GPU when there is one."
            ) from exc
        if kind == "cuda" and not torch.cuda.is_available():
            raise GeneratorError(
                f"PIXIE_DIFFUSERS_DEVICE is {wanted}, but torch finds no CUDA GPU (a CPU-only torch "
                "build, or no NVIDIA driver). Install a CUDA build of torch, or set it to cpu."
            )
        if kind == "mps" and not torch.backends.mps.is_available():
            raise GeneratorError(
                f"PIXIE_DIFFUSERS_DEVICE is {wanted}, but this machine has no Apple GPU; set it to cpu."
            )
        return wanted

    def _render(self, job: _Job) -> GeneratedImage:
        with self._gpu_lock:
            if job.cancel.is_set():
                raise _Interrupted
            loaded = self._loaded
            if loaded is None:  # released by aclose() while this job waited
                raise GeneratorError(
                    "The diffusers generator shut down before this image was rendered.", transient=True
                )
            return self._run_pipeline(loaded, job)

    def _run_pipeline(self, loaded: _Loaded, job: _Job) -> GeneratedImage:
        torch = loaded.torch
        request = job.request
        steps = self._steps
        kwargs: dict[str, Any] = {"prompt": request.prompt, "output_type": "pil"}
        if job.init_image is not None:
            pipe = self._img2img(loaded)
            # Image-to-image runs only the last `strength` share of the steps; keep at least one.
            steps = max(steps, math.ceil(1 / request.strength))
            kwargs.update(image=job.init_image, strength=request.strength)
        else:
            pipe = loaded.text2img
            kwargs.update(width=request.width, height=request.height)
        accepts = inspect.signature(pipe.__call__).parameters
        if request.negative_prompt and "negative_prompt" in accepts:
            kwargs["negative_prompt"] = request.negative_prompt
        if self._guidance_scale is not None and "guidance_scale" in accepts:
            kwargs["guidance_scale"] = self._guidance_scale
        relay = job.relay

        def on_step_end(pipe: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            if job.cancel.is_set():
                raise _Interrupted
            if relay is not None:
                total = getattr(pipe, "num_timesteps", 0) or steps
                relay.report((step + 1) / total)
            return {}

        started = time.perf_counter()
        try:
            output = pipe(
                num_inference_steps=steps,
                generator=torch.Generator(device=loaded.device).manual_seed(request.seed),
                callback_on_step_end=on_step_end,
                **kwargs,
            )
        except _Interrupted:
            raise
        except (RuntimeError, ValueError) as exc:
            if _is_out_of_memory(torch, exc):
                _free_cache(torch, loaded.device)
                # Transient: the memory is often held by another job or process on the same GPU.
                raise GeneratorError(
                    f"{loaded.device} ran out of memory rendering {request.width}x{request.height} with "
                    f"{self._model}; it will be tried again. If it keeps happening, choose a smaller size "
                    "or a smaller model.",
                    transient=True,
                ) from exc
            raise GeneratorError(f"The diffusers pipeline failed: {exc}") from exc
        image: Image.Image = output.images[0]
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        details = {
            "device": loaded.device,
            "dtype": str(loaded.dtype).removeprefix("torch."),
            "steps": str(steps),
            "seconds": f"{time.perf_counter() - started:.2f}",
        }
        if "guidance_scale" in kwargs:
            details["guidance_scale"] = str(kwargs["guidance_scale"])
        return GeneratedImage(
            data=buffer.getvalue(), mime_type="image/png", seed=request.seed, details=details
        )

    def _img2img(self, loaded: _Loaded) -> Any:
        if loaded.img2img is None:
            from diffusers import AutoPipelineForImage2Image

            try:
                # from_pipe reuses the loaded components: no second copy in memory, no second load.
                loaded.img2img = AutoPipelineForImage2Image.from_pipe(loaded.text2img)
            except ValueError as exc:
                raise GeneratorError(
                    f"{self._model} has no image-to-image pipeline in diffusers; use a text prompt alone."
                ) from exc
            loaded.img2img.set_progress_bar_config(disable=True)
        return loaded.img2img

    def _release(self) -> None:
        with self._gpu_lock:
            loaded, self._loaded = self._loaded, None
        if loaded is not None:
            device = loaded.device
            torch = loaded.torch
            del loaded
            _free_cache(torch, device)


def _decode_init_image(data: bytes, width: int, height: int) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise GeneratorError(
            f"The source image for image-to-image could not be read ({exc}); use a PNG, JPEG or WebP image."
        ) from exc
    # Cropped to the requested frame, so the output has exactly the size that was asked for.
    return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)


def _is_out_of_memory(torch: Any, exc: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    if isinstance(exc, oom):
        return True
    # MPS and the CPU allocator raise plain RuntimeErrors.
    message = str(exc).lower()
    return "out of memory" in message or "can't allocate memory" in message


def _free_cache(torch: Any, device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.empty_cache()
    elif torch.device(device).type == "mps":
        torch.mps.empty_cache()


def from_settings(settings: Settings) -> DiffusersGenerator:
    missing = missing_extra()
    if missing:
        raise GeneratorError(
            "PIXIE_GENERATOR=diffusers needs the diffusers extra, which is not installed "
            f"(missing: {', '.join(missing)}). Install it: pip install 'pixie[diffusers]' (in a checkout: "
            "pip install -e '.[diffusers]')."
        )
    return DiffusersGenerator(
        settings.diffusers_model, device=settings.diffusers_device, steps=settings.diffusers_steps
    )
