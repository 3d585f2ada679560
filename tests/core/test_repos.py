"""Records and their index, on both backends."""

import json
import threading

import pytest

from core.models import RequestStatus
from core.repos import DuplicateRecord, RequestsRepo, ResultsRepo, StaleRecord, new_record_id
from core.store import NotFound, Put
from tests.factories import T0, later, make_request, make_result


def test_added_results_are_in_the_index_with_derived_figures(store):
    repo = ResultsRepo(store)
    assert repo.table().frame.empty
    repo.add(make_result(result_id="r1", score_wh=2.0, spread=0.1), make_result(result_id="r2", model_id="m2"))
    frame = repo.table().frame.set_index("id")
    assert sorted(frame.index) == ["r1", "r2"]
    assert frame.loc["r1", "score_wh"] == pytest.approx(2.0)
    assert frame.loc["r1", "score_cv"] == pytest.approx(make_result(score_wh=2.0, spread=0.1).score_cv)
    assert frame.loc["r1", "path"] == "records/org/model/text_classification/r1.json"
    assert frame.loc["r2", "provider"] == ""
    assert bool(frame.loc["r1", "rateable"])
    assert repo.get("r1") == make_result(result_id="r1", score_wh=2.0, spread=0.1)


def test_index_matches_a_rebuild_from_the_records(store):
    repo = ResultsRepo(store)
    for n in range(3):
        repo.add(make_result(result_id=f"r{n}", score_wh=1.0 + n))
    incremental = repo.table().frame
    assert repo.rebuild_index() == []
    rebuilt = repo.table().frame
    cols = list(ResultsRepo.columns)
    assert (
        incremental.sort_values("id")[cols]
        .reset_index(drop=True)
        .equals(rebuilt.sort_values("id")[cols].reset_index(drop=True))
    )


def test_duplicate_id_is_refused_and_nothing_changes(store):
    repo = ResultsRepo(store)
    repo.add(make_result(result_id="r1", score_wh=1.0))
    head = store.head()
    with pytest.raises(DuplicateRecord, match="r1"):
        repo.add(make_result(result_id="r9", score_wh=5.0), make_result(result_id="r1", score_wh=5.0))
    assert store.head() == head
    assert repo.get("r1").score_wh == pytest.approx(1.0)
    with pytest.raises(NotFound):
        repo.get("r9")


def test_unknown_id_is_not_found(store):
    with pytest.raises(NotFound, match="nope"):
        ResultsRepo(store).get("nope")


def test_one_bad_record_never_breaks_reading_the_others(store):
    repo = ResultsRepo(store)
    repo.add(make_result(result_id="good1"), make_result(result_id="good2", model_id="org/other"))
    broken = make_result(result_id="bad").model_dump(mode="json")
    broken["repetitions"][0]["phases"]["forward"]["gpu_kwh"] = float("nan")

    store.commit(
        [
            Put("records/org/x/text_classification/bad.json", json.dumps(broken).encode()),
            Put("records/org/y/text_classification/garbage.json", b"\x00not json"),
        ],
        parent=store.head(),
        message="hand edit",
    )
    problems = repo.rebuild_index()
    assert len(problems) == 2
    assert any("bad.json" in p and "gpu_kwh" in p for p in problems)
    assert any("garbage.json" in p for p in problems)
    assert sorted(repo.table().frame["id"]) == ["good1", "good2"]


def test_corrupt_index_rows_are_skipped_and_reported(store):
    repo = ResultsRepo(store)
    repo.add(make_result(result_id="r1"), make_result(result_id="r2", model_id="org/b"))
    frame = repo.table().frame.copy()
    frame.loc[frame["id"] == "r2", "score_wh"] = float("nan")
    store.commit([Put(repo.index_path, repo.encode_index(frame))], parent=store.head(), message="tamper")
    table = repo.table()
    assert table.frame["id"].tolist() == ["r1"]
    assert table.problems and "score_wh" in table.problems[0]


def test_table_is_read_once_per_head(store):
    repo = ResultsRepo(store)
    repo.add(make_result(result_id="r1"))
    first = repo.table()
    assert repo.table() is first  # same head: cached
    repo.add(make_result(result_id="r2", model_id="org/b"))
    assert len(repo.table().frame) == 2  # a new commit is seen at once


def test_two_repos_on_one_store_see_each_others_writes(store):
    one, two = ResultsRepo(store), ResultsRepo(store)
    one.table()
    two.add(make_result(result_id="r1"))
    assert one.table().frame["id"].tolist() == ["r1"]


def test_concurrent_adds_are_all_kept(store):
    repo = ResultsRepo(store)
    errors = []

    def add(worker: int):
        try:
            for n in range(3):
                ResultsRepo(store).add(make_result(result_id=f"w{worker}-{n}", model_id=f"org/m{worker}"))
        except Exception as err:
            errors.append(err)

    threads = [threading.Thread(target=add, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(repo.table().frame) == 12
    assert len(store.list("records")) == 12


# Requests


def test_request_update_is_compare_and_swap(store):
    repo = RequestsRepo(store)
    pending = make_request(request_id="q1")
    repo.add(pending)
    running = pending.moved_to(RequestStatus.RUNNING, later(1), worker_id="w1", lease_expires_at=later(10))
    repo.replace(running, expected=pending)
    assert repo.get("q1").status is RequestStatus.RUNNING
    assert repo.table().frame.set_index("id").loc["q1", "status"] == "RUNNING"
    # a second worker that read the PENDING version loses
    with pytest.raises(StaleRecord):
        repo.replace(
            pending.moved_to(RequestStatus.RUNNING, later(2), worker_id="w2", lease_expires_at=later(10)),
            expected=pending,
        )
    assert repo.get("q1") == running


def test_new_record_ids_sort_by_time_and_are_unique():
    ids = {new_record_id(T0) for _ in range(200)}
    assert len(ids) == 200
    assert new_record_id(T0) < new_record_id(later(1))
    assert new_record_id(T0).startswith("20261101T000000Z-")
