"""Markdown and HTML snippets that put a model's label on its model card, linked to its leaderboard entry."""

from __future__ import annotations

import html
from urllib.parse import quote, urlsplit

from core.markup import md_text
from label.content import LabelData, describe
from label.layout import HEIGHT, WIDTH


def model_card_snippet(data: LabelData, *, image_url: str, entry_url: str) -> tuple[str, str]:
    """The label as a linked image, in Markdown and in HTML, with alt text naming the model, stars and energy.

    Args:
        data: What the label says; the alt text is made from it.
        image_url: Where the label's PNG or SVG is served; http or https.
        entry_url: The model's entry on the leaderboard; http or https.

    Returns:
        (markdown, html).

    Raises:
        ValueError: A URL is not an absolute http(s) URL.
    """
    image, entry = _checked_url(image_url, "image_url"), _checked_url(entry_url, "entry_url")
    alt = describe(data)
    markdown = f"[![{md_text(alt)}](<{_markdown_url(image)}>)](<{_markdown_url(entry)}>)"
    html_snippet = (
        f'<a href="{html.escape(entry)}"><img src="{html.escape(image)}" alt="{html.escape(alt)}" '
        f'width="{WIDTH}" height="{HEIGHT}"></a>'
    )
    return markdown, html_snippet


def _checked_url(url: str, name: str) -> str:
    # Anything else (javascript:, data:, a relative path) would not reliably reach the label or the entry.
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in url):
        raise ValueError(f"{name} must be an absolute http(s) URL without spaces, got {url!r}")
    return url


def _markdown_url(url: str) -> str:
    """The URL inside Markdown's angle brackets, where only <, > and backslashes need escaping."""
    return quote(url, safe="".join(chr(c) for c in range(33, 127) if chr(c) not in "<>\\"))
