import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from label.content import ELLIPSIS, fit_text, format_energy, wrap_text


@pytest.mark.parametrize(
    ("wh", "expected"),
    [
        (0, "0"),
        (0.000001, "0.000001"),
        (0.0000012345, "0.00000123"),
        (0.000123, "0.000123"),
        (0.0009996, "0.001"),
        (0.0512, "0.0512"),
        (1, "1"),
        (1.2, "1.2"),
        (1.23456, "1.23"),
        (9.996, "10"),
        (99.96, "100"),
        (123.456, "123"),
        (12345.6, "12,346"),
        (123_456_789, "123,456,789"),
        (1.234e-7, "1.23×10⁻⁷"),
        (1e-300, "1×10⁻³⁰⁰"),
        (5e-324, "4.94×10⁻³²⁴"),
        (1.5e12, "1.5×10¹²"),
        (1.7e308, "1.7×10³⁰⁸"),
    ],
)
def test_format_energy(wh, expected):
    assert format_energy(wh) == expected


@given(st.floats(min_value=0, exclude_min=True, allow_infinity=False))
def test_format_energy_never_shows_a_non_zero_value_as_zero(wh):
    text = format_energy(wh)
    assert any(digit in text for digit in "123456789")
    assert len(text) <= 11  # short enough to print large on the label


@pytest.mark.parametrize("wh", [-0.001, -1, math.nan, math.inf])
def test_format_energy_rejects_what_is_not_an_energy(wh):
    with pytest.raises(ValueError, match="finite number >= 0"):
        format_energy(wh)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stars", 0),
        ("stars", 6),
        ("stars", 2.5),
        ("energy_wh", -0.1),
        ("energy_wh", math.nan),
        ("energy_wh", math.inf),
        ("model_id", ""),
        ("model_id", "org/"),
        ("model_id", "org/name\n"),
        ("task_name", ""),
        ("hardware", "H100\x00"),
        ("scored", ""),
        ("leaderboard_url", ""),
        ("size_class", "D"),
    ],
)
def test_invalid_label_data_is_rejected_naming_the_field(make_label, field, value):
    with pytest.raises(ValidationError) as error:
        make_label(**{field: value})
    assert [e["loc"][0] for e in error.value.errors()] == [field]


def test_label_data_is_frozen_and_has_no_extra_fields(make_label):
    data = make_label()
    with pytest.raises(ValidationError):
        data.stars = 5
    with pytest.raises(ValidationError, match="extra"):
        make_label(colour="red")
    assert make_label(stars=None).stars is None


@pytest.mark.parametrize(
    ("model_id", "provider", "name"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama", "Llama-3.1-8B-Instruct"),
        ("gpt2", "", "gpt2"),
        ("org/sub/name", "org", "sub/name"),
        ("Сбер/Модель-ß-ü", "Сбер", "Модель-ß-ü"),
    ],
)
def test_provider_and_model_name(make_label, model_id, provider, name):
    data = make_label(model_id=model_id)
    assert (data.provider, data.model_name) == (provider, name)


def test_task_display_names_the_size_class_only_when_there_is_one(make_label):
    assert make_label().task_display == "Text Generation (class A)"
    assert make_label(task_name="Summarization", size_class=None).task_display == "Summarization"


def _chars(text: str) -> float:
    """One px per character: makes expected line breaks easy to read."""
    return len(text)


@pytest.mark.parametrize(
    ("text", "max_width", "lines"),
    [
        ("gpt2", 10, ["gpt2"]),
        ("Llama-3.1-8B-Instruct", 10, ["Llama-3.1-", "8B-", "Instruct"]),
        ("Llama-3.1-8B-Instruct", 30, ["Llama-3.1-8B-Instruct"]),
        ("a very long model name", 10, ["a very", "long model", "name"]),
        ("snake_case_name", 11, ["snake_case_", "name"]),
        ("a" * 25, 10, ["a" * 10, "a" * 10, "a" * 5]),
        ("ab-" + "c" * 12, 10, ["ab-", "c" * 10, "cc"]),
        ("日本語モデル", 4, ["日本語モ", "デル"]),
    ],
)
def test_wrap_text(text, max_width, lines):
    assert wrap_text(text, _chars, max_width) == lines


@given(st.text(min_size=1, max_size=120), st.integers(min_value=1, max_value=40))
def test_wrapped_lines_fit_and_keep_every_visible_character(text, max_width):
    lines = wrap_text(text, _chars, max_width)
    assert all(len(line) <= max_width for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())


def test_fit_text_keeps_the_largest_size_that_needs_few_enough_lines():
    def width(text: str, size: float) -> float:
        return len(text) * size / 10

    short = fit_text("short-name", width, 100, sizes=(16, 12, 10), max_lines=2)
    assert (short.size, short.lines) == (16, ("short-name",))
    longer = fit_text("x" * 200, width, 100, sizes=(16, 12, 10), max_lines=2)
    assert (longer.size, longer.lines) == (10, ("x" * 100, "x" * 100))


def test_fit_text_ellipsizes_at_the_smallest_size_when_nothing_else_fits():
    fitted = fit_text("y" * 500, lambda text, size: len(text) * size / 10, 100, sizes=(16, 10), max_lines=3)
    assert fitted.size == 10
    assert len(fitted.lines) == 3
    assert fitted.lines[-1].endswith(ELLIPSIS)
    assert all(len(line) <= 100 for line in fitted.lines)
