"""What the leaderboard shows: rated results per release, filtered, and shaped into the displayed table.

Pure pandas over the results index; column labels live here, in the UI layer, and nowhere else.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

import pandas as pd

from core.markup import md_hub_link, md_text, one_line
from core.models import REFERENCE_GPU, ReviewStatus, Source
from core.releases import LATEST_RELEASE_ID, build_release, rated_results
from core.repos import ResultsRepo

LATEST = "Latest measurements (provisional stars)"
LATEST_QUERY = LATEST_RELEASE_ID  # how a label link names the latest view: its labels are "not rated yet"
ALL_HARDWARE = "All hardware"
REFERENCE_HARDWARE = "NVIDIA H100 80GB (reference)"
ALL_CLASSES = "All classes"

# Displayed column → what it shows. The first ones are always shown; the rest can be toggled.
ALWAYS_SHOWN = ["Model", "Energy (Wh / 1k queries)", "Stars"]
OPTIONAL_COLUMNS = [
    "Relative energy",
    "Provider",
    "Class",
    "Parameters (B)",
    "Hardware",
    "Measured",
    "Label",
    "Precision",
    "Repetitions",
    "CV (%)",
    "CPU energy (Wh / 1k)",
    "RAM energy (Wh / 1k)",
]
DEFAULT_OPTIONAL = ["Relative energy", "Provider", "Class", "Parameters (B)", "Hardware", "Measured", "Label"]
DATATYPES = {"Model": "markdown", "Label": "markdown"}


@dataclass
class RatedView:
    """Every result a release rates, with stars and band edges, and what could not be read."""

    frame: pd.DataFrame
    problems: list[str] = field(default_factory=list)


class LeaderboardData:
    """Rated views per release, computed once per results head: tab changes, filters and searches reuse them."""

    def __init__(self, results: ResultsRepo) -> None:
        self.results = results
        self._lock = threading.Lock()
        self._views: dict[str, RatedView] = {}
        self._head: str | None = None

    def release_choices(self) -> list[str]:
        return [LATEST, *reversed(self.results.release_ids())]

    def view(self, release_id: str) -> RatedView:
        """The rated view; raises NotFound for an unknown release."""
        table = self.results.table()
        with self._lock:
            if self._head != table.head:
                self._views.clear()
                self._head = table.head
            cached = self._views.get(release_id)
        if cached is not None:
            return cached
        if release_id == LATEST:
            release = build_release(LATEST_RELEASE_ID, table.frame, cut_at=datetime.now(UTC))
        else:
            release = self.results.release(release_id)
        view = RatedView(rated_results(table.frame, release), list(table.problems))
        with self._lock:
            self._views[release_id] = view
        return view


def published(results: pd.DataFrame) -> pd.DataFrame:
    """The results readers may see one by one: a vendor's only once a maintainer approved it."""
    return results.loc[(results["source"] != Source.VENDOR.value) | (results["review"] == ReviewStatus.APPROVED.value)]


def labelled(results: pd.DataFrame) -> pd.DataFrame:
    """The results that may carry a label: published and valid (a label vouches for its measurement)."""
    shown = published(results)
    return shown.loc[shown["valid"]]


def hardware_choices(frame: pd.DataFrame) -> list[str]:
    others = sorted(h for h in frame["hardware"].unique() if h != REFERENCE_GPU)
    return [REFERENCE_HARDWARE, *others, ALL_HARDWARE]


def select_rows(
    frame: pd.DataFrame,
    *,
    task: str,
    hardware: str = REFERENCE_HARDWARE,
    size_class: str = ALL_CLASSES,
    search: str = "",
) -> pd.DataFrame:
    """The rated rows of one task that match the filters, lowest energy first."""
    rows = frame.loc[frame["task"] == task]
    if hardware == REFERENCE_HARDWARE:
        rows = rows.loc[rows["hardware"] == REFERENCE_GPU]
    elif hardware != ALL_HARDWARE:
        rows = rows.loc[rows["hardware"] == hardware]
    if size_class != ALL_CLASSES:
        rows = rows.loc[rows["size_class"] == size_class]
    if search.strip():
        rows = rows.loc[rows["model_id"].str.contains(search.strip(), case=False, regex=False)]
    return rows.sort_values(["score_wh", "model_id"], kind="stable")


def significant(value: float, digits: int = 4) -> float:
    """Round for display only (the stored and downloaded values keep every digit)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def stars_text(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


def rating_text(stars: int, rateable_population: bool) -> str:
    """The stars, flagged where the population's range is zero (methodology §3: 3 stars, not a rating)."""
    return stars_text(stars) if rateable_population else f"{stars_text(stars)} (not enough models to rate)"


def shown_score(value: float, edges: tuple[float, ...] | None) -> float:
    """The score rounded for display, with as many more digits as it takes not to print the same figure as
    a band edge it is not equal to: 1.80001 beside the edge "5★ ≤ 1.8" must not read "1.8" with 4 stars."""
    digits = 4
    while digits < 15 and edges is not None:
        if all(edge == value or significant(edge, digits) != significant(value, digits) for edge in edges):
            break
        digits += 1
    return significant(value, digits)


_EIGHTHS = " ▏▎▍▌▋▊▉"


def energy_bar(fraction: float, width: int = 12) -> str:
    """A text bar, `fraction` of the full width, in eighths of a character."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def _marked(rows: pd.DataFrame, component: str) -> list[str]:
    """CPU or RAM energy, marked where CodeCarbon estimated it rather than read a counter."""
    return [
        f"{significant(value, 3):g}" + (" (estimated)" if method == "estimate" else "")
        for value, method in zip(rows[f"{component}_wh"], rows[f"{component}_method"], strict=True)
    ]


def _model_cell(model_id: str, source: str) -> str:
    """A Hub link for open models; a vendor's model is not on the Hub, and its figures are self-measured."""
    if source == Source.VENDOR.value:
        return f"{md_text(model_id)} (vendor-measured)"
    return md_hub_link(model_id)


def _label_cell(result_id: str, release_query: str) -> str:
    return f"[PNG](/labels/{quote(result_id, safe='')}.png{release_query})"


def hardware_text(gpu_name: str, gpu_count: int) -> str:
    """The GPU model, with the count when a class C run took several: its score includes all of them."""
    return one_line(gpu_name) if gpu_count <= 1 else f"{gpu_count} × {one_line(gpu_name)}"


def display_table(rows: pd.DataFrame, *, release_id: str, columns: list[str] | None = None) -> pd.DataFrame:
    """The table a reader sees: rounded for display, links, bars; only the chosen optional columns."""
    highest = rows["score_wh"].max() if len(rows) else 1.0
    release_query = f"?release={quote(LATEST_QUERY if release_id == LATEST else release_id, safe='')}"
    table = pd.DataFrame(
        {
            "Model": [_model_cell(m, source) for m, source in zip(rows["model_id"], rows["source"], strict=True)],
            "Energy (Wh / 1k queries)": [
                shown_score(v, edges) for v, edges in zip(rows["score_wh"], rows["band_edges_wh"], strict=True)
            ],
            "Stars": [rating_text(s, ok) for s, ok in zip(rows["stars"], rows["rateable_population"], strict=True)],
            "Relative energy": [energy_bar(v / highest if highest else 0.0) for v in rows["score_wh"]],
            "Provider": [one_line(provider) for provider in rows["provider"]],
            "Class": rows["size_class"].fillna("—").to_numpy(),
            "Parameters (B)": [significant(p / 1e9, 3) if pd.notna(p) else None for p in rows["parameters"]],
            "Hardware": [hardware_text(h, n) for h, n in zip(rows["hardware"], rows["gpu_count"], strict=True)],
            "Measured": rows["measured_at"].dt.strftime("%Y-%m-%d").to_numpy(),
            "Label": [_label_cell(rid, release_query) for rid in rows["id"]],
            "Precision": [one_line(precision) for precision in rows["precision"]],
            "Repetitions": rows["repetitions"].to_numpy(),
            "CV (%)": [significant(cv * 100, 3) if pd.notna(cv) else None for cv in rows["score_cv"]],
            "CPU energy (Wh / 1k)": _marked(rows, "cpu"),
            "RAM energy (Wh / 1k)": _marked(rows, "ram"),
        }
    )
    chosen = DEFAULT_OPTIONAL if columns is None else [c for c in OPTIONAL_COLUMNS if c in columns]
    return table[ALWAYS_SHOWN + chosen]


def spread_callout(rows: pd.DataFrame) -> str:
    """'The highest uses N× the energy of the lowest', for the shown rows."""
    if len(rows) < 2:
        return ""
    low, high = rows["score_wh"].min(), rows["score_wh"].max()
    if low <= 0 or high == low:
        return ""
    ratio = f"{high / low:,.0f}" if high / low >= 10 else f"{high / low:.2g}"
    return f"**{ratio}× difference** between the highest and the lowest energy shown ({len(rows)} results)."


def band_summary(rows: pd.DataFrame) -> str:
    """The band edges of every population among the shown rows, so readers see why a model got its stars."""
    lines = []
    for population, group in rows.groupby("population", sort=True):
        edges = group["band_edges_wh"].iloc[0]
        if edges is None:
            lines.append(f"- {md_text(population)}: not enough models to rate (every member gets 3 stars)")
            continue
        bands = " < ".join(f"{5 - i}★ ≤ {significant(edges[i + 1]):g}" for i in range(5))
        lines.append(f"- {md_text(population)}: {significant(edges[0]):g} ≤ {bands} Wh")
    return "**Star bands** (five equal parts of each population's range):\n" + "\n".join(lines) if lines else ""
