"""Star ratings (methodology §3): five equal-width bands over a population's [min, max].

Pure functions over numbers and data frames; no storage. Intervals are right-closed, so a score
exactly on an inner edge goes to the lower-energy band (more stars), as `pandas.cut(scores, 5)` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.models import Population, PopulationKey

BANDS = 5
ZERO_RANGE_STARS = 3  # what pandas.cut gives when min == max; the population is flagged unrateable

POPULATION_COLUMNS = ["task", "hardware", "size_class"]


def band_edges(scores: Sequence[float]) -> tuple[float, float, float, float, float, float] | None:
    """The six edges of five equal bands over [min, max], or None when the range is zero.

    Units: those of the scores (Wh per 1,000 queries).
    """
    if len(scores) == 0:
        raise ValueError("cannot rate an empty population")
    low, high = float(np.min(scores)), float(np.max(scores))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ValueError("scores must be finite")
    if high == low:
        return None
    # np.linspace, like pandas.cut, so scores on an edge fall on the same side as there.
    return tuple(float(edge) for edge in np.linspace(low, high, BANDS + 1))  # type: ignore[return-value]


def stars_for(scores: Sequence[float] | np.ndarray, edges: Sequence[float] | None) -> np.ndarray:
    """Stars (1-5) for each score: the lowest-energy band gets 5, the highest 1."""
    values = np.asarray(scores, dtype=float)
    if edges is None:
        return np.full(values.shape, ZERO_RANGE_STARS, dtype=np.int64)
    inner = np.asarray(edges[1:BANDS], dtype=float)
    # side="left" counts the inner edges strictly below a score: right-closed bands.
    stars = (BANDS - np.searchsorted(inner, values, side="left")).astype(np.int64)
    # On a range a few ulps wide, rounded edges can collapse onto the maximum; it still gets 1 star.
    stars[values >= edges[BANDS]] = 1
    return stars


def rate(entries: pd.DataFrame) -> tuple[list[Population], dict[str, int]]:
    """Rate every population in `entries` (columns: result_id, task, hardware, size_class, score_wh).

    Returns the populations with their band edges and each result's stars.
    """
    populations: list[Population] = []
    stars: dict[str, int] = {}
    if entries.empty:
        return populations, stars
    grouped = entries.groupby([entries[c].fillna("") for c in POPULATION_COLUMNS], sort=True)
    for (task, hardware, size_class), group in grouped:
        edges = band_edges(group["score_wh"].to_numpy())
        ids = group["result_id"].tolist()
        stars.update(zip(ids, stars_for(group["score_wh"].to_numpy(), edges).tolist(), strict=True))
        key = PopulationKey(task=task, hardware=hardware, size_class=size_class or None)
        populations.append(Population(key=key, band_edges_wh=edges, result_ids=tuple(ids)))
    return populations, stars
