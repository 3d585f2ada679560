"""Text from outside (submitters, model files, vendor archives, workers' errors, logs) as readers see it.

One mechanism for every page: outside text is never markup. `shown` and `one_line` are its plain form, for
components that draw text as text (Dataframe "str" cells, Code, Dropdown labels, the label images);
the `md_*` functions put it into gr.Markdown, whose sanitizer lets forms, styles, images and links
through. A backslash makes any ASCII punctuation literal (CommonMark); it goes before every character that
starts syntax in gradio's Markdown (marked with GFM, LaTeX between `$$`, mermaid in code fences): HTML,
entities, emphasis, code, links and images, auto-links (`://`, `www.`, `@`), tables, headings, lists
(at the start). The rest (`/`, `-`, `.` inside ids) stays as typed, so stored ids read the same in the
source. Whitespace runs become one space: no block can start inside the text. The only link is to a Hub
model page, from an id the Hub's own validator accepts. Server paths never reach a page: an absolute path
is cut to its last part.
"""

from __future__ import annotations

import re
import unicodedata

from huggingface_hub.utils import HFValidationError, validate_repo_id

HUB_URL = "https://huggingface.co"
REPLACEMENT = "\ufffd"
# Absolute POSIX paths of two parts or more, not inside a URL ("https://host/a/b") nor a relative path ("a/b").
_PATH = re.compile(r"(?<![\w.:/~-])/(?:[^\s/'\"`:,;()<>\[\]{}]+/)+(?P<last>[^\s/'\"`:,;()<>\[\]{}]*)")
_SYNTAX = re.compile(r"[\\`*_~\[\]!<>&#|$@+=]|:(?=//)|(?<=www)\.|^\d*[-.)]", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(text: object) -> str:
    """Outside text as shown in a plain-text component: control and bidi characters replaced by �, server
    paths cut to their last part; lines and tabs kept (a log excerpt keeps its lines)."""
    cleaned = "".join(
        ch if ch in "\n\r\t" or (unicodedata.category(ch) != "Cc" and ch not in _BIDI) else REPLACEMENT
        for ch in str(text)
    )
    return _PATH.sub(lambda match: "…/" + match["last"], cleaned)


def one_line(text: object) -> str:
    """`shown`, on one line: every run of whitespace becomes one space (a table cell, a label's name)."""
    return _WHITESPACE.sub(" ", shown(text))


def md_text(text: object) -> str:
    """Markdown that shows `text` literally, on one line (no leading space: four would start a code block)."""
    return _escaped(one_line(text).lstrip())


def md_code(text: object) -> str:
    """Markdown that shows `text` literally, in code font."""
    return f"<code>{_escaped(one_line(text))}</code>"


def md_message(text: object) -> str:
    """Markdown for a plain-text message whose `backquoted` parts are code, as refusals and check details
    are written. Outside text inside it stays literal: a stray backquote moves a code span, nothing more."""
    parts = one_line(text).lstrip().split("`")
    if len(parts) % 2 == 0:  # an unpaired backquote is shown as one
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return "".join(
        f"<code>{_escaped(part)}</code>" if index % 2 else _escaped(part) for index, part in enumerate(parts)
    )


def _escaped(line: str) -> str:
    return _SYNTAX.sub(lambda match: match[0][:-1] + "\\" + match[0][-1], line)


def md_hub_link(model_id: str) -> str:
    """A link to the model's Hub page when `model_id` is a valid Hub id; the literal text otherwise."""
    try:
        validate_repo_id(model_id)
    except HFValidationError:
        return md_text(model_id)
    return f"[{md_text(model_id)}]({HUB_URL}/{model_id})"
