"""Leaderboard releases (methodology §3): which results are rated together, and freezing the ratings.

A release rates, within each population, the latest rateable result of every model as of its cut
time. Cutting one never re-measures anything: it reads the results index and writes one frozen file.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from core.models import Release
from core.rating import POPULATION_COLUMNS, rate
from core.repos import DuplicateRecord, ResultsRepo, dump_record
from core.store import Put

# The live rating's name (in label links, ?release=latest): no cut release may take it.
LATEST_RELEASE_ID = "latest"
# One entry per model per population: a re-run replaces the earlier measurement.
_ENTRY_KEY = ["model_id", *POPULATION_COLUMNS]


def eligible(results: pd.DataFrame, *, as_of: datetime | None = None) -> pd.DataFrame:
    """The rows that enter a rating: rateable, measured by `as_of`, the latest per model and population."""
    rows = results.loc[results["rateable"]]
    if as_of is not None:
        rows = rows.loc[rows["measured_at"] <= pd.Timestamp(as_of)]
    rows = rows.sort_values(["measured_at", "id"]).drop_duplicates(_ENTRY_KEY, keep="last", ignore_index=True)
    return rows.rename(columns={"id": "result_id"})


def build_release(release_id: str, results: pd.DataFrame, *, cut_at: datetime) -> Release:
    """Rate the results as of `cut_at`, without storing anything."""
    populations, stars = rate(eligible(results, as_of=cut_at))
    return Release(id=release_id, cut_at=cut_at, populations=tuple(populations), stars=stars)


def cut_release(repo: ResultsRepo, release_id: str, *, cut_at: datetime) -> Release:
    """Freeze the ratings of every result measured by `cut_at` as release `release_id`.

    Raises DuplicateRecord if that release exists: a cut release never changes.
    """
    if release_id.lower() == LATEST_RELEASE_ID:
        raise ValueError(f"release id {release_id!r} is reserved for the live rating; choose another id")
    path = repo.release_path(release_id)
    made: list[Release] = []

    def build() -> list[Put]:
        if repo.store.exists(path):
            raise DuplicateRecord(f"release {release_id!r} already exists; releases are frozen once cut")
        made[:] = [build_release(release_id, repo.table().frame, cut_at=cut_at)]
        return [Put(path, dump_record(made[0]))]

    repo.store.transact(build, message=f"Release {release_id}")
    return made[0]


def rated_results(results: pd.DataFrame, release: Release) -> pd.DataFrame:
    """The results a release rated, each with its stars, population and band edges."""
    frame = results.loc[results["id"].isin(release.stars.keys())].copy()
    frame["stars"] = frame["id"].map(release.stars)
    population_of = {rid: population for population in release.populations for rid in population.result_ids}
    frame["population"] = frame["id"].map(lambda rid: population_of[rid].key.label())
    frame["band_edges_wh"] = frame["id"].map(lambda rid: population_of[rid].band_edges_wh)
    frame["rateable_population"] = frame["band_edges_wh"].notna()
    return frame.reset_index(drop=True)
