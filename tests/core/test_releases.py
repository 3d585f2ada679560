"""Releases end to end on both stores: who is rated with whom, freezing, re-rating without re-measuring."""

from datetime import timedelta

import pytest

from core.catalog import SizeClass, TaskId
from core.models import Hardware, ReviewStatus, Source, ValidityCheck
from core.releases import build_release, cut_release, eligible, rated_results
from core.repos import DuplicateRecord, ResultsRepo
from core.store import NotFound
from tests.factories import T0, later, make_result

A100 = Hardware(gpu_name="NVIDIA A100-SXM4-80GB", gpu_count=1)
CPU = Hardware(gpu_name="CPU", gpu_count=0)


def _stars(repo, release_id):
    return repo.release(release_id).stars


def test_cut_release_rates_and_freezes(store):
    repo = ResultsRepo(store)
    repo.add(
        *[make_result(result_id=f"r{n}", model_id=f"org/m{n}", score_wh=s) for n, s in enumerate([1, 2, 3, 4, 5, 6])]
    )
    made = cut_release(repo, "2026-11", cut_at=later(60))
    assert made.stars == {"r0": 5, "r1": 5, "r2": 4, "r3": 3, "r4": 2, "r5": 1}
    assert repo.release("2026-11") == made
    assert repo.release_ids() == ["2026-11"]
    (population,) = made.populations
    assert population.band_edges_wh == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    with pytest.raises(DuplicateRecord, match="frozen"):
        cut_release(repo, "2026-11", cut_at=later(120))


def test_result_added_after_a_release_enters_only_the_next(store):
    repo = ResultsRepo(store)
    repo.add(
        make_result(result_id="a", model_id="org/a", score_wh=1.0),
        make_result(result_id="b", model_id="org/b", score_wh=2.0),
    )
    cut_release(repo, "2026-05", cut_at=later(10))
    head_before = store.list("records")
    repo.add(make_result(result_id="c", model_id="org/c", score_wh=0.5, measured_at=later(20)))
    cut_release(repo, "2026-11", cut_at=later(30))
    assert _stars(repo, "2026-05") == {"a": 5, "b": 1}  # earlier release unchanged and readable
    assert _stars(repo, "2026-11") == {"c": 5, "a": 4, "b": 1}  # re-rated: a moved from 5 to 4 stars
    assert store.list("records") == sorted([*head_before, "records/org/c/text_classification/c.json"])


def test_a_release_cut_in_the_past_ignores_later_measurements(store):
    repo = ResultsRepo(store)
    repo.add(
        make_result(result_id="old", score_wh=1.0),
        make_result(result_id="new", model_id="org/n", measured_at=later(50)),
    )
    assert cut_release(repo, "early", cut_at=later(10)).stars == {"old": 3}


def test_unknown_release_lists_the_known_ones(store):
    repo = ResultsRepo(store)
    cut_release(repo, "2026-11", cut_at=T0)
    with pytest.raises(NotFound, match=r"'1999-01'.*2026-11"):
        repo.release("1999-01")


def test_bad_release_id_is_rejected_and_nothing_written(store):
    repo = ResultsRepo(store)
    head = store.head()
    with pytest.raises(ValueError, match="id"):
        cut_release(repo, "../evil", cut_at=T0)
    with pytest.raises(ValueError, match="reserved for the live rating"):
        cut_release(repo, "Latest", cut_at=T0)
    assert store.head() == head


def _frame(*results):
    return ResultsRepo.frame_of(results)


def test_populations_keep_classes_hardware_and_cpu_apart():
    frame = _frame(
        make_result(result_id="ga", model_id="o/ga", task=TaskId.TEXT_GENERATION, size_class=SizeClass.A, score_wh=1),
        make_result(result_id="ga2", model_id="o/ga2", task=TaskId.TEXT_GENERATION, size_class=SizeClass.A, score_wh=3),
        make_result(result_id="gb", model_id="o/gb", task=TaskId.TEXT_GENERATION, size_class=SizeClass.B, score_wh=30),
        make_result(result_id="x", model_id="o/x", hardware=A100, score_wh=0.1),
        make_result(result_id="y", model_id="o/y", score_wh=0.2),
        make_result(result_id="cpu", model_id="o/cpu", hardware=CPU, score_wh=50),
    )
    release = build_release("r", frame, cut_at=later(1))
    labels = sorted(p.key.label() for p in release.populations)
    assert labels == [
        "Binary Text Classification / CPU",
        "Binary Text Classification / NVIDIA A100-SXM4-80GB",
        "Binary Text Classification / NVIDIA H100 80GB HBM3",
        "Text Generation / NVIDIA H100 80GB HBM3 / class A",
        "Text Generation / NVIDIA H100 80GB HBM3 / class B",
    ]
    assert release.stars == {"ga": 5, "ga2": 1, "gb": 3, "x": 3, "y": 3, "cpu": 3}
    rated = rated_results(frame, release).set_index("id")
    assert not rated.loc["gb", "rateable_population"]
    assert rated.loc["ga", "band_edges_wh"] == (1.0, 1.4, 1.8, 2.2, 2.6, 3.0)
    assert rated.loc["ga2", "population"] == "Text Generation / NVIDIA H100 80GB HBM3 / class A"


def test_only_valid_approved_positive_results_are_rated():
    frame = _frame(
        make_result(result_id="ok", model_id="o/ok", score_wh=1),
        make_result(result_id="ok2", model_id="o/ok2", score_wh=2),
        make_result(result_id="gate", model_id="o/g", score_wh=0.5, checks=(ValidityCheck(name="cv", passed=False),)),
        make_result(result_id="pend", model_id="o/p", score_wh=0.5, source=Source.VENDOR, review=ReviewStatus.PENDING),
        make_result(result_id="rej", model_id="o/r", score_wh=0.5, source=Source.VENDOR, review=ReviewStatus.REJECTED),
        make_result(result_id="zero", model_id="o/z", score_wh=0.0),
        make_result(result_id="vend", model_id="o/v", score_wh=1.5, source=Source.VENDOR),
    )
    assert build_release("r", frame, cut_at=later(1)).stars == {"ok": 5, "ok2": 1, "vend": 3}


def test_a_rerun_replaces_the_earlier_measurement_of_the_same_model():
    frame = _frame(
        make_result(result_id="first", model_id="o/m", score_wh=9.0, measured_at=T0),
        make_result(result_id="rerun", model_id="o/m", score_wh=2.0, measured_at=T0 + timedelta(days=1)),
        make_result(result_id="other", model_id="o/n", score_wh=4.0),
    )
    assert eligible(frame, as_of=later(10_000))["result_id"].tolist() == ["other", "rerun"]


def test_releases_are_listed_by_cut_time_not_by_name(store):
    """ "2026-11" sorts before "2026-5" as text; the newest release must still come last (labels default to it)."""
    repo = ResultsRepo(store)
    repo.add(make_result(result_id="a", model_id="org/a", score_wh=1.0))
    cut_release(repo, "2026-5", cut_at=later(60))
    cut_release(repo, "2026-11", cut_at=later(120))
    cut_release(repo, "v9", cut_at=later(180))
    cut_release(repo, "v10", cut_at=later(240))
    assert ResultsRepo(store).release_ids() == ["2026-5", "2026-11", "v9", "v10"]
