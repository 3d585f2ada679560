"""Plotly figures of one task's shown rows: energy on a log axis with the star bands, energy against size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

STAR_COLORS = {5: "#3fa45b", 4: "#8cc152", 3: "#f6bb42", 2: "#f0883c", 1: "#d9534f"}
_LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=50), height=360, legend_title_text="Stars")


_SCORED_ENERGY = {frozenset({"gpu"}): "GPU energy", frozenset({"cpu"}): "CPU energy"}  # what each run is scored on


def _empty(title: str) -> go.Figure:
    figure = go.Figure(layout=dict(_LAYOUT, title=title))
    figure.add_annotation(text="No results to plot", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def _star_traces(figure: go.Figure, rows: pd.DataFrame, x, y, hovertemplate: str) -> None:
    """One scatter trace per star rating, most stars first; `x` and `y` map the rows to coordinates."""
    for stars in sorted(STAR_COLORS, reverse=True):
        group = rows.loc[rows["stars"] == stars]
        if group.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=x(group),
                y=y(group),
                mode="markers",
                name=f"{stars}★",
                marker=dict(color=STAR_COLORS[stars], size=11, opacity=0.85, line=dict(width=1, color="white")),
                text=group["model_id"],
                hovertemplate=hovertemplate,
            )
        )


def energy_by_stars(rows: pd.DataFrame) -> go.Figure:
    """Every model's energy on a log axis, one line per star rating, with the band edges drawn."""
    title = "Energy per model (Wh / 1,000 queries, log scale)"
    positive = rows.loc[rows["score_wh"] > 0]
    if positive.empty:
        return _empty(title)
    figure = go.Figure(layout=dict(_LAYOUT, title=title))
    _star_traces(
        figure,
        positive,
        x=lambda group: group["score_wh"],
        y=lambda group: [f"{group['stars'].iloc[0]}★"] * len(group),
        hovertemplate="%{text}<br>%{x:.4g} Wh<extra></extra>",
    )
    if positive["population"].nunique() == 1:  # band edges only make sense within one population
        edges = positive["band_edges_wh"].iloc[0]
        for edge in edges[1:5] if edges is not None else ():
            figure.add_vline(x=edge, line=dict(color="#999", dash="dot", width=1))
    scored = _SCORED_ENERGY.get(frozenset(positive["score_component"]), "Energy (GPU; CPU-only runs: CPU)")
    figure.update_xaxes(type="log", tickformat=".3~g", title=f"{scored} (Wh / 1,000 queries)")
    figure.update_yaxes(categoryorder="array", categoryarray=[f"{s}★" for s in range(1, 6)], title=None)
    return figure


def energy_vs_parameters(rows: pd.DataFrame) -> go.Figure:
    """Energy against parameter count, both on log axes, for the models whose size is known."""
    title = "Energy against model size"
    known = rows.loc[rows["parameters"].notna() & (rows["score_wh"] > 0)]
    if known.empty:
        return _empty(title)
    figure = go.Figure(layout=dict(_LAYOUT, title=title))
    _star_traces(
        figure,
        known,
        x=lambda group: group["parameters"].to_numpy(dtype=float) / 1e9,
        y=lambda group: group["score_wh"],
        hovertemplate="%{text}<br>%{x:.3g} B parameters<br>%{y:.4g} Wh<extra></extra>",
    )
    figure.update_xaxes(type="log", tickformat=".3~g", title="Parameters (billions)")
    figure.update_yaxes(type="log", tickformat=".3~g", title="Wh / 1,000 queries")
    return figure


def phase_breakdown(per_phase: pd.DataFrame) -> go.Figure:
    """Per-phase energy of every repetition (columns: repetition, phase, component, wh)."""
    title = "Energy per phase and repetition (Wh / 1,000 queries)"
    if per_phase.empty:
        return _empty(title)
    figure = go.Figure(layout=dict(_LAYOUT, title=title, barmode="stack", legend_title_text="Phase"))
    for phase, group in per_phase.groupby("phase", sort=False):
        figure.add_trace(go.Bar(x=group["repetition"], y=group["wh"], name=str(phase)))
    figure.update_xaxes(title="Repetition", tickmode="array", tickvals=np.unique(per_phase["repetition"]))
    figure.update_yaxes(title="Wh / 1,000 queries")
    return figure
