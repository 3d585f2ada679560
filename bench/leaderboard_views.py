"""Server time of the leaderboard's interactions with 10,000 results: first render, tab change, filter, search.

Each figure is the handler the browser's event runs (`leaderboard.tab.render`), timed in-process; the
first render includes reading the index and rating every population. Run: python bench/leaderboard_views.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import seeded_store
from core.repos import ResultsRepo
from core.store.local import LocalStore
from leaderboard.tab import render
from leaderboard.tables import ALL_CLASSES, ALL_HARDWARE, DEFAULT_OPTIONAL, LATEST, REFERENCE_HARDWARE, LeaderboardData

RESULTS = 10_000
RUNS = 7


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "results"
        seeded_store(root, RESULTS)
        figures: dict[str, list[float]] = {"first render": [], "tab change": [], "filter": [], "search": []}
        for _ in range(RUNS):
            data = LeaderboardData(ResultsRepo(LocalStore(root)))  # a fresh server: nothing cached

            def show(task: str, hardware: str = REFERENCE_HARDWARE, search: str = "", data=data) -> None:
                render(data, task, LATEST, hardware, ALL_CLASSES, search, DEFAULT_OPTIONAL)

            figures["first render"].append(timed(lambda show=show: show("text_generation")))
            figures["tab change"].append(timed(lambda show=show: show("image_classification")))
            figures["filter"].append(timed(lambda show=show: show("image_classification", ALL_HARDWARE)))
            figures["search"].append(timed(lambda show=show: show("image_classification", ALL_HARDWARE, "model-12")))
    print(f"{RESULTS:,} results; median of {RUNS} runs; target 300 ms each")
    print(f"{'interaction':<14} {'median (ms)':>12} {'max (ms)':>9}")
    for name, values in figures.items():
        print(f"{name:<14} {statistics.median(values) * 1000:>12.0f} {max(values) * 1000:>9.0f}")


if __name__ == "__main__":
    main()
