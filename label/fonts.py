"""Fonts for the label: find Inter, fall back per character to installed fonts that have the glyph, measure text.

Each character is drawn with the first font of its weight's chain that has a glyph for it: Inter, then
DejaVu Sans (Cyrillic, Greek, Armenian, Georgian, Hebrew, symbols), then the first installed font that
fontconfig says covers Japanese, Chinese or Korean. A character that no font has is drawn with the
primary font's "missing glyph" box, so the rest of the name still reads. Without Inter the chain starts
at DejaVu Sans, and without either at Pillow's built-in font. Fonts are looked up once per process.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

Weight = Literal["bold", "medium"]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# Where Debian's fonts-inter and fonts-dejavu-core put them, for machines without fontconfig's fc-list.
_KNOWN_FILES = {
    ("Inter", "Bold"): "/usr/share/fonts/opentype/inter/Inter-Bold.otf",
    ("Inter", "Medium"): "/usr/share/fonts/opentype/inter/Inter-Medium.otf",
    ("DejaVu Sans", "Bold"): "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ("DejaVu Sans", "Book"): "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
}
_STYLES: dict[Weight, dict[str, str]] = {
    "bold": {"Inter": "Bold", "DejaVu Sans": "Bold"},
    "medium": {"Inter": "Medium", "DejaVu Sans": "Book"},
}
_CJK_LANGS = ("ja", "zh-cn", "zh-tw", "ko")
# A code point no font maps (plane 16 private use): it always draws the font's "missing glyph" box.
_UNMAPPED = "\U0010fffd"
_PROBE_SIZE = 32


@dataclass(frozen=True)
class _InstalledFont:
    file: str
    families: tuple[str, ...]
    styles: tuple[str, ...]
    langs: frozenset[str]


@functools.cache
def _installed_fonts() -> tuple[_InstalledFont, ...]:
    """Every font fontconfig knows, from one `fc-list` call; none when fontconfig is not installed."""
    try:
        listing = subprocess.run(
            ["fc-list", "--format", r"%{file}\t%{family}\t%{style}\t%{lang}\n"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    fonts = []
    for line in listing.splitlines():
        file, families, styles, langs = [*line.split("\t"), "", "", ""][:4]
        fonts.append(
            _InstalledFont(file, tuple(families.split(",")), tuple(styles.split(",")), frozenset(langs.split("|")))
        )
    return tuple(sorted(fonts, key=lambda font: font.file))


def _font_file(family: str, style: str) -> str | None:
    """The file of an upright font of this family and style, preferring one whose main style is that style."""
    matches = [
        font
        for font in _installed_fonts()
        if family in font.families
        and style in font.styles
        and not any("Italic" in s or "Oblique" in s for s in font.styles)
    ]
    if matches:
        return min(matches, key=lambda font: font.styles[0] != style).file
    known = _KNOWN_FILES.get((family, style))
    return known if known and Path(known).is_file() else None


@functools.cache
def font_chain(weight: Weight) -> tuple[str | None, ...]:
    """Font files to try for each character, in order; None stands for Pillow's built-in font."""
    chain = [_font_file(family, style) for family, style in _STYLES[weight].items()]
    chain += [next((f.file for f in _installed_fonts() if lang in f.langs), None) for lang in _CJK_LANGS]
    found = list(dict.fromkeys(file for file in chain if file))
    return tuple(found) if found else (None,)


@functools.cache
def font(file: str | None, size: float) -> Font:
    """A loaded font at a size in px; None loads Pillow's built-in font."""
    if file is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(file, size)


@functools.cache
def _ink(file: str | None, text: str) -> bytes:
    """What text draws at the probe size, as bytes: its box and every pixel."""
    probe = font(file, _PROBE_SIZE)
    left, top, right, bottom = (int(v) for v in probe.getbbox(text))
    image = Image.new("L", (max(right - left, 1), max(bottom - top, 1)))
    ImageDraw.Draw(image).text((-left, -top), text, font=probe, fill=255)
    return f"{left},{top},{right},{bottom};".encode() + image.tobytes()


@functools.cache
def has_glyph(file: str | None, char: str) -> bool:
    """Whether the font draws char as itself rather than as its "missing glyph" box.

    Pillow exposes no character map, so this compares the character's rendering with that of a code point
    no font maps: they are identical exactly when the font falls back to its missing-glyph box.
    """
    return _ink(file, char) != _ink(file, _UNMAPPED)


def runs(text: str, weight: Weight) -> list[tuple[str, str | None]]:
    """Split text into runs drawn with one font each: (text, font file), in order."""
    chain = font_chain(weight)

    def file_for(char: str) -> str | None:
        return next((file for file in chain if has_glyph(file, char)), chain[0])

    return [("".join(chars), file) for file, chars in groupby(text, key=file_for)]


@functools.lru_cache(maxsize=4096)
def measure(text: str, weight: Weight, size: float) -> float:
    """The advance width of text drawn with per-character fallback. Units: px."""
    return sum(font(file, size).getlength(run) for run, file in runs(text, weight))
