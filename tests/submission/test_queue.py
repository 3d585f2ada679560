"""The submission queue on both stores: duplicates, resubmission after failure, the daily limit, races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from core.catalog import TaskId
from core.models import RequestStatus
from core.repos import RequestsRepo
from submission.open_model import ModelFacts, SubmissionPlan
from submission.queue import RateLimited, SubmissionQueue
from tests.factories import T0

SHA = "a" * 40


def make_plan(model_id: str = "org/model", *, revision: str | None = SHA, task=TaskId.TEXT_CLASSIFICATION):
    facts = ModelFacts(model_id=model_id, revision=revision, location="hub", library="transformers", parameters=10)
    return SubmissionPlan(model=facts, task=task)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(store) -> RequestsRepo:
    return RequestsRepo(store)


def test_a_submission_becomes_one_pending_request(repo, clock) -> None:
    submitted = SubmissionQueue(repo, daily_limit=5, clock=clock).submit(make_plan(), "alice")
    assert submitted.created and "PENDING" in submitted.message()
    stored = repo.get(submitted.request.id)
    assert stored == submitted.request
    assert (stored.status, stored.submitter, stored.revision, stored.precision.value) == (
        RequestStatus.PENDING,
        "alice",
        SHA,
        "float32",
    )


def test_a_duplicate_shows_the_existing_request_in_every_live_state(repo, clock) -> None:
    queue = SubmissionQueue(repo, daily_limit=5, clock=clock)
    first = queue.submit(make_plan(), "alice").request
    for status in (RequestStatus.PENDING, RequestStatus.RUNNING, RequestStatus.FINISHED):
        current = repo.get(first.id)
        if status is RequestStatus.RUNNING:
            repo.replace(
                current.moved_to(status, clock(), worker_id="w", lease_expires_at=clock() + timedelta(hours=1)),
                expected=current,
            )
        elif status is RequestStatus.FINISHED:
            repo.replace(current.moved_to(status, clock(), result_id="r1"), expected=current)
        again = queue.submit(make_plan(), "bob")
        assert not again.created and again.request.id == first.id and again.request.status is status
        assert "Already requested" in again.message() and status.value in again.message()
    assert len(repo.table().frame) == 1


def test_other_revisions_tasks_and_models_are_not_duplicates(repo, clock) -> None:
    queue = SubmissionQueue(repo, daily_limit=10, clock=clock)
    plans = [
        make_plan(),
        make_plan(revision="b" * 40),
        make_plan(task=TaskId.EXTRACTIVE_QA),
        make_plan("org/other"),
        make_plan("local/model", revision=None),
    ]
    assert all(queue.submit(plan, "alice").created for plan in plans)
    assert not queue.submit(make_plan("local/model", revision=None), "alice").created
    assert len(repo.table().frame) == len(plans)


def test_a_failed_request_may_be_submitted_again(repo, clock) -> None:
    queue = SubmissionQueue(repo, daily_limit=5, clock=clock)
    first = queue.submit(make_plan(), "alice").request
    repo.replace(first.moved_to(RequestStatus.FAILED, clock(), failure_reason="load: nope"), expected=first)
    again = queue.submit(make_plan(), "alice")
    assert again.created and again.request.id != first.id
    assert sorted(repo.table().frame["status"]) == ["FAILED", "PENDING"]


def test_the_daily_limit_says_when_the_next_submission_is_allowed(repo, clock) -> None:
    queue = SubmissionQueue(repo, daily_limit=2, clock=clock)
    queue.submit(make_plan("org/a"), "alice")
    clock.advance(hours=3)
    queue.submit(make_plan("org/b"), "alice")
    clock.advance(hours=1)
    assert not queue.submit(make_plan("org/a"), "alice").created  # a duplicate costs nothing
    with pytest.raises(RateLimited, match="2 submissions in the last 24 hours") as limited:
        queue.submit(make_plan("org/c"), "alice")
    assert limited.value.next_at == T0 + timedelta(days=1)
    assert "2026-11-02 00:00:00 UTC" in str(limited.value) and limited.value.field == "submitter"
    assert queue.submit(make_plan("org/c"), "bob").created  # the limit is per user
    assert len(repo.table().frame) == 3  # the refused one wrote nothing
    clock.advance(hours=20)  # the first submission leaves the 24-hour window
    assert queue.submit(make_plan("org/c2"), "alice").created


def test_concurrent_identical_submissions_queue_exactly_one(repo, clock) -> None:
    queue = SubmissionQueue(repo, daily_limit=100, clock=clock)
    outcomes = []
    start = threading.Barrier(8)

    def submit(index: int) -> None:
        start.wait()
        outcomes.append(queue.submit(make_plan(), f"user{index}"))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(outcome.created for outcome in outcomes) == 1
    assert len({outcome.request.id for outcome in outcomes}) == 1
    assert len(repo.table().frame) == 1


def test_concurrent_submissions_cannot_exceed_the_daily_limit(repo, clock) -> None:
    queue = SubmissionQueue(repo, daily_limit=3, clock=clock)
    created, limited = [], []
    start = threading.Barrier(6)

    def submit(index: int) -> None:
        start.wait()
        try:
            created.append(queue.submit(make_plan(f"org/m{index}"), "alice"))
        except RateLimited:
            limited.append(index)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(created), len(limited)) == (3, 3)
    assert len(repo.table().frame) == 3


def test_case_variants_of_one_hub_model_queue_one_request(repo, clock, hub_api, hub_server) -> None:
    """Five spellings of one model (and its branch name) are one request, stored under the Hub's own id."""
    from submission.open_model import plan_submission

    model_id = "Acme/Case-Model"
    config = b'{"architectures": ["BertForSequenceClassification"], "model_type": "bert"}'
    sha = hub_server.seed(model_id, {"config.json": config})
    queue = SubmissionQueue(repo, daily_limit=10, clock=clock)
    typed = [("acme/case-model", ""), ("ACME/CASE-MODEL", ""), ("Acme/Case-Model", "main"), ("aCME/cASE-mODEL", sha)]
    typed.append((f"https://huggingface.co/{model_id.lower()}/tree/main", ""))
    outcomes = [
        queue.submit(plan_submission(m, r, "text_classification", api=hub_api, models_dir=None), "alice")
        for m, r in typed
    ]
    assert [outcome.created for outcome in outcomes] == [True, False, False, False, False]
    frame = repo.table().frame
    assert list(frame["model_id"]) == [model_id] and list(frame["revision"]) == [sha]
    assert repo.get(outcomes[0].request.id).model_id == model_id


def test_a_request_stored_under_another_case_is_still_a_duplicate(repo, clock) -> None:
    """Requests stored before ids were canonical (the text typed) still meet the canonical plan."""
    queue = SubmissionQueue(repo, daily_limit=10, clock=clock)
    first = queue.submit(make_plan("ORG/Model"), "alice").request
    again = queue.submit(make_plan("org/model"), "bob")
    assert not again.created and again.request.id == first.id
