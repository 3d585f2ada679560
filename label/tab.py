"""The Label tab, and what a result's label says in a given release."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import gradio as gr
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from core.catalog import TASKS, TaskId
from core.markup import md_text, one_line
from core.models import Release, ReviewStatus, Source
from core.settings import Settings
from core.store import NotFound
from label.content import LabelData
from leaderboard.tables import LATEST, LATEST_QUERY, LeaderboardData, hardware_text, labelled, significant

MAX_PRINTED_CHARS = 200  # of a stored name on a label
NOT_RATED = "Not rated yet"
_FILES = Path(tempfile.gettempdir()) / "aies-labels"
RELEASE_ID = TypeAdapter(Annotated[str, Release.model_fields["id"]])


def label_for(data: LeaderboardData, result_id: str, release_id: str | None, leaderboard_url: str) -> LabelData:
    """The label of one result: its stars in `release_id` (default: the newest release), or none.

    Raises NotFound for an unknown result or release.
    """
    frame = data.results.table().frame
    rows = frame.loc[frame["id"] == result_id]
    if rows.empty:
        raise NotFound(f"no result with id {result_id!r}")
    if labelled(rows).empty:
        raise NotFound(f"result {result_id!r} has no label: {_why_no_label(rows.iloc[0])}")
    row = rows.iloc[0]
    releases = data.results.release_ids()
    if release_id == LATEST or (release_id or "").lower() == LATEST_QUERY:
        release_id = None  # the latest view rates live: nothing to print on a label yet
    elif release_id is None:
        release_id = releases[-1] if releases else None
    stars, scored, too_few = None, NOT_RATED, False
    if release_id is not None:
        try:
            RELEASE_ID.validate_python(release_id)
        except ValidationError:
            raise NotFound("no release with such a name") from None
        release = data.results.release(release_id)
        stars = release.stars.get(result_id)
        if stars is not None:
            scored = f"{release.cut_at:%B %Y}"
            too_few = any(p.band_edges_wh is None for p in release.populations if result_id in p.result_ids)
    return LabelData(
        model_id=_printed(row["model_id"]),
        task_name=TASKS[TaskId(row["task"])].display_name,
        hardware=_printed(hardware_text(row["hardware"], row["gpu_count"])),
        energy_wh=float(row["score_wh"]),
        stars=stars,
        scored=scored,
        leaderboard_url=leaderboard_url,
        size_class=row["size_class"] if pd.notna(row["size_class"]) else None,
        too_few_to_rate=too_few,
    )


def _printed(stored: str) -> str:
    """A stored name as a label prints it: outside text, so plain and on one line whatever control characters
    it holds, and cut to MAX_PRINTED_CHARS, since fitting a name to the label costs time that grows with the
    square of its length (a Hub id has at most 96 characters; an NVML GPU name fewer)."""
    text = one_line(stored)
    return text if len(text) <= MAX_PRINTED_CHARS else text[: MAX_PRINTED_CHARS - 1] + "…"


def _why_no_label(row: pd.Series) -> str:
    if row["source"] == Source.VENDOR.value and row["review"] == ReviewStatus.PENDING.value:
        return "a vendor-measured result awaiting a maintainer's review"
    if row["source"] == Source.VENDOR.value and row["review"] == ReviewStatus.REJECTED.value:
        return "a vendor-measured result rejected in review"
    return f"it failed its validity checks ({row['failed_checks']})"


def build(tab: gr.Tab, data: LeaderboardData, settings: Settings) -> None:
    from label.render import render_png
    from label.snippet import model_card_snippet
    from label.svg import render_svg

    gr.Markdown("Download a model's energy label for its model card: choose the task, the model and the release.")
    with gr.Row():
        task = gr.Dropdown(
            [(t.display_name, t.id.value) for t in TASKS.values()], value="text_generation", label="Task"
        )
        result = gr.Dropdown([], label="Model")
        release = gr.Dropdown([], label="Release")
    with gr.Row():
        preview = gr.Image(label="Label", type="filepath", height=380, show_label=False)
        with gr.Column():
            png = gr.DownloadButton("Download PNG (520 × 728)")
            svg = gr.DownloadButton("Download SVG")
            message = gr.Markdown()
            markdown_snippet = gr.Code(label="Model card (markdown)", language="markdown")
            html_snippet = gr.Code(label="Model card (HTML)", language="html")

    def load(task_id: str):
        frame = data.results.table().frame
        shown = labelled(frame)
        rows = shown.loc[shown["task"] == task_id].sort_values("model_id")
        choices = [
            (f"{r.model_id} · {one_line(r.hardware)} · {significant(r.score_wh):g} Wh", r.id) for r in rows.itertuples()
        ]
        releases = [*reversed(data.results.release_ids()), LATEST]
        return (
            gr.update(choices=choices, value=choices[0][1] if choices else None),
            gr.update(choices=releases, value=releases[0]),
        )

    def show(result_id: str | None, release_id: str | None):
        if not result_id:
            return None, None, None, "No results for this task yet.", "", ""
        try:
            content = label_for(data, result_id, release_id, settings.public_url)
        except NotFound as err:
            return None, None, None, f"⚠️ {md_text(err)}", "", ""
        _FILES.mkdir(exist_ok=True)
        stem = f"ai-energy-score-{result_id}-{LATEST_QUERY if release_id in (None, LATEST) else release_id}"
        png_path, svg_path = _FILES / f"{stem}.png", _FILES / f"{stem}.svg"
        png_path.write_bytes(render_png(content))
        svg_path.write_text(render_svg(content), encoding="utf-8")
        query = "" if release_id is None else f"?release={LATEST_QUERY if release_id == LATEST else release_id}"
        image_url = f"{settings.app_url.rstrip('/')}/labels/{result_id}.png{query}"
        md, html = model_card_snippet(content, image_url=image_url, entry_url=settings.public_url)
        if release_id == LATEST:
            note = "The latest stars are provisional, so this label says *Not rated yet*: pick a release for stars."
        elif content.stars is None:
            note = f"This result is not rated in release {md_text(release_id)}: the label says so."
        else:
            note = ""
        return str(png_path), str(png_path), str(svg_path), note, md, html

    outputs = [preview, png, svg, message, markdown_snippet, html_snippet]
    tab.select(load, task, [result, release])
    task.input(load, task, [result, release])
    gr.on([result.change, release.change], show, [result, release], outputs)
