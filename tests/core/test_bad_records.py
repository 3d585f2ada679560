"""A bad record never stops anything: it is skipped and reported, and the rest is served (claim, the queue
view, the leaderboard, the review listing)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pandas as pd
import pytest

from core.catalog import TaskId
from core.models import RequestStatus, ReviewStatus, Source
from core.releases import cut_release
from core.repos import RequestsRepo, ResultsRepo
from core.store import Put
from core.store.local import LocalStore
from leaderboard.tables import LATEST, LeaderboardData
from runner.worker import Worker, WorkerConfig
from submission.review import pending_reviews, reviews_table
from submission.tab import queue_frame
from tests.factories import T0, later, make_request, make_result


@pytest.fixture
def requests(tmp_path) -> RequestsRepo:
    repo = RequestsRepo(LocalStore(tmp_path / "requests"))
    repo.add(*(make_request(request_id=f"q{n}", model_id=f"org/m{n}", at=later(n)) for n in range(1, 4)))
    return repo


@pytest.fixture
def results(tmp_path) -> ResultsRepo:
    return ResultsRepo(LocalStore(tmp_path / "results"))


def worker(requests: RequestsRepo, results: ResultsRepo, tmp_path) -> Worker:
    config = WorkerConfig(worker_id="w1", workdir=tmp_path / "work", models_dir=tmp_path / "models")
    return Worker(requests, results, config, execute=None, clock=lambda: T0 + timedelta(hours=1))  # type: ignore[arg-type]


def spoil_record(repo, record_id: str, data: bytes = b'{"id": "not a record"') -> str:
    path = repo.table().frame.set_index("id").loc[record_id, "path"]
    repo.store.commit([Put(path, data)], parent=repo.store.head(), message="spoil")
    return path


def spoil_row(repo, record_id: str, **values) -> None:
    """Rewrite one index row with values no view knows (as an older or a hand-edited index may hold)."""
    frame = repo._read_index()  # as stored, bad rows included
    for column, value in values.items():
        frame.loc[frame["id"] == record_id, column] = value
    repo.store.commit([Put(repo.index_path, repo.encode_index(frame))], parent=repo.store.head(), message="spoil")


def test_claim_skips_an_unreadable_pending_record_and_serves_the_rest(requests, results, tmp_path, caplog):
    path = spoil_record(requests, "q1")  # the oldest: claimed first, on every loop
    spoil_record(requests, "q2", b"")
    with caplog.at_level(logging.ERROR):
        claimed = worker(requests, results, tmp_path).claim()
    assert claimed is not None and claimed.id == "q3"
    assert path in caplog.text and "q2" in caplog.text
    assert worker(requests, results, tmp_path).claim() is None  # nothing left that can be read, and no error


def test_run_once_survives_an_unreadable_running_record(requests, results, tmp_path):
    q1 = requests.get("q1")
    running = q1.moved_to(RequestStatus.RUNNING, later(5), worker_id="dead", lease_expires_at=later(6))
    requests.replace(running, expected=q1)
    spoil_record(requests, "q1")  # its lease expired: requeue_expired looks at it first
    assert worker(requests, results, tmp_path).requeue_expired() == []
    assert worker(requests, results, tmp_path).claim().id == "q2"


def test_the_queue_view_skips_bad_index_rows_and_reports_them(requests, caplog):
    spoil_row(requests, "q1", task="text_to_video")
    spoil_row(requests, "q2", status=None)
    with caplog.at_level(logging.WARNING):
        table = requests.table()
    shown = queue_frame(table.frame)
    assert len(shown) == 1 and "q3" in shown.to_string()
    assert len(table.problems) == 2 and any("records/org/m1/q1.json" in p for p in table.problems)
    assert "records/org/m1/q1.json" in caplog.text


def test_the_leaderboard_skips_bad_rows_and_bad_releases(results):
    results.add(
        make_result(result_id="r1", model_id="org/a"), make_result(result_id="r2", model_id="org/b", score_wh=2)
    )
    cut_release(results, "2026-11", cut_at=later(10))
    results.store.commit([Put("releases/2026-12.json", b"{broken")], parent=results.store.head(), message="spoil")
    spoil_row(results, "r2", review="maybe")
    data = LeaderboardData(results)
    assert data.release_choices() == [LATEST, "2026-11"]  # the unreadable release is skipped
    view = data.view(LATEST)
    assert set(view.frame["id"]) == {"r1"} and len(view.problems) == 1
    assert set(data.view("2026-11").frame["id"]) <= {"r1", "r2"}


@pytest.mark.parametrize("column", ["valid", "rateable"])
def test_a_missing_flag_in_the_index_stops_neither_the_leaderboard_nor_a_release_cut(results, column):
    """Both are boolean masks of the views and of a release cut: a null one raised in pandas."""
    results.add(make_result(result_id="r1", model_id="org/a"), make_result(result_id="r2", model_id="org/b"))
    frame = results._read_index()
    frame[column] = frame[column].astype("boolean")
    frame.loc[frame["id"] == "r2", column] = pd.NA
    results.store.commit(
        [Put(results.index_path, results.encode_index(frame))], parent=results.store.head(), message="x"
    )
    view = LeaderboardData(results).view(LATEST)
    assert set(view.frame["id"]) == {"r1"} and len(view.problems) == 1
    release = cut_release(results, "2026-11", cut_at=later(10))
    assert list(release.stars) == ["r1"]


def test_the_review_listing_skips_a_bad_row(results):
    vendor = {"source": Source.VENDOR, "review": ReviewStatus.PENDING}
    results.add(
        make_result(result_id="v1", model_id="acme/a", **vendor),
        make_result(result_id="v2", model_id="acme/b", task=TaskId.SUMMARIZATION, **vendor),
    )
    spoil_row(results, "v1", task="mind_reading")
    listed = reviews_table(pending_reviews(results))
    assert listed["Result"].tolist() == ["v2"]
