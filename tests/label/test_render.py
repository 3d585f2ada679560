import io

import pytest
from PIL import Image, ImageColor

from label.content import ELLIPSIS
from label.fonts import font_chain, has_glyph, measure
from label.layout import BACKGROUND, DARK, GREEN, HEIGHT, MARGIN, RIGHT, STAR_EMPTY, WIDTH, Text, build_layout
from label.render import render_png

LONG_NAME = "an-extremely-long-model-name-that-goes-on-and-on-v2-instruct-preview-final"


def _image(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image.convert("RGB")


def _rgb(colour: str) -> tuple[int, int, int]:
    return ImageColor.getrgb(colour)[:3]


def _colours(image: Image.Image, box: tuple[int, int, int, int]) -> set[tuple[int, int, int]]:
    return {colour for _, colour in image.crop(box).getcolors(maxcolors=1 << 20)}


@pytest.mark.parametrize(("scale", "size"), [(2, (520, 728)), (1, (260, 364)), (3, (780, 1092))])
def test_png_has_the_label_size_at_each_scale(make_label, scale, size):
    png = render_png(make_label(), scale=scale)
    assert _image(png).size == size


def test_png_at_the_default_scale_is_520_by_728(make_label):
    assert _image(render_png(make_label())).size == (520, 728)


def test_scale_below_one_is_rejected(make_label):
    with pytest.raises(ValueError, match="scale"):
        render_png(make_label(), scale=0)


def test_rendering_is_deterministic(make_label):
    assert render_png(make_label()) == render_png(make_label())


def test_header_is_a_dark_bar(make_label):
    image = _image(render_png(make_label()))
    header = image.crop((0, 0, image.width, 40 * 2))
    dark = sum(count for count, colour in header.getcolors(maxcolors=1 << 20) if colour == _rgb(DARK))
    assert dark / (header.width * header.height) > 0.8
    assert image.getpixel((image.width - 4, 4)) == _rgb(DARK)
    assert image.getpixel((image.width // 2, 41 * 2)) == _rgb(BACKGROUND)


@pytest.mark.parametrize("stars", [1, 2, 3, 4, 5])
def test_each_star_centre_is_green_when_earned_and_light_grey_otherwise(make_label, stars):
    data = make_label(stars=stars)
    scale = 2
    image = _image(render_png(data, scale=scale))
    centres = [
        image.getpixel((round(x * scale), round(y * scale))) for x, y in (s.centre for s in build_layout(data).stars)
    ]
    assert centres.count(_rgb(GREEN)) == stars
    assert centres.count(_rgb(STAR_EMPTY)) == 5 - stars
    assert len(centres) == 5


def test_an_unrated_label_has_no_star_green_anywhere(make_label):
    data = make_label(stars=None, scored="Not yet rated")
    assert build_layout(data).stars == ()
    image = _image(render_png(data))
    assert _rgb(GREEN) not in _colours(image, (0, 0, image.width, image.height))
    assert _rgb(GREEN) in _colours(_image(render_png(make_label(stars=1))), (0, 0, image.width, image.height))


def test_an_unrated_label_says_so_where_the_stars_would_be(make_label):
    texts = [s.text for s in build_layout(make_label(stars=None)).shapes if isinstance(s, Text)]
    assert "Not rated yet" in texts


def test_a_population_too_small_to_rate_shows_the_flag_not_three_stars(make_label):
    data = make_label(stars=3, too_few_to_rate=True)
    layout = build_layout(data)
    assert layout.stars == ()
    assert [s.text for s in layout.shapes if isinstance(s, Text)][-4:-2] == ["Not enough models", "to rate"]
    image = _image(render_png(data))
    assert _rgb(GREEN) not in _colours(image, (0, 0, image.width, image.height))


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"model_id": f"some-very-long-organisation-name-for-a-provider/{LONG_NAME}"},
        {"model_id": "x/" + "a" * 200},
        {"model_id": "W" * 300},
        {"model_id": "Сбер/Модель-ß-ü 日本語モデル Մոդել"},
        {"hardware": "NVIDIA H100 80GB HBM3 with an unusually long marketing name attached"},
        {"task_name": "Automatic Speech Recognition", "size_class": None, "energy_wh": 1.7e308},
        {"leaderboard_url": "https://example.org/" + "very-long-path/" * 20, "energy_wh": 5e-324},
        {"stars": None, "scored": "Not yet rated", "energy_wh": 123_456_789},
        {"stars": 3, "too_few_to_rate": True},
    ],
)
@pytest.mark.parametrize("scale", [1, 2])
def test_nothing_is_drawn_in_the_side_margins(make_label, overrides, scale):
    image = _image(render_png(make_label(**overrides), scale=scale))
    below_header = 40 * scale
    for box in [
        (0, below_header, MARGIN * scale, image.height),
        (RIGHT * scale, below_header, image.width, image.height),
    ]:
        assert _colours(image, box) == {_rgb(BACKGROUND)}


@pytest.mark.parametrize(
    "model_id",
    [f"org/{LONG_NAME}", "x/" + "a" * 200, "W" * 300, "org/" + "word " * 60, "org/日本語モデル" * 10],
)
def test_every_text_line_fits_between_the_margins(make_label, model_id):
    for shape in build_layout(make_label(model_id=model_id)).shapes:
        if isinstance(shape, Text):
            width = measure(shape.text, shape.weight, shape.size)
            left = {"left": shape.x, "right": shape.x - width, "centre": shape.x - width / 2}[shape.align]
            assert left >= MARGIN and left + width <= RIGHT, shape


def test_a_long_name_wraps_onto_more_lines_inside_its_band(make_label):
    short, long = build_layout(make_label()), build_layout(make_label(model_id=f"org/{LONG_NAME}"))
    assert len(short.name.lines) == 1
    assert 2 <= len(long.name.lines) <= 3
    assert "".join(long.name.lines) == LONG_NAME
    scale = 2
    image = _image(render_png(make_label(model_id=f"org/{LONG_NAME}"), scale=scale))
    top, bottom = (round(y * scale) for y in long.name_band)
    assert _colours(image, (0, top, MARGIN * scale, bottom)) == {_rgb(BACKGROUND)}
    assert _colours(image, (RIGHT * scale, top, image.width, bottom)) == {_rgb(BACKGROUND)}
    assert len(_colours(image, (MARGIN * scale, top, RIGHT * scale, bottom))) > 1


def test_an_absurdly_long_name_shrinks_breaks_anywhere_and_is_ellipsized(make_label):
    layout = build_layout(make_label(model_id="x/" + "a" * 200))
    assert len(layout.name.lines) == 3
    assert layout.name.size < 16
    assert layout.name.lines[-1].endswith(ELLIPSIS)


def test_a_name_with_markup_characters_renders(make_label):
    image = _image(render_png(make_label(model_id='org/<b>&"quoted"\'')))
    assert image.size == (WIDTH * 2, HEIGHT * 2)


def _name_band(data, scale: int = 2) -> Image.Image:
    image = _image(render_png(data, scale=scale))
    top, bottom = (round(y * scale) for y in build_layout(data).name_band)
    return image.crop((0, top, image.width, bottom))


def test_missing_glyph_boxes_look_alike_so_comparing_renders_detects_them(make_label):
    assert _name_band(make_label(model_id="org/" + "\U0010fffd" * 5)).tobytes() == (
        _name_band(make_label(model_id="org/" + "\U0010fffc" * 5)).tobytes()
    )


@pytest.mark.parametrize("name", ["Модель-ß-ü", "Μοντέλο", "Մոդել"])
def test_non_ascii_names_draw_real_glyphs_not_missing_glyph_boxes(make_label, name):
    """Distinct characters drawn as boxes would all look the same: the name must differ from its first letter repeated.

    That the chosen fonts really have these glyphs is checked in test_fonts.py.
    """
    drawn = _name_band(make_label(model_id=f"org/{name}"))
    assert drawn.tobytes() != _name_band(make_label(model_id=f"org/{name[0] * len(name)}")).tobytes()


def test_cjk_names_use_an_installed_cjk_font_or_fall_back_to_boxes(make_label):
    """Without a CJK font (as on a bare Debian with only Inter and DejaVu) the label still renders, with boxes."""
    name = "日本語モデル"
    has_cjk_font = any(has_glyph(file, "日") for file in font_chain("bold"))
    drawn = _name_band(make_label(model_id=f"org/{name}"))
    repeated = _name_band(make_label(model_id=f"org/{name[0] * len(name)}"))
    assert (drawn.tobytes() != repeated.tobytes()) == has_cjk_font


@pytest.mark.parametrize(
    ("url", "printed"),
    [
        ("https://huggingface.co/spaces/AIEnergyScore/Leaderboard", "huggingface.co/spaces/AIEnergyScore/Leaderboard"),
        (
            "https://huggingface.co/spaces/AIEnergyScore/Leaderboard?model=a%2Fb#top",
            "huggingface.co/spaces/AIEnergyScore/Leaderboard",
        ),
        ("http://localhost:7860/", "localhost:7860"),
        ("huggingface.co/AIEnergyScore", "huggingface.co/AIEnergyScore"),
    ],
)
def test_the_leaderboard_address_is_printed_without_scheme_or_query(make_label, url, printed):
    texts = [s.text for s in build_layout(make_label(leaderboard_url=url)).shapes if isinstance(s, Text)]
    assert printed in texts
