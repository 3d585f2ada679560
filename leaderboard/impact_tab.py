"""The Impact calculator tab: scale one result to a deployment's daily and yearly footprint."""

from __future__ import annotations

import gradio as gr

from core.catalog import TASKS, TaskId
from core.markup import md_code, md_text
from core.store import NotFound
from leaderboard.impact import GRID_PRESETS, REGION_FACTORS, ImpactError, equivalents, impact, parse_inputs
from leaderboard.tab import Controls
from leaderboard.tables import LATEST, LeaderboardData, significant

CUSTOM = "Custom (type it in)"


def impact_markdown(**values: object) -> str:
    """The calculator's answer, or a clear message for a bad input."""
    try:
        inputs = parse_inputs(**values)
        day, year = impact(inputs, days=1), impact(inputs, days=365)
    except ImpactError as err:
        return f"⚠️ **{md_text(err)}**"  # it quotes what was typed
    rows = [
        ("Server energy (IT)", "kWh", day.it_kwh, year.it_kwh),
        ("Facility energy (× PUE)", "kWh", day.facility_kwh, year.facility_kwh),
        ("Carbon emissions", "kg CO2e", day.co2e_kg, year.co2e_kg),
        ("Water", "L", day.water_l, year.water_l),
        ("Primary energy", "MJ", day.primary_energy_mj, year.primary_energy_mj),
        ("Abiotic depletion", "kg Sb eq", day.abiotic_depletion_kg_sb, year.abiotic_depletion_kg_sb),
    ]
    table = ["| | per day | per year |", "|---|---:|---:|"]
    table += [f"| {name} ({unit}) | {significant(d, 3):,g} | {significant(y, 3):,g} |" for name, unit, d, y in rows]
    daily = equivalents(day.facility_kwh)
    equal = "; ".join(f"{what}: {amount}" for what, amount in daily.items())
    return "\n".join(
        [*table, "", f"**Every day, that is about** {equal}.", "", "_Estimates built on the measured GPU energy._"]
    )


def grid_named(intensity: float | None) -> str:
    """The preset a typed carbon intensity matches, or Custom: the Grid menu never names a grid not used."""
    return next((name for name, value in GRID_PRESETS.items() if value == intensity), CUSTOM)


def build(tab: gr.Tab, data: LeaderboardData, controls: Controls) -> None:
    gr.Markdown("Pick a result and describe the deployment: how many queries a day, in what data centre, on what grid.")
    result = gr.Dropdown([], label="Result (model · task · energy)")
    with gr.Row():
        queries = gr.Number(value=1_000_000, label="Queries per day")  # checked by parse_inputs, with a message
        basis = gr.Radio(["rule of thumb", "measured components"], value="rule of thumb", label="Server energy")
        pue = gr.Number(value=1.2, label="PUE (1.0 is ideal)")
    with gr.Row():
        grid = gr.Dropdown([*GRID_PRESETS, CUSTOM], value="World average", label="Grid")
        intensity = gr.Number(value=GRID_PRESETS["World average"], label="Grid carbon intensity (g CO2e / kWh)")
        wue = gr.Number(value=1.8, label="WUE (L / kWh of IT energy)")
        region = gr.Dropdown(list(REGION_FACTORS), value="World", label="Region (ADEME factors)")
    answer = gr.Markdown()

    def load_results(release_id: str):
        try:
            frame = data.view(release_id).frame
        except NotFound:
            frame = data.view(LATEST).frame
        frame = frame.loc[frame["score_component"] == "gpu"]  # CPU-only runs have no GPU energy to scale
        choices = [
            (f"{row.model_id} · {TASKS[TaskId(row.task)].display_name} · {significant(row.score_wh):g} Wh", row.id)
            for row in frame.sort_values(["task", "score_wh"]).itertuples()
        ]
        return gr.update(choices=choices, value=choices[0][1] if choices else None)

    def preset(name: str, current: float | None):
        return GRID_PRESETS.get(name, current)

    def calculate(result_id, queries_per_day, server_basis, pue_value, intensity_value, wue_value, region_name):
        if not result_id:
            return "Choose a result first (the leaderboard has none yet)."
        frame = data.results.table().frame
        row = frame.loc[frame["id"] == result_id]
        if row.empty:
            return f"⚠️ **Result {md_code(result_id)} is no longer in the store.**"
        row = row.iloc[0]
        return impact_markdown(
            gpu_wh_per_1k=float(row["gpu_wh"]),
            cpu_wh_per_1k=float(row["cpu_wh"]),
            ram_wh_per_1k=float(row["ram_wh"]),
            server_basis=server_basis,
            queries_per_day=queries_per_day,
            pue=pue_value,
            grid_g_per_kwh=intensity_value,
            wue_l_per_kwh=wue_value,
            region=region_name,
        )

    inputs = [result, queries, basis, pue, intensity, wue, region]
    tab.select(load_results, controls.release, result)
    grid.input(preset, [grid, intensity], intensity)
    intensity.input(grid_named, intensity, grid)
    gr.on([c.change for c in inputs], calculate, inputs, answer)
