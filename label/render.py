"""Draw the label as a PNG with Pillow, every element from code: no background images."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from label.content import LabelData
from label.fonts import font, measure, runs
from label.layout import BACKGROUND, HEIGHT, WIDTH, Polygon, Rect, Text, build_layout

# Shapes with slanted or round edges are drawn this many times larger and scaled down, for smooth edges.
_SUPERSAMPLE = 4


def render_png(data: LabelData, *, scale: int = 2) -> bytes:
    """Render the label as PNG bytes of (260 × scale) × (364 × scale) px.

    Args:
        data: What the label says.
        scale: Pixels per layout px; 2 gives the sharp 520 × 728 label.

    Raises:
        ValueError: scale is below 1.
    """
    if scale < 1:
        raise ValueError(f"scale must be a whole number >= 1, got {scale!r}")
    image = Image.new("RGB", (WIDTH * scale, HEIGHT * scale), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for shape in build_layout(data).shapes:
        if isinstance(shape, Text):
            _text(draw, shape, scale)
        elif isinstance(shape, Rect) and not shape.radius:
            draw.rectangle(_scaled_box(shape, scale), fill=shape.fill)
        else:
            _smooth_shape(image, shape, scale)
    buffer = io.BytesIO()
    # On this flat-colour image level 3 is as small as the default level 6 and twice as fast.
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def _scaled_box(rect: Rect, scale: int) -> tuple[int, int, int, int]:
    """The rect's pixels: Pillow's rectangle includes its right and bottom edges, so stop one short."""
    return (
        round(rect.left * scale),
        round(rect.top * scale),
        round(rect.right * scale) - 1,
        round(rect.bottom * scale) - 1,
    )


def _text(draw: ImageDraw.ImageDraw, text: Text, scale: int) -> None:
    """Draw a line run by run, each in the font that has its glyphs, all on one baseline."""
    size = text.size * scale
    width = measure(text.text, text.weight, size)
    x = text.x * scale - {"left": 0, "right": width, "centre": width / 2}[text.align]
    for run, file in runs(text.text, text.weight):
        run_font = font(file, size)
        draw.text((x, text.y * scale), run, font=run_font, fill=text.fill, anchor="ls")
        x += run_font.getlength(run)


def _smooth_shape(image: Image.Image, shape: Polygon | Rect, scale: int) -> None:
    """Draw a polygon or rounded rect antialiased: into a supersampled mask of its box, then scaled down."""
    if isinstance(shape, Polygon):
        xs, ys = [x for x, _ in shape.points], [y for _, y in shape.points]
        left, top, right, bottom = min(xs), min(ys), max(xs), max(ys)
    else:
        left, top, right, bottom = shape.left, shape.top, shape.right, shape.bottom
    box = (math.floor(left * scale), math.floor(top * scale), math.ceil(right * scale), math.ceil(bottom * scale))

    def in_mask(x: float, y: float) -> tuple[float, float]:
        return (x * scale - box[0]) * _SUPERSAMPLE, (y * scale - box[1]) * _SUPERSAMPLE

    mask = Image.new("L", ((box[2] - box[0]) * _SUPERSAMPLE, (box[3] - box[1]) * _SUPERSAMPLE))
    draw = ImageDraw.Draw(mask)
    if isinstance(shape, Polygon):
        draw.polygon([in_mask(x, y) for x, y in shape.points], fill=255)
    else:
        (x0, y0), (x1, y1) = in_mask(left, top), in_mask(right, bottom)
        # Pillow's rectangles include their right and bottom edges.
        draw.rounded_rectangle((x0, y0, x1 - 1, y1 - 1), radius=shape.radius * scale * _SUPERSAMPLE, fill=255)
    image.paste(shape.fill, box, mask.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.BOX))
