"""A post's text: the hashtags, mentions and links in it, its length as Mastodon counts it, and
its HTML, which is built from escaped pieces and then sanitized by nh3."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import nh3

URL_LENGTH = 23  # every link counts as this many characters, as on Mastodon
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]}]", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w/@])@([A-Za-z0-9_]{1,30})(?:@([A-Za-z0-9.\-:]+[A-Za-z0-9]))?")
_HASHTAG = re.compile(r"(?<![\w/&#])#(\w*[^\W\d_]\w*)", re.UNICODE)
_TOKENS = re.compile(
    f"(?P<url>{_URL.pattern})|(?P<mention>{_MENTION.pattern})|(?P<tag>{_HASHTAG.pattern})",
    re.IGNORECASE | re.UNICODE,
)

_HASHTAG_NAME = re.compile(r"\w*[^\W\d_]\w*", re.UNICODE)
MAX_HASHTAG = 200

ALLOWED_TAGS = {"p", "br", "a", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "class", "target"}, "span": {"class"}}


@dataclass(frozen=True)
class Parsed:
    mentions: list[tuple[str, str | None]]  # (username, domain or None), in order, unique
    hashtags: list[str]  # as written, unique regardless of case
    urls: list[str]


def parse(text: str) -> Parsed:
    mentions: dict[tuple[str, str | None], None] = {}
    tags: dict[str, str] = {}
    urls: list[str] = []
    for match in _TOKENS.finditer(text):
        if match.group("url"):
            urls.append(match.group("url"))
        elif match.group("mention"):
            inner = _MENTION.match(match.group("mention"))
            assert inner is not None
            mentions[(inner.group(1), inner.group(2))] = None
        elif match.group("tag"):
            name = match.group("tag")[1:]
            if len(name) <= MAX_HASHTAG:  # longer ones stay text: no tag is named so
                tags.setdefault(fold_hashtag(name), name)
    return Parsed(list(mentions), list(tags.values()), urls)


def fold_hashtag(name: str) -> str:
    """The one form two spellings of a hashtag share (#Äpfel, #äpfel, #ÄPFEL; #Straße, #STRASSE):
    Unicode compatibility-normalized, then case-folded. Kept beside each tag, so both databases
    compare hashtags the same way (SQLite's lower() folds ASCII letters only)."""
    return unicodedata.normalize("NFKC", name).casefold()


def is_hashtag_name(name: str) -> bool:
    """Whether ``name`` (without its '#') is a hashtag as posts write them: word characters, at
    least one of them a letter."""
    return len(name) <= MAX_HASHTAG and _HASHTAG_NAME.fullmatch(name) is not None


def length(text: str, spoiler_text: str = "") -> int:
    """Characters as Mastodon counts them: a link is 23, a remote mention counts its username only,
    and the content warning counts too."""
    counted = _URL.sub("x" * URL_LENGTH, text)
    counted = _MENTION.sub(lambda m: "@" + m.group(1), counted)
    return len(counted) + len(spoiler_text)


def render(
    text: str,
    *,
    mention_url: Callable[[str], str | None],
    tag_url: Callable[[str], str],
) -> str:
    """HTML for a post: paragraphs, line breaks, and links for URLs, known mentions and hashtags.
    Every piece of the author's text is escaped; nh3 then removes anything not allowed."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    out = []
    for paragraph in paragraphs:
        pieces: list[str] = []
        position = 0
        for match in _TOKENS.finditer(paragraph):
            pieces.append(html.escape(paragraph[position : match.start()]))
            token = match.group(0)
            if match.group("url"):
                shown = re.sub(r"^https?://(www\.)?", "", token)
                pieces.append(
                    f'<a href="{html.escape(token)}" target="_blank">'
                    f"{html.escape(shown if len(shown) <= 30 else shown[:30] + '…')}</a>"
                )
            elif match.group("mention"):
                username = match.group(0)[1:].split("@")[0]
                url = mention_url(username) if "@" not in match.group(0)[1:] else None
                if url is None:
                    pieces.append(html.escape(token))
                else:
                    pieces.append(
                        f'<span class="h-card"><a href="{html.escape(url)}" class="u-url mention">'
                        f"@<span>{html.escape(username)}</span></a></span>"
                    )
            else:
                name = token[1:]
                pieces.append(
                    f'<a href="{html.escape(tag_url(name))}" class="mention hashtag">'
                    f"#<span>{html.escape(name)}</span></a>"
                )
            position = match.end()
        pieces.append(html.escape(paragraph[position:]))
        out.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    return nh3.clean(
        "".join(out),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )
