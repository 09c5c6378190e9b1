"""Generation jobs, style presets, and the generation metadata on posts (Pixie's own entities)."""

from __future__ import annotations

from typing import Any

from pixie.config import Settings
from pixie.convert.common import timestamp
from pixie.convert.media import attachment
from pixie.generation.styles import Style
from pixie.models.generations import Generation
from pixie.services.generations import GenerationView


def params(g: Generation) -> dict[str, Any]:
    return {
        "prompt": g.prompt,
        "negative_prompt": g.negative_prompt,
        "style": g.style,
        "size": g.size,
        "seed": g.seed,
        "n": g.n,
        "mode": g.mode,
        "remix_of": str(g.remix_of_id) if g.remix_of_id is not None else None,
    }


def generation(settings: Settings, view: GenerationView) -> dict[str, Any]:
    g = view.generation
    candidates = []
    for m in view.candidates:
        entity = attachment(settings, m)
        entity["pixie"]["chosen"] = m.id == g.chosen_media_id
        entity["pixie"]["seed"] = m.seed
        candidates.append(entity)
    return {
        "id": str(g.id),
        "state": view.state,
        "progress": round(view.progress, 4),
        "created_at": timestamp(g.created_at),
        "finished_at": timestamp(view.finished_at),
        "params": params(g),
        "provider": g.provider,
        "model": g.model,
        "candidates": candidates,
        "status_id": str(g.status_id) if g.status_id is not None else None,
        "error": view.error,
    }


def style(s: Style) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "description": s.description}


def on_status(g: Generation, *, show_prompt: bool) -> dict[str, Any]:
    """``pixie.generation`` on a status; a hidden prompt is null for everyone but its author."""
    return {
        "prompt": g.prompt if show_prompt else None,
        "negative_prompt": g.negative_prompt if show_prompt else None,
        "prompt_hidden": not show_prompt,
        "model": g.model,
        "provider": g.provider,
        "seed": g.seed,
        "size": g.size,
        "style": g.style,
        "remix_of": str(g.remix_of_id) if g.remix_of_id is not None else None,
    }
