"""The leaderboard table of one task: results with their stars, from a release or rated live."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from core.releases import build_release, rated_results
from core.repos import ResultsRepo

LATEST = "latest measurements, not yet rated"


def rated_frame(repo: ResultsRepo, release_id: str) -> pd.DataFrame:
    """Every result with its stars: frozen ones from a release, or a live rating of the latest results."""
    results = repo.table().frame
    if release_id == LATEST:
        release = build_release("latest", results, cut_at=datetime.now(UTC))
    else:
        release = repo.release(release_id)
    return rated_results(results, release)


def task_table(rated: pd.DataFrame, task: str) -> pd.DataFrame:
    """What a reader sees for one task, lowest energy first."""
    rows = rated.loc[rated["task"] == task].sort_values("score_wh", kind="stable")
    return pd.DataFrame(
        {
            "Model": rows["model_id"],
            "GPU energy (Wh / 1,000 queries)": rows["score_wh"].map(lambda v: f"{v:.4g}"),
            "Stars": rows["stars"].map(lambda n: "★" * n + "☆" * (5 - n)),
            "Class": rows["size_class"].fillna("—"),
            "Hardware": rows["hardware"],
            "Measured": rows["measured_at"].dt.strftime("%Y-%m-%d"),
        }
    )
