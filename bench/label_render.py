"""Time one label render, PNG and SVG, against the 50 ms target. Run: python bench/label_render.py

The first render looks fonts up and loads them, and is timed alone. Then, as in a running app, each format
is rendered 50 times after a warm-up for a typical, a long, a non-ASCII and an unrated label: the median
is printed.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from label.content import LabelData
from label.render import render_png
from label.svg import render_svg

TARGET_S = 0.050
RUNS = 50

TYPICAL = LabelData(
    model_id="meta-llama/Llama-3.1-8B-Instruct",
    task_name="Text Generation",
    hardware="NVIDIA H100-80GB",
    energy_wh=1.23456,
    stars=3,
    scored="November 2026",
    leaderboard_url="https://huggingface.co/spaces/AIEnergyScore/Leaderboard",
    size_class="A",
)
LABELS = {
    "typical": TYPICAL,
    "long name": TYPICAL.model_copy(update={"model_id": "x/" + "a-very-long-model-name-" * 10}),
    "non-ASCII": TYPICAL.model_copy(update={"model_id": "Сбер/Модель-ß-ü Մոդել 日本語"}),
    "unrated": TYPICAL.model_copy(update={"stars": None, "scored": "Not yet rated"}),
}


def median_s(render: Callable[[LabelData], object], data: LabelData) -> float:
    render(data)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        render(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    start = time.perf_counter()
    render_png(TYPICAL)
    print(f"first PNG render, fonts looked up and loaded: {(time.perf_counter() - start) * 1000:.1f} ms")
    print(f"median of {RUNS} renders after a warm-up; target {TARGET_S * 1000:.0f} ms")
    print(f"{'label':<10} {'PNG 520×728':>12} {'vs target':>10} {'SVG':>9} {'vs target':>10}")
    for name, data in LABELS.items():
        png, svg = median_s(render_png, data), median_s(render_svg, data)
        print(f"{name:<10} {png * 1000:>9.1f} ms {png / TARGET_S:>9.2f}× {svg * 1000:>6.1f} ms {svg / TARGET_S:>9.2f}×")


if __name__ == "__main__":
    main()
