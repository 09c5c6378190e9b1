"""Prompt safety, run before any provider sees a prompt: the instance's block list, then a moderation
service when one is configured.

Both the prompt and the negative prompt are checked: providers without a negative-prompt parameter
(``openai``) send it to the model as words, so it is content like the prompt.

When moderation is configured but cannot give a verdict (down, slow, rate limited, a refused key, an
answer with no verdict in it), :meth:`PromptChecker.check` raises :class:`ModerationUnavailable`, a
:class:`GeneratorError`: transient where trying again later may help, so a request can be answered
503 (with ``retry_after`` when the service sent one) or a job retried. A prompt is never let through
unchecked: an instance that turned moderation on relies on it.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from pixie.generation.providers import GeneratorError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from pixie.config import Settings

RefusalSource = Literal["blocklist", "moderation"]

MODERATION_MODEL = "omni-moderation-latest"
# A person waits on this check before their job is queued; a moderation model answers in well under
# a second, so the image time-out (minutes) would be far too long here.
MODERATION_TIMEOUT_CAP = 30.0

# Moderation categories as a person reads them; others are shown as the service names them.
_CATEGORY_NAMES = {
    "harassment/threatening": "threatening harassment",
    "hate/threatening": "threatening hate",
    "illicit": "illicit activity",
    "illicit/violent": "violent illicit activity",
    "self-harm/instructions": "self-harm instructions",
    "self-harm/intent": "self-harm intent",
    "sexual": "sexual content",
    "sexual/minors": "sexual content involving minors",
    "violence/graphic": "graphic violence",
}
_SHOWN_MATCH = 40
_WORD = re.compile(r"\w+")


class PromptRefused(Exception):
    """A prompt this instance does not draw. ``reason`` is written for the person who asked;
    ``categories`` are for moderators: the blocked word or phrase, ``pattern N`` for the N-th entry
    of PIXIE_PROMPT_BLOCKLIST when it is a regular expression, or the moderation categories."""

    def __init__(self, reason: str, *, source: RefusalSource, categories: list[str]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.source = source
        self.categories = categories


class ModerationUnavailable(GeneratorError):
    """Moderation is configured but gave no verdict; the prompt was not let through."""


class BlocklistError(ValueError):
    """PIXIE_PROMPT_BLOCKLIST holds an entry that cannot be used; raised at start-up."""


def normalise(text: str) -> str:
    """Compatibility forms folded (full-width letters, ligatures) and invisible format characters
    (zero-width spaces and joiners, soft hyphens) removed, so they cannot hide a blocked word."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(char for char in folded if unicodedata.category(char) != "Cf")


@dataclass(frozen=True)
class _Pattern:
    number: int  # position in PIXIE_PROMPT_BLOCKLIST, from 1
    regex: re.Pattern[str]


@dataclass(frozen=True)
class BlockMatch:
    category: str  # the word or phrase, or "pattern N"
    reason: str  # for the person; never shows a regular expression


class Blocklist:
    """Words and phrases matched case-insensitively on word boundaries ("ass" does not refuse
    "class"; a phrase matches across any run of spaces), and ``/regular expressions/`` matched
    case-insensitively as written. Compiled once.

    Single words are looked up in a set, one look-up per word of the prompt, so a list of hundreds
    costs what a list of one does; phrases and entries with punctuation share one regex."""

    def __init__(self, entries: Iterable[str]) -> None:
        self._words: dict[str, str] = {}  # case-folded word -> the entry as configured
        self._phrases: dict[str, str] = {}  # case-folded, single-spaced phrase -> the entry
        self._patterns: list[_Pattern] = []
        for number, raw in enumerate(entries, start=1):
            entry = normalise(raw).strip()
            if len(entry) >= 2 and entry.startswith("/") and entry.endswith("/"):
                self._patterns.append(_Pattern(number, _compile_pattern(entry[1:-1], number)))
            elif _WORD.fullmatch(entry):
                self._words.setdefault(entry.casefold(), entry)
            elif entry:
                self._phrases.setdefault(" ".join(entry.casefold().split()), entry)
        # Lookarounds rather than \b, so entries that start or end with punctuation work too.
        alternatives = "|".join(
            r"\s+".join(re.escape(word) for word in phrase.split())
            for phrase in sorted(self._phrases, key=len, reverse=True)
        )
        self._phrase_regex = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if alternatives else None

    def __bool__(self) -> bool:
        return bool(self._words or self._phrases or self._patterns)

    def find(self, text: str, field: str = "prompt") -> BlockMatch | None:
        """The first entry ``text`` contains; ``field`` names it in the reason."""
        text = normalise(text)
        folded = text.casefold()
        entry = next((self._words[w] for w in _WORD.findall(folded) if w in self._words), None)
        if entry is None and self._phrase_regex is not None and (found := self._phrase_regex.search(folded)):
            matched = " ".join(found.group().split())
            entry = self._phrases.get(matched, matched)
        if entry is not None:
            return BlockMatch(
                entry,
                f'This instance does not allow "{entry}" in prompts. '
                f"Please rephrase your {field} without it.",
            )
        for pattern in self._patterns:
            if (found := pattern.regex.search(text)) is not None:
                shown = " ".join(found.group().split())
                if len(shown) > _SHOWN_MATCH:
                    shown = shown[: _SHOWN_MATCH - 1] + "…"
                return BlockMatch(
                    f"pattern {pattern.number}",
                    f'Your {field} contains "{shown}", which this instance does not allow. '
                    "Please rephrase it.",
                )
        return None


def _compile_pattern(source: str, number: int) -> re.Pattern[str]:
    try:
        regex = re.compile(source, re.IGNORECASE)
    except re.error as error:
        raise BlocklistError(
            f"PIXIE_PROMPT_BLOCKLIST entry {number} (/{source}/) is not a valid regular expression: {error}"
        ) from None
    if regex.search("") is not None:
        raise BlocklistError(
            f"PIXIE_PROMPT_BLOCKLIST entry {number} (/{source}/) matches empty text, so it would refuse "
            "every prompt"
        )
    return regex


@dataclass(frozen=True)
class Verdict:
    flagged: bool
    categories: tuple[str, ...] = ()


class Moderation(Protocol):
    async def moderate(self, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text, in order; raises :class:`ModerationUnavailable` when it has none."""

    async def aclose(self) -> None: ...


class OpenAIModeration:
    """OpenAI's moderation endpoint (or a compatible one) on the openai provider's URL and key."""

    def __init__(self, client: AsyncOpenAI, timeout: float, model: str = MODERATION_MODEL) -> None:
        self._client = client
        self._timeout = timeout
        self._model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIModeration:
        # Imported here: the SDK takes most of a second to import, and only this choice needs it.
        from pixie.generation.openai import make_client

        timeout = min(settings.openai_timeout_seconds, MODERATION_TIMEOUT_CAP)
        return cls(make_client(settings), timeout)

    async def moderate(self, texts: Sequence[str]) -> list[Verdict]:
        import openai

        from pixie.generation.openai import retry_after, seconds

        unavailable = "Pixie could not check this prompt just now"
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._client.moderations.create(model=self._model, input=list(texts))
        except (TimeoutError, openai.APITimeoutError):
            raise ModerationUnavailable(
                f"{unavailable} (the moderation service did not answer within {seconds(self._timeout)}). "
                "Please try again in a moment.",
                transient=True,
            ) from None
        except openai.APIConnectionError as error:
            raise ModerationUnavailable(
                f"{unavailable} (the moderation service could not be reached). Please try again in a moment.",
                transient=True,
            ) from error
        except openai.APIStatusError as error:
            status = error.status_code
            if status in (401, 403):
                raise ModerationUnavailable(
                    f"{unavailable}: the moderation service refused this instance's API key "
                    f"(HTTP {status}). The instance's operator must fix PIXIE_OPENAI_API_KEY."
                ) from error
            if status == 429 or status == 408 or status >= 500:
                raise ModerationUnavailable(
                    f"{unavailable} (the moderation service answered HTTP {status}). "
                    "Please try again in a moment.",
                    transient=True,
                    retry_after=retry_after(error.response.headers),
                ) from error
            raise ModerationUnavailable(
                f"{unavailable}: the moderation service refused the request (HTTP {status})."
            ) from error
        except openai.OpenAIError as error:
            raise ModerationUnavailable(
                f"{unavailable} (the moderation service's answer could not be read).", transient=True
            ) from error
        results = response.results or []
        if len(results) != len(texts):
            # An answer without a verdict for every text is no answer: never read it as "not flagged".
            raise ModerationUnavailable(
                f"{unavailable} (the moderation service answered without a verdict). "
                "Please try again in a moment.",
                transient=True,
            )
        verdicts = []
        for result in results:
            flags = result.categories.model_dump(by_alias=True) if result.categories is not None else {}
            categories = tuple(name for name, value in flags.items() if value is True)
            verdicts.append(Verdict(bool(result.flagged) or bool(categories), categories))
        return verdicts

    async def aclose(self) -> None:
        await self._client.close()


def describe(categories: Sequence[str]) -> str:
    names = [_CATEGORY_NAMES.get(category, category) for category in categories]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class PromptChecker:
    """The block list, then moderation; :meth:`check` raises :class:`PromptRefused` or passes."""

    def __init__(self, blocklist: Blocklist, moderation: Moderation | None = None) -> None:
        self.blocklist = blocklist
        self.moderation = moderation

    @classmethod
    def from_settings(cls, settings: Settings) -> PromptChecker:
        """Raises :class:`BlocklistError` or ValueError on a setting that cannot work."""
        blocklist = Blocklist(settings.prompt_blocklist)
        choice = settings.prompt_moderation.strip().lower()
        if choice == "":
            return cls(blocklist)
        if choice == "openai":
            return cls(blocklist, OpenAIModeration.from_settings(settings))
        raise ValueError(
            "PIXIE_PROMPT_MODERATION must be empty (no moderation) or openai, "
            f"not {settings.prompt_moderation!r}"
        )

    async def check(self, prompt: str, negative_prompt: str = "") -> None:
        fields = [("prompt", prompt)]
        if negative_prompt.strip():
            fields.append(("negative prompt", negative_prompt))
        for field, text in fields:
            if (match := self.blocklist.find(text, field)) is not None:
                raise PromptRefused(match.reason, source="blocklist", categories=[match.category])
        if self.moderation is None:
            return
        verdicts = await self.moderation.moderate([text for _, text in fields])
        flagged = [
            (field, verdict) for (field, _), verdict in zip(fields, verdicts, strict=True) if verdict.flagged
        ]
        if not flagged:
            return
        categories = list(
            dict.fromkeys(category for _, verdict in flagged for category in verdict.categories)
        )
        field = " and ".join(field for field, _ in flagged)
        because = f" for {describe(categories)}" if categories else ""
        raise PromptRefused(
            f"This instance's moderation check flagged your {field}{because}. Please rephrase it.",
            source="moderation",
            categories=categories,
        )

    async def aclose(self) -> None:
        if self.moderation is not None:
            await self.moderation.aclose()
