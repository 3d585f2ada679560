"""Where everything on the label goes: one list of shapes at 1× (260 × 364 px) that the PNG and SVG both draw."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from label.content import FittedText, LabelData, fit_text, format_energy
from label.fonts import Weight, measure

WIDTH, HEIGHT = 260, 364
MARGIN = 16
RIGHT = WIDTH - MARGIN
CONTENT_WIDTH = RIGHT - MARGIN

TEXT = "#313131"
MUTED = "#6f6f6f"
BACKGROUND = "#ffffff"
DARK = "#1f1f1f"
DIVIDER = "#d9d9d9"
GREEN = "#3fa45b"
STAR_EMPTY = "#dadada"
# The logo's bolt is a lighter green than the stars, so the star green appears only where a star is earned.
BOLT = "#6cc784"
WHITE = "#ffffff"

# Inter's ascender and descender, in em: with them a line's glyphs sit centred in its line height, as in CSS.
_ASCENT, _DESCENT = 0.96875, 0.2421875
# Ink may reach a fraction of a px past a glyph's advance; keep that much clear of the margins.
_SLACK = 1.0
_NAME_SIZES = (16, 15, 14, 13, 12, 11, 10)
_NAME_MAX_LINES = 3
# Vertical positions, top to bottom. Units: px from the top.
_HEADER_BOTTOM = 40.0
_NAME_BAND = (46.0, 120.0)
_DIVIDERS = (128.0, 206.0, 260.0)
_ROW_TOPS = (138.0, 160.0, 182.0)
_ENERGY_TOP = 216.0
_SCORE_CENTRE = 280.0
_LINK_TOP = 298.0
_BUTTON = (320.0, 348.0)
_STAR_RADIUS = 11.0
_STAR_PITCH = 25.0


@dataclass(frozen=True)
class Rect:
    left: float
    top: float
    right: float
    bottom: float
    fill: str
    radius: float = 0.0


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]
    fill: str


@dataclass(frozen=True)
class Text:
    """One line of text; y is its baseline and x its left end, right end or centre, as `align` says."""

    x: float
    y: float
    text: str
    size: float
    weight: Weight
    fill: str
    align: Literal["left", "right", "centre"] = "left"


@dataclass(frozen=True)
class Star:
    centre: tuple[float, float]
    radius: float
    filled: bool


Shape = Rect | Polygon | Text


@dataclass(frozen=True)
class Layout:
    """The label at 1×: shapes in painting order, the stars, and the model name's lines. Units: px."""

    shapes: tuple[Shape, ...]
    stars: tuple[Star, ...]
    name: FittedText
    name_band: tuple[float, float]


def build_layout(data: LabelData) -> Layout:
    """Place every element of the label for this data."""
    shapes: list[Shape] = [*_header()]
    name, name_band, name_shapes = _name_block(data)
    shapes += name_shapes
    shapes += [Rect(MARGIN, y, RIGHT, y + 1, DIVIDER) for y in _DIVIDERS]
    for top, (label, value) in zip(
        _ROW_TOPS, [("Scored", data.scored), ("Task", data.task_display), ("Hardware", data.hardware)], strict=True
    ):
        shapes += _detail_row(top, label, value)
    shapes += _energy_row(_ENERGY_TOP, data.energy_wh)
    stars = () if data.too_few_to_rate else _stars(_SCORE_CENTRE, data.stars)
    shapes.append(Text(MARGIN, _baseline(_SCORE_CENTRE - 17 / 2, 14, 17), "Energy Score", 14, "medium", TEXT))
    if data.stars is None:
        shapes.append(Text(RIGHT, _baseline(_SCORE_CENTRE - 7, 12, 14), "Not rated yet", 12, "medium", MUTED, "right"))
    elif data.too_few_to_rate:
        shapes += [
            Text(RIGHT, _baseline(_SCORE_CENTRE - 13 + 13 * i, 11, 13), line, 11, "medium", MUTED, "right")
            for i, line in enumerate(("Not enough models", "to rate"))
        ]
    else:
        shapes += [Polygon(star_points(star), GREEN if star.filled else STAR_EMPTY) for star in stars]
    shapes += _footer(data.leaderboard_url)
    return Layout(shapes=tuple(shapes), stars=stars, name=name, name_band=name_band)


def star_points(star: Star) -> tuple[tuple[float, float], ...]:
    """The ten corners of a five-pointed star, its top point straight up."""
    inner = star.radius * 0.5
    cx, cy = star.centre
    return tuple(
        (cx + r * math.sin(math.pi * k / 5), cy - r * math.cos(math.pi * k / 5))
        for k, r in ((k, star.radius if k % 2 == 0 else inner) for k in range(10))
    )


def _baseline(top: float, size: float, line_height: float) -> float:
    return top + (line_height - (_ASCENT + _DESCENT) * size) / 2 + _ASCENT * size


def _header() -> list[Shape]:
    bolt = ((6, 0), (0, 11), (5, 11), (3, 20), (11, 8), (6, 8), (9, 0))
    return [
        Rect(0, 0, WIDTH, _HEADER_BOTTOM, DARK),
        Polygon(tuple((MARGIN + x, 10 + y) for x, y in bolt), BOLT),
        Text(MARGIN + 17, _baseline(11, 15, 18), "AI Energy Score", 15, "bold", WHITE),
    ]


def _name_block(data: LabelData) -> tuple[FittedText, tuple[float, float], list[Shape]]:
    """The provider over the model name, the name wrapped and shrunk to fit, centred in its band."""
    name = fit_text(
        data.model_name,
        lambda text, size: measure(text, "bold", size),
        CONTENT_WIDTH - _SLACK,
        sizes=_NAME_SIZES,
        max_lines=_NAME_MAX_LINES,
    )
    line_height = name.size * 18 / 16
    provider_height = 16 if data.provider else 0
    band_top, band_bottom = _NAME_BAND
    top = band_top + (band_bottom - band_top - provider_height - line_height * len(name.lines)) / 2
    shapes: list[Shape] = []
    if data.provider:
        provider = fit_text(
            data.provider, lambda t, s: measure(t, "medium", s), CONTENT_WIDTH - _SLACK, sizes=(12,), max_lines=1
        )
        shapes.append(Text(MARGIN, _baseline(top, 12, 14), provider.lines[0], 12, "medium", MUTED))
    lines_top = top + provider_height
    for i, line in enumerate(name.lines):
        shapes.append(
            Text(MARGIN, _baseline(lines_top + i * line_height, name.size, line_height), line, name.size, "bold", TEXT)
        )
    return name, (lines_top, lines_top + line_height * len(name.lines)), shapes


def _detail_row(top: float, label: str, value: str) -> list[Shape]:
    """A label on the left and its value on the right, the value shrunk then ellipsized to fit beside it."""
    room = CONTENT_WIDTH - measure(label, "medium", 12) - 12 - _SLACK
    fitted = fit_text(value, lambda t, s: measure(t, "medium", s), room, sizes=(12, 11, 10), max_lines=1)
    return [
        Text(MARGIN, _baseline(top, 12, 14), label, 12, "medium", MUTED),
        Text(RIGHT, _baseline(top, fitted.size, 14), fitted.lines[0], fitted.size, "medium", TEXT, "right"),
    ]


def _energy_row(top: float, energy_wh: float) -> list[Shape]:
    """The energy label on two lines at the left, the figure as large as fits at the right."""
    label = ("Inference Energy", "(Wh) per 1k tasks")
    room = CONTENT_WIDTH - max(measure(line, "medium", 14) for line in label) - 12 - _SLACK
    value = fit_text(
        format_energy(energy_wh),
        lambda text, size: measure(text, "bold", size),
        room,
        sizes=(22, 20, 18, 16, 14, 12),
        max_lines=1,
    )
    shapes: list[Shape] = [
        Text(MARGIN, _baseline(top + i * 17, 14, 17), line, 14, "medium", TEXT) for i, line in enumerate(label)
    ]
    # Centre the figure's capitals (0.727 em tall in Inter) on the two label lines.
    shapes.append(Text(RIGHT, top + 17 + 0.727 * value.size / 2, value.lines[0], value.size, "bold", TEXT, "right"))
    return shapes


def _stars(centre_y: float, count: int | None) -> tuple[Star, ...]:
    if count is None:
        return ()
    first_x = RIGHT - _STAR_RADIUS - 4 * _STAR_PITCH
    return tuple(Star((first_x + i * _STAR_PITCH, centre_y), _STAR_RADIUS, i < count) for i in range(5))


def _footer(leaderboard_url: str) -> list[Shape]:
    """The leaderboard address for verification, and the "Learn more" button."""
    # Printed for a reader to type: the address without scheme, query or fragment, which only add length.
    parts = urlsplit(leaderboard_url)
    shown = parts.netloc + parts.path.rstrip("/") if parts.netloc else leaderboard_url
    link = fit_text(shown, lambda t, s: measure(t, "medium", s), CONTENT_WIDTH - _SLACK, sizes=(11, 10, 9), max_lines=1)
    return [
        Text(WIDTH / 2, _baseline(_LINK_TOP, link.size, 14), link.lines[0], link.size, "medium", MUTED, "centre"),
        Rect(MARGIN, _BUTTON[0], RIGHT, _BUTTON[1], DARK, radius=6),
        Text(
            WIDTH / 2, _baseline(_BUTTON[0], 12, _BUTTON[1] - _BUTTON[0]), "Learn more", 12, "medium", WHITE, "centre"
        ),
    ]
