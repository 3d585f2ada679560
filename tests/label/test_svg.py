import xml.etree.ElementTree as ET

import pytest

from label.content import describe, format_energy
from label.layout import GREEN, STAR_EMPTY, build_layout
from label.svg import FONT_FAMILY, render_svg

NS = "{http://www.w3.org/2000/svg}"


def _texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{NS}text")]


def _star_polygons(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter(f"{NS}polygon") if p.get("fill") in (GREEN, STAR_EMPTY)]


def test_svg_is_a_260_by_364_document(make_label):
    root = ET.fromstring(render_svg(make_label()))
    assert root.tag == f"{NS}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("260", "364", "0 0 260 364")


def test_svg_says_what_the_label_says(make_label):
    data = make_label(energy_wh=12345.6)
    root = ET.fromstring(render_svg(data))
    texts = _texts(root)
    for expected in [
        "AI Energy Score",
        "meta-llama",
        "Llama-3.1-8B-Instruct",
        "November 2026",
        "Text Generation (class A)",
    ]:
        assert expected in texts
    assert "NVIDIA H100-80GB" in texts
    assert format_energy(data.energy_wh) == "12,346"
    assert "12,346" in texts
    assert "huggingface.co/spaces/AIEnergyScore/Leaderboard" in texts
    assert "Learn more" in texts
    assert root.find(f"{NS}title").text == describe(data)


def test_svg_text_uses_inter_with_fallbacks(make_label):
    root = ET.fromstring(render_svg(make_label()))
    assert {element.get("font-family") for element in root.iter(f"{NS}text")} == {FONT_FAMILY}


@pytest.mark.parametrize("stars", [1, 3, 5])
def test_svg_draws_five_star_polygons(make_label, stars):
    polygons = _star_polygons(ET.fromstring(render_svg(make_label(stars=stars))))
    assert len(polygons) == 5
    assert [p.get("fill") for p in polygons] == [GREEN] * stars + [STAR_EMPTY] * (5 - stars)
    assert all(len(p.get("points").split()) == 10 for p in polygons)


def test_an_unrated_svg_has_no_stars_and_says_so(make_label):
    root = ET.fromstring(render_svg(make_label(stars=None)))
    assert _star_polygons(root) == []
    assert "Not rated yet" in _texts(root)
    assert GREEN not in render_svg(make_label(stars=None))


def test_an_svg_of_a_population_too_small_to_rate_flags_it(make_label):
    svg = render_svg(make_label(stars=3, too_few_to_rate=True))
    root = ET.fromstring(svg)
    assert _star_polygons(root) == []
    assert {"Not enough models", "to rate"} <= set(_texts(root))
    assert "not enough models to rate" in svg  # the title, read by screen readers


@pytest.mark.parametrize(
    "model_id", ['org/<script>alert("x")</script>', 'a&b/it\'s "quoted" <b>', "Сбер/日本語 & Մոդել"]
)
def test_markup_in_the_name_is_escaped(make_label, model_id):
    data = make_label(model_id=model_id)
    svg = render_svg(data)
    root = ET.fromstring(svg)
    assert "<script>" not in svg and "<b>" not in svg
    assert data.provider in _texts(root)
    assert "".join(line for line in _texts(root) if line in build_layout(data).name.lines) == data.model_name


def test_svg_breaks_a_long_name_into_the_same_lines_as_the_png(make_label):
    data = make_label(model_id="org/an-extremely-long-model-name-that-goes-on-and-on-v2-instruct-preview-final")
    lines = build_layout(data).name.lines
    assert len(lines) > 1
    root = ET.fromstring(render_svg(data))
    name_texts = [e for e in root.iter(f"{NS}text") if e.text in lines]
    assert [e.text for e in name_texts] == list(lines)
    assert len({e.get("font-size") for e in name_texts}) == 1
