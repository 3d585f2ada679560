"""The Leaderboard tab: one tab per task, the rated table with filters and downloads, and the plots."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import gradio as gr
import pandas as pd
import plotly.graph_objects as go

from core.catalog import SIZE_CLASS_ABOUT, TASKS, TaskId
from core.markup import md_text
from core.store import NotFound
from leaderboard import plots
from leaderboard.tables import (
    ALL_CLASSES,
    DATATYPES,
    DEFAULT_OPTIONAL,
    LATEST,
    OPTIONAL_COLUMNS,
    REFERENCE_HARDWARE,
    LeaderboardData,
    band_summary,
    display_table,
    hardware_choices,
    select_rows,
    spread_callout,
)

EMPTY_MESSAGE = (
    "### No results here yet\n"
    "Results appear once a model has been benchmarked: submit an open model in the **Submit** tab (the "
    "runner measures it), or upload a vendor's benchmark logs. Try another task, hardware or release, "
    "or clear the search."
)
CLASS_CHOICES = [ALL_CLASSES, "A", "B", "C"]
_DOWNLOADS = Path(tempfile.gettempdir()) / "aies-downloads"


@dataclass
class Controls:
    """The components every view reads; other tabs take them as inputs too."""

    release: gr.Dropdown
    hardware: gr.Dropdown
    task: gr.State


def _download_files(rows: pd.DataFrame, name: str) -> tuple[str, str]:
    """The shown rows at full precision, as CSV and parquet files named after their content."""
    _DOWNLOADS.mkdir(exist_ok=True)
    export = rows.drop(columns=["band_edges_wh"], errors="ignore")
    digest = hashlib.sha1(pd.util.hash_pandas_object(export, index=False).to_numpy().tobytes()).hexdigest()[:12]
    csv_path = _DOWNLOADS / f"{name}-{digest}.csv"
    parquet_path = _DOWNLOADS / f"{name}-{digest}.parquet"
    if not csv_path.exists():
        export.to_csv(csv_path, index=False)
        export.to_parquet(parquet_path, index=False)
    return str(csv_path), str(parquet_path)


def build_full_download(data: LeaderboardData) -> None:
    """Every result of the store (rated or not), at full precision, as CSV and parquet."""
    gr.Markdown("### Download the data\nEvery result in the store, one row per result, with all digits.")
    prepare = gr.Button("Prepare the full data (CSV and parquet)", size="sm")
    files = gr.File(label="Full data", file_count="multiple", interactive=False)
    prepare.click(lambda: list(_download_files(data.results.table().frame, "ai-energy-score-all-results")), None, files)


class TaskView(NamedTuple):
    """Everything the task view shows, in the order of the tab's output components."""

    notice: str
    callout: str
    bands: str
    table: pd.DataFrame
    csv_path: str | None
    parquet_path: str | None
    strip: go.Figure
    scatter: go.Figure


def render(
    data: LeaderboardData, task: str, release_id: str, hardware: str, size_class: str, search: str, columns: list[str]
) -> TaskView:
    """The task view for the current filters."""
    try:
        view = data.view(release_id)
    except NotFound as err:
        empty = pd.DataFrame(columns=["Model"])
        return TaskView(
            f"**{md_text(err)}**",
            "",
            "",
            empty,
            None,
            None,
            plots.energy_by_stars(empty),
            plots.energy_vs_parameters(empty),
        )
    if not TASKS[TaskId(task)].has_size_classes:  # the class picked on the text-generation tab stays there
        size_class = ALL_CLASSES
    rows = select_rows(view.frame, task=task, hardware=hardware, size_class=size_class, search=search)
    notice = EMPTY_MESSAGE if rows.empty else ""
    if view.problems:
        notice += f"\n\n⚠️ {len(view.problems)} result(s) could not be read and are not shown."
    shown = [c for c in columns if c != "Class" or TASKS[TaskId(task)].has_size_classes]
    table = display_table(rows, release_id=release_id, columns=shown)
    csv_path, parquet_path = _download_files(rows, task)
    return TaskView(
        notice,
        spread_callout(rows),
        band_summary(rows),
        table,
        csv_path,
        parquet_path,
        plots.energy_by_stars(rows),
        plots.energy_vs_parameters(rows),
    )


def build(demo: gr.Blocks, data: LeaderboardData) -> Controls:
    """Add the tab's components to `demo`; data is read when the page is used, not at start-up."""
    with gr.Row():
        release = gr.Dropdown([LATEST], value=LATEST, label="Release", scale=2)
        hardware = gr.Dropdown([REFERENCE_HARDWARE], value=REFERENCE_HARDWARE, label="Hardware", scale=2)
        search = gr.Textbox(label="Search models", placeholder="e.g. llama", scale=2)
    with gr.Accordion("Columns", open=False):
        columns = gr.CheckboxGroup(OPTIONAL_COLUMNS, value=DEFAULT_OPTIONAL, label="Shown columns", show_label=False)
    task = gr.State(TaskId.TEXT_GENERATION.value)
    size_class = gr.State(ALL_CLASSES)
    with gr.Tabs():
        for spec in TASKS.values():
            with gr.Tab(spec.display_name, id=spec.id.value) as task_tab:
                gr.Markdown(f"_{spec.about}_")
                if spec.has_size_classes:
                    class_radio = gr.Radio(CLASS_CHOICES, value=ALL_CLASSES, label="Size class")
                    gr.Markdown("\n".join(f"- **{c}**: {text}" for c, text in SIZE_CLASS_ABOUT.items()))
                    class_radio.change(lambda c: c, class_radio, size_class)
            task_tab.select(lambda t=spec.id.value: t, None, task)
    notice = gr.Markdown()
    callout = gr.Markdown()
    bands = gr.Markdown()
    table = gr.Dataframe(
        elem_id="leaderboard-table",
        interactive=False,
        wrap=True,
        datatype=[DATATYPES.get(c, "str") for c in ["Model", "Energy (Wh / 1k queries)", "Stars", *DEFAULT_OPTIONAL]],
        pinned_columns=1,
        max_height=620,
    )
    with gr.Row():
        csv_button = gr.DownloadButton("Download shown table (CSV)", size="sm")
        parquet_button = gr.DownloadButton("Download shown table (parquet)", size="sm")
    with gr.Row():
        strip = gr.Plot(elem_id="leaderboard-strip")
        scatter = gr.Plot(elem_id="leaderboard-scatter")

    def refresh_choices(release_id: str, hardware_choice: str):
        """Release and hardware choices as the data stands now; keeps the reader's picks when still valid."""
        releases = data.release_choices()
        frame = data.results.table().frame
        hardware_options = hardware_choices(frame) if len(frame) else [REFERENCE_HARDWARE]
        return (
            gr.update(choices=releases, value=release_id if release_id in releases else LATEST),
            gr.update(
                choices=hardware_options,
                value=hardware_choice if hardware_choice in hardware_options else REFERENCE_HARDWARE,
            ),
        )

    def show(task_id, release_id, hardware_choice, class_choice, query, shown_columns):
        view = render(data, task_id, release_id, hardware_choice, class_choice, query, shown_columns)
        datatypes = [DATATYPES.get(column, "str") for column in view.table.columns]
        return view._replace(table=gr.update(value=view.table, datatype=datatypes))

    inputs = [task, release, hardware, size_class, search, columns]
    outputs = [notice, callout, bands, table, csv_button, parquet_button, strip, scatter]
    demo.load(refresh_choices, [release, hardware], [release, hardware]).then(show, inputs, outputs)
    gr.on(
        [task.change, size_class.change, release.input, hardware.input, search.change, columns.input],
        show,
        inputs,
        outputs,
    )
    return Controls(release=release, hardware=hardware, task=task)
