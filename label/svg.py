"""Write the label as a standalone SVG document from the same layout the PNG draws."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from label.content import LabelData, describe
from label.layout import BACKGROUND, HEIGHT, WIDTH, Polygon, Rect, Text, build_layout

FONT_FAMILY = "Inter, 'DejaVu Sans', sans-serif"
_ANCHORS = {"left": "start", "right": "end", "centre": "middle"}
_WEIGHTS = {"bold": "700", "medium": "500"}


def render_svg(data: LabelData) -> str:
    """Render the label as an SVG document of 260 × 364 px; the viewer's fonts draw the text.

    The lines are broken with Pillow's metrics of the fonts the PNG uses, so a viewer with Inter shows the
    same lines as the PNG; other fonts may run slightly wider or narrower.
    """
    svg = ET.Element(
        "svg",
        xmlns="http://www.w3.org/2000/svg",
        width=str(WIDTH),
        height=str(HEIGHT),
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        role="img",
    )
    ET.SubElement(svg, "title").text = describe(data)
    ET.SubElement(svg, "rect", width=str(WIDTH), height=str(HEIGHT), fill=BACKGROUND)
    for shape in build_layout(data).shapes:
        if isinstance(shape, Text):
            element = ET.SubElement(
                svg,
                "text",
                x=_number(shape.x),
                y=_number(shape.y),
                fill=shape.fill,
                attrib={
                    "font-family": FONT_FAMILY,
                    "font-size": _number(shape.size),
                    "font-weight": _WEIGHTS[shape.weight],
                    "text-anchor": _ANCHORS[shape.align],
                },
            )
            element.text = shape.text
        elif isinstance(shape, Rect):
            ET.SubElement(
                svg,
                "rect",
                x=_number(shape.left),
                y=_number(shape.top),
                width=_number(shape.right - shape.left),
                height=_number(shape.bottom - shape.top),
                fill=shape.fill,
                **({"rx": _number(shape.radius)} if shape.radius else {}),
            )
        elif isinstance(shape, Polygon):
            points = " ".join(f"{_number(x)},{_number(y)}" for x, y in shape.points)
            ET.SubElement(svg, "polygon", points=points, fill=shape.fill)
    return ET.tostring(svg, encoding="unicode")


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
