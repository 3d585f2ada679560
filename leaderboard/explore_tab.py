"""The Model detail and Compare tabs: one model up close, and several side by side."""

from __future__ import annotations

from urllib.parse import quote

import gradio as gr
import pandas as pd
import plotly.graph_objects as go

from core.catalog import TASKS, TaskId
from core.markup import md_text, one_line
from core.repos import RecordError
from core.store import NotFound
from leaderboard import detail, plots
from leaderboard.tab import Controls
from leaderboard.tables import LATEST, LATEST_QUERY, LeaderboardData, published

MAX_COMPARED = 6


def _result_label(row: pd.Series) -> str:
    task = TASKS[TaskId(row["task"])].display_name
    return f"{task} · {one_line(row['hardware'])} · {row['measured_at']:%Y-%m-%d} · {row['id']}"


def build_detail(tab: gr.Tab, data: LeaderboardData, controls: Controls) -> None:
    gr.Markdown("Every task one model was measured on, and how each measurement was obtained.")
    with gr.Row():
        model = gr.Dropdown([], label="Model", allow_custom_value=False, scale=2)
        result_choice = gr.Dropdown([], label="Result", scale=3)
    tasks_table = gr.Dataframe(interactive=False, wrap=True)
    facts = gr.Markdown()
    links = gr.Markdown()
    with gr.Row():
        phases_plot = gr.Plot()
        phases_table = gr.Dataframe(interactive=False, label="Per phase, over the repetitions")
    checks = gr.Markdown()

    def load_models(current: str | None):
        choices = detail.model_choices(data.results.table().frame)
        return gr.update(choices=choices, value=current if current in choices else (choices[0] if choices else None))

    def show_model(model_id: str | None, release_id: str):
        frame = data.results.table().frame
        if not model_id:
            return pd.DataFrame(), gr.update(choices=[], value=None)
        try:
            rated = data.view(release_id).frame
        except NotFound:
            rated = frame.iloc[0:0]
        shown = published(frame)
        rows = shown.loc[shown["model_id"] == model_id]
        choices = [(_result_label(row), row["id"]) for _, row in rows.iterrows()]
        return detail.model_results(frame, rated, model_id), gr.update(
            choices=choices, value=choices[0][1] if choices else None
        )

    def show_result(result_id: str | None, release_id: str):
        if not result_id:
            return "", "", plots.phase_breakdown(pd.DataFrame(columns=["repetition", "phase", "wh"])), None, ""
        try:
            result = data.results.get(result_id)
        except (NotFound, RecordError) as err:
            return f"⚠️ This result could not be read: {md_text(err)}", "", None, None, ""
        release_query = f"?release={quote(LATEST_QUERY if release_id == LATEST else release_id, safe='')}"
        if result.is_valid:
            label_links = (
                f"**Label** ({md_text(release_id)}): [PNG](/labels/{quote(result_id, safe='')}.png{release_query}) · "
                f"[SVG](/labels/{quote(result_id, safe='')}.svg{release_query})"
            )
        else:
            label_links = "**No label:** this measurement failed its validity checks (below)."
        gpu = detail.per_phase(result)
        component = result.score_component
        return (
            detail.result_facts(result),
            label_links,
            plots.phase_breakdown(gpu.loc[gpu["component"] == component]),
            detail.phase_summary(result),
            detail.checks_markdown(result),
        )

    tab.select(load_models, model, model)
    # The stars and label links follow the release chosen on the Leaderboard tab.
    gr.on([model.change, controls.release.change], show_model, [model, controls.release], [tasks_table, result_choice])
    gr.on(
        [result_choice.change, controls.release.change],
        show_result,
        [result_choice, controls.release],
        [facts, links, phases_plot, phases_table, checks],
    )


def compare_figure(rated: pd.DataFrame, results: pd.DataFrame, models: list[str]) -> go.Figure:
    rows = detail.compared_rows(rated, results, models)
    latest = rows.loc[rows["valid"]]
    figure = go.Figure(layout=dict(template="plotly_white", barmode="group", height=380, title="Energy by task"))
    for model in models:
        rows = latest.loc[latest["model_id"] == model]
        figure.add_trace(
            go.Bar(x=[TASKS[TaskId(t)].display_name for t in rows["task"]], y=rows["score_wh"], name=model)
        )
    figure.update_yaxes(type="log", title="Wh / 1,000 queries (log)")
    return figure


NO_COMPARISON = pd.DataFrame({"Task": []})  # headers, not gradio's placeholder "1 2 3", before a choice


def build_compare(tab: gr.Tab, data: LeaderboardData, controls: Controls) -> None:
    gr.Markdown(f"Pick two to {MAX_COMPARED} models to see them side by side, task by task.")
    models = gr.Dropdown([], value=[], multiselect=True, max_choices=MAX_COMPARED, label="Models")
    message = gr.Markdown()
    table = gr.Dataframe(NO_COMPARISON, interactive=False, wrap=True)
    figure = gr.Plot()

    def load_models():
        return gr.update(choices=detail.model_choices(data.results.table().frame))

    def show(chosen: list[str] | None, release_id: str):
        chosen = chosen or []
        if len(chosen) < 2:
            return "Choose at least two models.", NO_COMPARISON, None
        frame = data.results.table().frame
        try:
            rated = data.view(release_id).frame
        except NotFound:
            rated = frame.iloc[0:0]
        note = f"Stars from **{md_text(release_id)}** (choose the release on the Leaderboard tab)."
        return note, detail.compare(rated, frame, chosen), compare_figure(rated, frame, chosen)

    tab.select(load_models, None, models)
    gr.on([models.change, controls.release.change], show, [models, controls.release], [message, table, figure])
