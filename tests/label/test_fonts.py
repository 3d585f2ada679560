from pathlib import Path

import pytest

from label.fonts import font, font_chain, has_glyph, measure, runs

UNMAPPED = "\U0010fffd"


def _family_in_chain(weight: str, stem: str) -> str:
    file = next((f for f in font_chain(weight) if f and Path(f).name.startswith(stem)), None)
    if file is None:
        pytest.fail(f"{stem} is not installed: run scripts/install-system-deps.sh (make test does)")
    return file


@pytest.mark.parametrize(("weight", "file_name"), [("bold", "Inter-Bold"), ("medium", "Inter-Medium")])
def test_inter_comes_first_when_installed(weight, file_name):
    inter = _family_in_chain(weight, file_name)
    assert font_chain(weight)[0] == inter


def test_the_font_chain_is_looked_up_once():
    assert font_chain("bold") is font_chain("bold")
    assert font(font_chain("bold")[0], 16) is font(font_chain("bold")[0], 16)


def test_has_glyph_tells_a_drawn_character_from_the_missing_glyph_box():
    inter = _family_in_chain("bold", "Inter-Bold")
    dejavu = _family_in_chain("bold", "DejaVuSans-Bold")
    assert has_glyph(inter, "a") and has_glyph(inter, "Ж") and has_glyph(inter, " ")
    assert not has_glyph(inter, UNMAPPED)
    assert not has_glyph(inter, "Մ")  # Armenian: Inter has none
    assert has_glyph(dejavu, "Մ")


@pytest.mark.parametrize("text", ["Llama-3.1-8B", "Модель-ß-ü", "Μοντέλο", "Մոդել v2", "日本語モデル", "⚡ 1.23×10⁻⁷"])
@pytest.mark.parametrize("weight", ["bold", "medium"])
def test_each_character_gets_the_first_font_that_has_it_else_the_primary_font(text, weight):
    chain = font_chain(weight)
    pieces = runs(text, weight)
    assert "".join(run for run, _ in pieces) == text
    for run, file in pieces:
        for char in run:
            expected = next((f for f in chain if has_glyph(f, char)), chain[0])
            assert file == expected, (char, file)


def test_a_latin_name_is_one_run_in_the_primary_font():
    assert runs("Llama-3.1-8B-Instruct", "bold") == [("Llama-3.1-8B-Instruct", font_chain("bold")[0])]


def test_pillows_built_in_font_is_the_last_resort():
    builtin = font(None, 14)
    assert builtin.getlength("AI Energy Score") > 0
    assert has_glyph(None, "A")


def test_measure_adds_up_the_runs():
    text = "Модель Մոդել"
    assert measure(text, "bold", 16) == pytest.approx(sum(font(f, 16).getlength(r) for r, f in runs(text, "bold")))
    assert measure(text, "bold", 32) == pytest.approx(2 * measure(text, "bold", 16), rel=0.01)
