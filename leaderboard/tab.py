"""The Leaderboard tab: pick a task and a release, see the rated table (a first, minimal view)."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from core.catalog import TASKS
from core.repos import ResultsRepo
from core.store import NotFound
from leaderboard.tables import LATEST, rated_frame, task_table

EMPTY_MESSAGE = (
    "**No results yet.** Results appear here once a model has been benchmarked: submit a model in the "
    "Submit tab, or add results to the store, then refresh."
)


def build(demo: gr.Blocks, results: ResultsRepo) -> None:
    """Add the tab's components to `demo`; data is read when the page is used, not at start-up."""
    task_names = [(task.display_name, task.id.value) for task in TASKS.values()]
    with gr.Row():
        task_choice = gr.Dropdown(task_names, value=task_names[0][1], label="Task")
        release_choice = gr.Dropdown([LATEST], value=LATEST, label="Release")
    about = gr.Markdown()
    notice = gr.Markdown()
    table = gr.Dataframe(interactive=False, wrap=True)

    def refresh(task: str, release_id: str):
        releases = [LATEST, *reversed(results.release_ids())]
        try:
            rated = rated_frame(results, release_id)
        except NotFound as err:
            return gr.update(choices=releases), f"_{TASKS[task].about}_", f"**{err}**", pd.DataFrame()
        shown = task_table(rated, task)
        problems = results.table().problems
        message = EMPTY_MESSAGE if shown.empty else ""
        if problems:
            message += f"\n\n{len(problems)} result(s) could not be read and are not shown."
        return gr.update(choices=releases), f"_{TASKS[task].about}_", message, shown

    outputs = [release_choice, about, notice, table]
    gr.on(
        [demo.load, task_choice.change, release_choice.change],
        refresh,
        inputs=[task_choice, release_choice],
        outputs=outputs,
    )
