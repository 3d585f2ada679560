"""What a model-card label says: its validated data, the energy figure's display format and text fitting."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.catalog import SizeClass

ELLIPSIS = "…"
_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")

Stars = Annotated[int, Field(ge=1, le=5)]

# Break opportunities inside a name: after a space, or after a separator that Hub ids use between words.
# Not after ".", which would split version numbers such as "3.1".
_BREAK_AFTER = re.compile(r"(?<=[\s\-_/])")


class LabelData(BaseModel):
    """Everything printed on one label; one instance per (model, task, hardware) rating.

    Attributes:
        model_id: Hub-style id, `provider/name` or just `name`; any script.
        task_name: Display name of the task, such as "Text Generation".
        hardware: Display name of the GPU, such as "NVIDIA H100-80GB".
        energy_wh: GPU energy per 1,000 queries, full precision. Units: Wh.
        stars: 1 to 5 in the chosen release; None when the model is not rated.
        scored: The release month ("November 2026"), or a text such as "Not yet rated".
        leaderboard_url: Where a reader verifies the rating; printed on the label.
        size_class: The text-generation size class, shown beside the task.
        too_few_to_rate: The population's range is zero (one model, or all equal): methodology §3 gives
            everyone 3 stars and flags them "not enough models to rate"; the label shows the flag, not stars.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str = Field(min_length=1)
    task_name: str = Field(min_length=1)
    hardware: str = Field(min_length=1)
    energy_wh: float = Field(ge=0, allow_inf_nan=False)
    stars: Stars | None
    scored: str = Field(min_length=1)
    leaderboard_url: str = Field(min_length=1)
    size_class: SizeClass | None = None
    too_few_to_rate: bool = False

    @field_validator("model_id", "task_name", "hardware", "scored", "leaderboard_url")
    @classmethod
    def _printable(cls, value: str) -> str:
        # Control characters cannot be drawn, and most of them are not even allowed in XML (the SVG label).
        bad = [ch for ch in value if unicodedata.category(ch) == "Cc"]
        if bad:
            raise ValueError(f"{value!r} contains control characters {bad!r}; labels print one line of plain text")
        return value

    @field_validator("model_id")
    @classmethod
    def _has_name(cls, value: str) -> str:
        provider, slash, name = value.partition("/")
        if not (name if slash else provider).strip():
            raise ValueError(f"model id {value!r} has no model name; expected `provider/name` or `name`")
        return value

    @property
    def provider(self) -> str:
        """The part of the model id before the first "/", or "" when there is none."""
        provider, slash, _ = self.model_id.partition("/")
        return provider if slash else ""

    @property
    def model_name(self) -> str:
        """The part of the model id after the first "/" (the whole id when there is none)."""
        provider, slash, name = self.model_id.partition("/")
        return name if slash else provider

    @property
    def task_display(self) -> str:
        """The task as printed, with the size class for text generation: "Text Generation (class A)"."""
        return f"{self.task_name} (class {self.size_class})" if self.size_class else self.task_name


def format_energy(wh: float) -> str:
    """Format an energy figure with three significant digits, and whole numbers with separators from 100.

    A non-zero value never prints as 0: 0.000123 → "0.000123", 1.23456 → "1.23", 12345.6 → "12,346".
    Values below 0.000001 or from 1,000,000,000 are written in powers of ten (1.23×10⁻⁷), which keeps
    every figure short enough to print large on the label.

    Args:
        wh: Energy, finite and non-negative. Units: Wh.

    Raises:
        ValueError: The value is negative, infinite or NaN.
    """
    if not math.isfinite(wh) or wh < 0:
        raise ValueError(f"energy must be a finite number >= 0 Wh, got {wh!r}")
    if wh == 0:
        return "0"
    # Mantissa and exponent after rounding to three significant digits, so 99.96 counts as 100.
    mantissa, exponent_text = f"{wh:.2e}".split("e")
    exponent = int(exponent_text)
    if exponent < -6 or exponent >= 9:
        return f"{_trim_zeros(mantissa)}×10{str(exponent).translate(_SUPERSCRIPTS)}"
    if exponent >= 2:
        return f"{wh:,.0f}"
    return _trim_zeros(f"{wh:.{2 - exponent}f}")


def _trim_zeros(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def describe(data: LabelData) -> str:
    """The label in one sentence, for alt text and the SVG title."""
    if data.stars is None:
        rating = "not rated yet"
    elif data.too_few_to_rate:
        rating = "not enough models to rate"
    else:
        rating = f"{data.stars} of 5 stars"
    return (
        f"AI Energy Score label for {data.model_id}, {data.task_display} on {data.hardware}: {rating}, "
        f"{format_energy(data.energy_wh)} Wh per 1,000 tasks"
    )


@dataclass(frozen=True)
class FittedText:
    """Text broken into lines at the largest size that fits. Units: px."""

    size: float
    lines: tuple[str, ...]


def wrap_text(text: str, width: Callable[[str], float], max_width: float) -> list[str]:
    """Break text into lines no wider than max_width: at spaces and after - _ /, anywhere inside a word too long.

    Args:
        text: The text to break.
        width: Measures the width of a line. Units: px.
        max_width: The widest a line may be. Units: px.
    """
    lines: list[str] = []
    line = ""
    for piece in _BREAK_AFTER.split(text):
        if line and width((line + piece).rstrip()) > max_width:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
        while len(line) > 1 and width(line.rstrip()) > max_width:
            cut = _longest_fitting_prefix(line, width, max_width)
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
    if line or not lines:
        lines.append(line.rstrip())
    return lines


def fit_text(
    text: str, width: Callable[[str, float], float], max_width: float, *, sizes: Sequence[float], max_lines: int
) -> FittedText:
    """Wrap text at the first size in `sizes` that needs at most max_lines lines; at the last size, ellipsize.

    Args:
        text: The text to fit.
        width: Measures a line at a font size. Units: px.
        max_width: The widest a line may be. Units: px.
        sizes: Font sizes to try, largest first. Units: px.
        max_lines: The most lines the text may take.
    """
    for size in sizes:
        lines = wrap_text(text, lambda line, size=size: width(line, size), max_width)
        if len(lines) <= max_lines:
            return FittedText(size=size, lines=tuple(lines))
    kept = lines[:max_lines]
    kept[-1] = ellipsize(kept[-1], lambda line: width(line, size), max_width)
    return FittedText(size=size, lines=tuple(kept))


def ellipsize(line: str, width: Callable[[str], float], max_width: float) -> str:
    """Append "…" to a line that was cut short, dropping characters from its end until it fits."""
    cut = _longest_fitting_prefix(line, lambda prefix: width(prefix.rstrip() + ELLIPSIS), max_width)
    return line[:cut].rstrip() + ELLIPSIS


def _longest_fitting_prefix(text: str, width: Callable[[str], float], max_width: float) -> int:
    """The length of the longest prefix of text that fits, and at least 1 so that wrapping always progresses."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if width(text[:middle]) <= max_width:
            low = middle
        else:
            high = middle - 1
    return low
