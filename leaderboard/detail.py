"""One model up close (every task, the per-phase breakdown, spread, checks) and models side by side."""

from __future__ import annotations

import pandas as pd

from core.catalog import TASKS, TaskId
from core.markup import md_code, md_message, md_text, one_line
from core.models import REFERENCE_GPU, Result
from leaderboard.tables import published, rating_text, significant


def model_choices(results: pd.DataFrame) -> list[str]:
    """Every model with a published result (a vendor's result waits for its review)."""
    return sorted(published(results)["model_id"].unique())


def model_results(results: pd.DataFrame, rated: pd.DataFrame, model_id: str) -> pd.DataFrame:
    """Every result of one model, with its stars where the chosen release rated it."""
    rows = published(results)
    rows = rows.loc[rows["model_id"] == model_id].sort_values(["task", "measured_at"])
    by_id = rated.set_index("id") if len(rated) else None

    def rating(result_id: str) -> str:
        if by_id is None or result_id not in by_id.index:
            return "not rated"
        return rating_text(int(by_id.at[result_id, "stars"]), bool(by_id.at[result_id, "rateable_population"]))

    return pd.DataFrame(
        {
            "Result": rows["id"].to_numpy(),
            "Task": [TASKS[TaskId(t)].display_name for t in rows["task"]],
            "Energy (Wh / 1k queries)": [significant(v) for v in rows["score_wh"]],
            "Stars": [rating(i) for i in rows["id"]],
            "Class": rows["size_class"].fillna("—").to_numpy(),
            "Hardware": [one_line(hardware) for hardware in rows["hardware"]],
            "Measured": rows["measured_at"].dt.strftime("%Y-%m-%d").to_numpy(),
            "Valid": [
                "yes" if v else one_line(f"no: {why}")
                for v, why in zip(rows["valid"], rows["failed_checks"], strict=True)
            ],
        }
    )


def per_phase(result: Result) -> pd.DataFrame:
    """Long table of every repetition × phase × component. Units: Wh per 1,000 queries."""
    scale = 1000.0 * 1000.0 / result.settings.samples
    records = [
        {
            "repetition": index + 1,
            "phase": phase.value,
            "component": component,
            "wh": getattr(m, f"{component}_kwh") * scale,
        }
        for index, repetition in enumerate(result.repetitions)
        for phase, m in repetition.phases.items()
        for component in ("gpu", "cpu", "ram")
    ]
    return pd.DataFrame(records, columns=["repetition", "phase", "component", "wh"])


def phase_summary(result: Result) -> pd.DataFrame:
    """Mean and spread of each phase's energy over the repetitions, with how each component was obtained."""
    long = per_phase(result)
    methods = result.energy_methods
    summary = long.groupby(["phase", "component"], sort=False)["wh"].agg(["mean", "std", "min", "max"]).reset_index()
    return pd.DataFrame(
        {
            "Phase": summary["phase"],
            "Component": [f"{c.upper()} ({getattr(methods, c).value})" for c in summary["component"]],
            "Mean (Wh / 1k)": [significant(v) for v in summary["mean"]],
            "Std": [significant(v, 3) if pd.notna(v) else None for v in summary["std"]],
            "Min": [significant(v) for v in summary["min"]],
            "Max": [significant(v) for v in summary["max"]],
        }
    )


def checks_markdown(result: Result) -> str:
    if not result.checks:
        return "No validity checks were recorded for this result."
    lines = [
        f"- {'✔ passed' if c.passed else '✘ failed'}: **{md_text(c.name)}**"
        + (f": {md_message(c.detail)}" if c.detail else "")
        for c in result.checks
    ]
    return "**Validity checks**\n" + "\n".join(lines)


def result_facts(result: Result) -> str:
    """A short markdown summary of how the result was obtained; every stored text in it is shown literally."""
    cv = f"{result.score_cv * 100:.2f} %" if result.score_cv is not None else "n/a (one repetition)"
    software = ", ".join(f"{md_text(name)} {md_text(version)}" for name, version in sorted(result.software.items()))
    settings, hardware = result.settings, result.hardware
    dataset = md_text(settings.dataset) + (
        f" (revision {md_code(settings.dataset_revision)})" if settings.dataset_revision else ""
    )
    return "\n".join(
        [
            f"**{md_text(result.model_id)}** on **{TASKS[result.task].display_name}**"
            + (f" (class {result.size_class})" if result.size_class else ""),
            f"- Score: **{significant(result.score_wh):g} Wh** per 1,000 queries "
            f"({result.score_component.upper()} energy, mean of {len(result.repetitions)} repetitions; "
            f"coefficient of variation {cv}; full precision in the downloads)",
            f"- Hardware: {hardware.gpu_count} × {md_text(hardware.gpu_name)}"
            + (f", driver {md_text(hardware.driver)}" if hardware.driver else "")
            + (f", CUDA {md_text(hardware.cuda)}" if hardware.cuda else ""),
            f"- Settings: {settings.samples} samples of {dataset}, batch size {settings.batch_size}, "
            f"{settings.precision.value}, {settings.warmup_runs} warm-up runs"
            + (", random weights" if settings.random_weights else ""),
            f"- Software: {software}" if software else "- Software: not recorded",
            f"- Source: {result.source.value}"
            + (f", review {result.review.value}" if result.source.value == "vendor" else ""),
        ]
    )


def compared_rows(rated: pd.DataFrame, results: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """One row per model and task: the result the release rated (on the reference hardware when it rated
    several), else the model's latest result for that task, unrated. A later failed or CPU run therefore
    never hides a rating. The rows carry `stars` (NaN when unrated)."""
    chosen_rated = rated.loc[rated["model_id"].isin(models)] if len(rated) else rated
    if len(chosen_rated):
        chosen_rated = chosen_rated.assign(_reference=chosen_rated["hardware"] == REFERENCE_GPU)
        chosen_rated = chosen_rated.sort_values(["_reference", "measured_at"]).drop(columns="_reference")
        chosen_rated = chosen_rated.drop_duplicates(["model_id", "task"], keep="last")
    unrated = published(results)
    unrated = unrated.loc[unrated["model_id"].isin(models)].sort_values("measured_at")
    unrated = unrated.drop_duplicates(["model_id", "task"], keep="last").assign(stars=float("nan"))
    if len(chosen_rated):
        taken = pd.MultiIndex.from_frame(chosen_rated[["model_id", "task"]])
        unrated = unrated.loc[~pd.MultiIndex.from_frame(unrated[["model_id", "task"]]).isin(taken)]
        return pd.concat([chosen_rated, unrated], ignore_index=True)
    return unrated.reset_index(drop=True)


def compare(rated: pd.DataFrame, results: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Tasks as rows, the chosen models as columns: each cell a model's energy and stars for that task."""
    rows = compared_rows(rated, results, models)
    table = pd.DataFrame({"Task": [task.display_name for task in TASKS.values()]}, index=[t.value for t in TASKS])
    for model in models:
        cells = {}
        for _, row in rows.loc[rows["model_id"] == model].iterrows():
            if pd.notna(row["stars"]):
                rating = rating_text(int(row["stars"]), bool(row["rateable_population"]))
            else:
                rating = _why_unrated(row)
            hardware = "" if row["hardware"] == REFERENCE_GPU else f" ({one_line(row['hardware'])})"
            cells[row["task"]] = f"{significant(row['score_wh']):g} Wh · {rating}{hardware}"
        table[model] = [cells.get(task, "—") for task in table.index]
    return table.loc[(table[models] != "—").any(axis=1)].reset_index(drop=True) if models else table.iloc[0:0]


def _why_unrated(row: pd.Series) -> str:
    """Vendor results under review never get here: compared_rows shows published results only."""
    return "not rated: failed checks" if not row["valid"] else "not rated in this release"
