"""The leaderboard's data shaping: views per release, filters, display rounding, callouts and bands."""

import pytest

from core.catalog import SizeClass, TaskId
from core.models import Hardware, Source
from core.releases import cut_release
from core.repos import ResultsRepo
from core.store.local import LocalStore
from leaderboard.tables import (
    ALL_CLASSES,
    ALL_HARDWARE,
    ALWAYS_SHOWN,
    LATEST,
    REFERENCE_HARDWARE,
    LeaderboardData,
    band_summary,
    display_table,
    energy_bar,
    hardware_choices,
    rating_text,
    select_rows,
    shown_score,
    significant,
    spread_callout,
)
from tests.factories import later, make_result

A100 = Hardware(gpu_name="NVIDIA A100-SXM4-80GB", gpu_count=1)


@pytest.fixture
def data(tmp_path):
    repo = ResultsRepo(LocalStore(tmp_path / "results"))
    repo.add(
        make_result(result_id="c1", model_id="org/alpha", score_wh=0.1),
        make_result(result_id="c2", model_id="org/beta", score_wh=0.5),
        make_result(result_id="c3", model_id="other/gamma", score_wh=1.0),
        make_result(result_id="a1", model_id="org/alpha", hardware=A100, score_wh=0.3),
        make_result(result_id="g1", model_id="org/small", task=TaskId.TEXT_GENERATION, score_wh=2.0),
        make_result(result_id="g2", model_id="org/small2", task=TaskId.TEXT_GENERATION, score_wh=4.0),
        make_result(
            result_id="g3", model_id="org/big", task=TaskId.TEXT_GENERATION, size_class=SizeClass.B, score_wh=40.0
        ),
    )
    return LeaderboardData(repo)


def test_views_follow_the_release(data):
    cut_release(data.results, "2026-11", cut_at=later(10))
    data.results.add(make_result(result_id="c4", model_id="org/delta", score_wh=0.05, measured_at=later(20)))
    assert data.release_choices() == [LATEST, "2026-11"]
    latest = data.view(LATEST).frame
    frozen = data.view("2026-11").frame
    assert "c4" in set(latest["id"]) and "c4" not in set(frozen["id"])
    assert frozen.set_index("id").loc["c1", "stars"] == 5


def test_view_is_recomputed_when_the_head_moves(data):
    first = data.view(LATEST)
    assert data.view(LATEST) is first
    data.results.add(make_result(result_id="c9", model_id="org/new", score_wh=0.2))
    assert "c9" in set(data.view(LATEST).frame["id"])


def test_filters(data):
    frame = data.view(LATEST).frame
    classification = TaskId.TEXT_CLASSIFICATION.value
    reference = select_rows(frame, task=classification)
    assert reference["model_id"].tolist() == ["org/alpha", "org/beta", "other/gamma"]  # lowest energy first
    assert select_rows(frame, task=classification, hardware=ALL_HARDWARE)["id"].tolist() == ["c1", "a1", "c2", "c3"]
    assert select_rows(frame, task=classification, hardware=A100.gpu_name)["id"].tolist() == ["a1"]
    assert select_rows(frame, task=classification, search="  ALPHA ")["id"].tolist() == ["c1"]
    assert select_rows(frame, task=classification, search="zzz").empty
    assert select_rows(frame, task=classification, search="[(*")["id"].tolist() == []  # not a regex
    text_gen = TaskId.TEXT_GENERATION.value
    assert select_rows(frame, task=text_gen, size_class="B")["id"].tolist() == ["g3"]
    assert select_rows(frame, task=text_gen, size_class=ALL_CLASSES)["id"].tolist() == ["g1", "g2", "g3"]
    assert hardware_choices(frame) == [REFERENCE_HARDWARE, A100.gpu_name, ALL_HARDWARE]


def test_classes_are_rated_apart_in_the_view(data):
    rows = select_rows(data.view(LATEST).frame, task=TaskId.TEXT_GENERATION.value).set_index("id")
    assert rows.loc["g1", "stars"] == 5 and rows.loc["g2", "stars"] == 1  # class A: 2.0 and 4.0
    assert rows.loc["g3", "stars"] == 3  # alone in class B: not enough models to rate
    summary = band_summary(rows.reset_index())
    assert "class B: not enough models to rate" in summary
    assert "class A: 2 ≤ 5★ ≤ 2.4 < 4★ ≤ 2.8 < 3★ ≤ 3.2 < 2★ ≤ 3.6 < 1★ ≤ 4 Wh" in summary


def test_display_table_rounds_for_display_only_and_links(data):
    rows = select_rows(data.view(LATEST).frame, task=TaskId.TEXT_CLASSIFICATION.value)
    table = display_table(rows, release_id="2026-11")
    assert table.columns[:3].tolist() == ALWAYS_SHOWN
    assert table["Model"].iloc[0] == "[org/alpha](https://huggingface.co/org/alpha)"
    assert table["Stars"].tolist() == ["★★★★★", "★★★☆☆", "★☆☆☆☆"]
    assert table["Label"].iloc[0] == "[PNG](/labels/c1.png?release=2026-11)"
    assert table["Relative energy"].iloc[-1] == "█" * 12  # the highest fills the bar
    assert rows["score_wh"].iloc[0] == pytest.approx(0.1)
    chosen = display_table(rows, release_id=LATEST, columns=["CPU energy (Wh / 1k)", "CV (%)"])
    assert chosen.columns.tolist() == [*ALWAYS_SHOWN, "CV (%)", "CPU energy (Wh / 1k)"]
    assert chosen["CPU energy (Wh / 1k)"].iloc[0] == "0.025 (estimated)"


def test_vendor_models_are_marked_and_not_linked_to_the_hub():
    rows = ResultsRepo.frame_of(
        [
            make_result(result_id="v", model_id="acme/secret", source=Source.VENDOR),
            make_result(result_id="o", model_id="org/open", score_wh=2.0),
        ]
    ).assign(stars=[5, 1], band_edges_wh=[(1.0, 1.2, 1.4, 1.6, 1.8, 2.0)] * 2, rateable_population=True)
    assert display_table(rows, release_id=LATEST)["Model"].tolist() == [
        "acme/secret (vendor-measured)",
        "[org/open](https://huggingface.co/org/open)",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.000123456, 0.0001235), (1.23456, 1.235), (123456.0, 123500.0), (0.0, 0.0), (-2.34567, -2.346)],
)
def test_significant(value, expected):
    assert significant(value) == pytest.approx(expected, rel=1e-12)


def test_energy_bar_widths():
    assert energy_bar(0) == ""
    assert energy_bar(1) == "█" * 12
    assert energy_bar(0.5) == "█" * 6
    assert energy_bar(1 / 96) == "▏"
    assert energy_bar(7) == "█" * 12  # clamped


def test_spread_callout(data):
    rows = select_rows(data.view(LATEST).frame, task=TaskId.TEXT_CLASSIFICATION.value)
    assert spread_callout(rows) == "**10× difference** between the highest and the lowest energy shown (3 results)."
    assert spread_callout(rows.iloc[:1]) == ""


def test_unknown_release_is_not_found(data):
    from core.store import NotFound

    with pytest.raises(NotFound, match="no release"):
        data.view("1999-01")


def test_a_score_next_to_a_band_edge_is_shown_with_the_digits_that_tell_them_apart():
    edges = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0)
    assert shown_score(1.80001, edges) == 1.80001  # 4 stars; "1.8" would read as the 5-star edge
    assert shown_score(1.8, edges) == 1.8
    assert shown_score(1.234567, edges) == 1.235
    assert shown_score(1.234567, None) == 1.235


def test_unrateable_populations_are_flagged_and_small_spreads_keep_their_decimals():
    assert rating_text(3, rateable_population=False) == "★★★☆☆ (not enough models to rate)"
    assert rating_text(4, rateable_population=True) == "★★★★☆"
    rows = ResultsRepo.frame_of(
        [
            make_result(result_id="a", model_id="o/a", score_wh=1.0),
            make_result(result_id="b", model_id="o/b", score_wh=1.4),
        ]
    )
    assert spread_callout(rows).startswith("**1.4× difference**")


def test_label_links_name_the_view_they_come_from():
    rows = ResultsRepo.frame_of([make_result(result_id="a", model_id="o/a")]).assign(
        stars=[3], band_edges_wh=[None], rateable_population=[False]
    )
    assert display_table(rows, release_id=LATEST)["Label"].tolist() == ["[PNG](/labels/a.png?release=latest)"]
    assert display_table(rows, release_id="2026-11")["Label"].tolist() == ["[PNG](/labels/a.png?release=2026-11)"]


def test_the_hardware_column_shows_how_many_gpus_a_run_took(tmp_path):
    repo = ResultsRepo(LocalStore(tmp_path / "results"))
    five = Hardware(gpu_name="NVIDIA H100 80GB HBM3", gpu_count=5)
    repo.add(
        make_result(result_id="one", model_id="org/small", task=TaskId.TEXT_GENERATION, score_wh=2.0),
        make_result(
            result_id="five",
            model_id="org/big",
            task=TaskId.TEXT_GENERATION,
            size_class=SizeClass.C,
            hardware=five,
            score_wh=90.0,
        ),
    )
    rows = select_rows(LeaderboardData(repo).view(LATEST).frame, task=TaskId.TEXT_GENERATION.value)
    assert display_table(rows, release_id=LATEST)["Hardware"].tolist() == [
        "NVIDIA H100 80GB HBM3",
        "5 × NVIDIA H100 80GB HBM3",
    ]
