from html.parser import HTMLParser

import markdown_it  # comes with gradio
import pytest

from label.content import describe
from label.snippet import model_card_snippet

IMAGE = "https://huggingface.co/spaces/AIEnergyScore/Leaderboard/resolve/main/labels/m.png"
ENTRY = "https://huggingface.co/spaces/AIEnergyScore/Leaderboard?model=a&task=text_generation"


class _Tags(HTMLParser):
    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _rendered_markdown(markdown: str) -> list[tuple[str, dict[str, str | None]]]:
    return _Tags(markdown_it.MarkdownIt("commonmark").render(markdown)).tags


def test_alt_text_names_the_model_its_stars_and_energy(make_label):
    alt = describe(make_label())
    assert "meta-llama/Llama-3.1-8B-Instruct" in alt
    assert "3 of 5 stars" in alt
    assert "1.23 Wh per 1,000 tasks" in alt
    assert "not rated yet" in describe(make_label(stars=None))
    assert "not enough models to rate" in describe(make_label(stars=3, too_few_to_rate=True))


@pytest.mark.parametrize(
    "model_id", ["meta-llama/Llama-3.1-8B-Instruct", 'org/x*[y]_z_<b>&amp;"q"\\`~|!', "Сбер/日本語 & Մոդել"]
)
def test_markdown_renders_to_the_linked_image_with_the_exact_alt_text(make_label, model_id):
    data = make_label(model_id=model_id)
    markdown, _ = model_card_snippet(data, image_url=IMAGE, entry_url=ENTRY)
    tags = _rendered_markdown(markdown)
    assert [tag for tag, _ in tags] == ["p", "a", "img"]
    assert tags[1][1]["href"] == ENTRY
    assert tags[2][1]["src"] == IMAGE
    assert tags[2][1]["alt"] == describe(data)


@pytest.mark.parametrize(
    "model_id", ["meta-llama/Llama-3.1-8B-Instruct", 'org/<script>x</script>&"q"\'', "Сбер/日本語"]
)
def test_html_is_one_link_around_one_image_with_escaped_attributes(make_label, model_id):
    data = make_label(model_id=model_id)
    _, html = model_card_snippet(data, image_url=IMAGE, entry_url=ENTRY)
    assert "<script>" not in html
    tags = _Tags(html).tags
    assert [tag for tag, _ in tags] == ["a", "img"]
    assert tags[0][1] == {"href": ENTRY}
    assert tags[1][1] == {"src": IMAGE, "alt": describe(data), "width": "260", "height": "364"}


def test_urls_with_parentheses_survive_in_markdown(make_label):
    entry = "https://example.org/board?q=(a)&b=c"
    markdown, _ = model_card_snippet(make_label(), image_url=IMAGE, entry_url=entry)
    assert _rendered_markdown(markdown)[1][1]["href"] == entry


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:image/png;base64,AAAA", "/labels/m.png", "https://", "https://x.org/a b.png"]
)
@pytest.mark.parametrize("argument", ["image_url", "entry_url"])
def test_urls_that_are_not_absolute_http_are_rejected(make_label, url, argument):
    urls = {"image_url": IMAGE, "entry_url": ENTRY, argument: url}
    with pytest.raises(ValueError, match=argument):
        model_card_snippet(make_label(), **urls)
