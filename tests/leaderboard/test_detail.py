"""Model detail and compare: every task of a model, the per-phase breakdown, side by side."""

import pytest

from core.catalog import TaskId
from core.models import ValidityCheck
from core.releases import build_release, rated_results
from core.repos import ResultsRepo
from leaderboard.detail import checks_markdown, compare, model_results, per_phase, phase_summary, result_facts
from tests.factories import later, make_result

RESULTS = [
    make_result(result_id="a-tc", model_id="org/a", score_wh=1.0),
    make_result(result_id="b-tc", model_id="org/b", score_wh=3.0),
    make_result(result_id="a-ic", model_id="org/a", task=TaskId.IMAGE_CLASSIFICATION, score_wh=2.0),
    make_result(
        result_id="a-bad",
        model_id="org/a",
        task=TaskId.SUMMARIZATION,
        checks=(ValidityCheck(name="cv", passed=False, detail="cv 31 %"),),
    ),
]


@pytest.fixture
def frames():
    results = ResultsRepo.frame_of(RESULTS)
    return results, rated_results(results, build_release("r", results, cut_at=later(1)))


def test_model_results_lists_every_task_with_stars_or_why_not(frames):
    results, rated = frames
    table = model_results(results, rated, "org/a").set_index("Result")
    assert sorted(table.index) == ["a-bad", "a-ic", "a-tc"]
    assert table.loc["a-tc", "Stars"] == "★★★★★"
    assert table.loc["a-ic", "Stars"] == "★★★☆☆ (not enough models to rate)"  # alone in its population
    assert table.loc["a-bad", "Stars"] == "not rated"
    assert table.loc["a-bad", "Valid"] == "no: cv: cv 31 %"


def test_per_phase_keeps_every_repetition():
    result = make_result(task=TaskId.TEXT_GENERATION, score_wh=3.0, spread=0.3)
    long = per_phase(result)
    assert len(long) == 10 * 3 * 3  # repetitions × phases × components
    gpu = long.loc[long["component"] == "gpu"]
    assert gpu.groupby("repetition")["wh"].sum().tolist() == pytest.approx(list(result.energy_wh_per_1k("gpu")))
    summary = phase_summary(result)
    assert set(summary["Phase"]) == {"preprocess", "prefill", "decode"}
    assert "GPU (counter)" in set(summary["Component"]) and "RAM (estimate)" in set(summary["Component"])


def test_facts_and_checks_markdown():
    result = RESULTS[3]
    assert "✘ failed: **cv**: cv 31 %" in checks_markdown(result)
    facts = result_facts(RESULTS[0])
    assert "**1 Wh** per 1,000 queries" in facts and "10 repetitions" in facts and "NVIDIA H100 80GB HBM3" in facts


def test_compare_side_by_side(frames):
    results, rated = frames
    table = compare(rated, results, ["org/a", "org/b"])
    assert table.columns.tolist() == ["Task", "org/a", "org/b"]
    by_task = table.set_index("Task")
    assert by_task.loc["Binary Text Classification", "org/a"] == "1 Wh · ★★★★★"
    assert by_task.loc["Binary Text Classification", "org/b"] == "3 Wh · ★☆☆☆☆"
    assert by_task.loc["Image Classification", "org/b"] == "—"
    assert by_task.loc["Summarization", "org/a"] == "1 Wh · not rated: failed checks"


def test_compare_keeps_the_rating_when_a_later_run_failed_or_ran_elsewhere():
    """The release's rated result is compared; a later failed run, or a CPU run, does not hide it."""
    from core.models import CPU_HARDWARE, Hardware

    cpu = Hardware(gpu_name=CPU_HARDWARE, gpu_count=0)
    early = [
        make_result(result_id="a1", model_id="org/a", score_wh=1.0),
        make_result(result_id="b1", model_id="org/b", score_wh=5.0),
    ]
    after_cut = [
        make_result(
            result_id="a2",
            model_id="org/a",
            score_wh=0.2,
            measured_at=later(120),
            checks=(ValidityCheck(name="gpu_energy_positive", passed=False, detail="0 kWh"),),
        ),
        make_result(result_id="b2", model_id="org/b", score_wh=50.0, hardware=cpu, measured_at=later(120)),
        make_result(result_id="c1", model_id="org/c", score_wh=2.0, measured_at=later(120)),
    ]
    results = ResultsRepo.frame_of(early + after_cut)
    rated = rated_results(results, build_release("r", results, cut_at=later(60)))
    by_task = compare(rated, results, ["org/a", "org/b", "org/c"]).set_index("Task")
    row = by_task.loc["Binary Text Classification"]
    assert row["org/a"] == "1 Wh · ★★★★★"
    assert row["org/b"] == "5 Wh · ★☆☆☆☆"
    assert row["org/c"] == "2 Wh · not rated in this release"
