"""The Submit tab's logic outside the browser: who submits, the queue table, a request's details."""

from __future__ import annotations

import gradio as gr
import pytest

from core.models import RequestStatus
from core.repos import RequestsRepo, ResultsRepo
from core.settings import Settings
from core.store.local import LocalStore
from submission.open_model import Refused
from submission.tab import Portal, queue_frame, request_details
from tests.factories import later, make_request


def portal(tmp_path, **settings) -> Portal:
    config = Settings(backend="local", data_dir=tmp_path, **settings)
    requests, results = RequestsRepo(LocalStore(tmp_path / "requests")), ResultsRepo(LocalStore(tmp_path / "results"))
    return Portal(config, requests, results, None, LocalStore(tmp_path / "uploads"))


def test_a_login_is_needed_only_where_required(tmp_path) -> None:
    profile = gr.OAuthProfile({"preferred_username": "alice", "name": "Alice", "profile": "", "picture": ""})
    on_space = portal(tmp_path, require_login=True)
    with pytest.raises(Refused, match="Log in with Hugging Face"):
        on_space.submitter(None)
    assert on_space.submitter(profile) == "alice"
    assert portal(tmp_path, require_login=False).submitter(None) == "anonymous"


def test_require_login_defaults_to_on_inside_a_space(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SPACE_ID", raising=False)
    assert not Settings(data_dir=tmp_path).require_login
    monkeypatch.setenv("SPACE_ID", "AIEnergyScore/Leaderboard")
    assert Settings(data_dir=tmp_path).require_login


def test_the_queue_table_filters_by_submitter_and_status_newest_first(tmp_path) -> None:
    repo = RequestsRepo(LocalStore(tmp_path / "requests"))
    first = make_request(request_id="q1", model_id="org/a")
    repo.add(first, make_request(request_id="q2", model_id="org/b", at=later(5)))
    repo.replace(first.moved_to(RequestStatus.FAILED, later(9), failure_reason="load: no weights"), expected=first)
    frame = repo.table().frame
    everyone = queue_frame(frame)
    assert list(everyone["Request"]) == ["q2", "q1"]
    assert list(everyone.columns)[:4] == ["Request", "Model", "Task", "Status"]
    failed = queue_frame(frame, status="FAILED")
    assert list(failed["Failure reason"]) == ["load: no weights"]
    assert queue_frame(frame, submitter="alice").shape[0] == 2
    assert queue_frame(frame, submitter="bob").empty


def test_request_details_show_history_failure_and_log(tmp_path) -> None:
    repo = RequestsRepo(LocalStore(tmp_path / "requests"))
    request = make_request(request_id="q1")
    repo.add(request)
    failed = request.moved_to(RequestStatus.FAILED, later(3), failure_reason="oom: too big", log_excerpt="CUDA OOM")
    repo.replace(failed, expected=request)
    text, log = request_details(repo, "q1")
    assert "FAILED" in text and "oom: too big" in text and "2026-11-01 00:03:00" in text
    assert log == "CUDA OOM"
    assert request_details(repo, "nope") == ("No request <code>nope</code>.", "")


def test_on_a_space_uploads_are_for_the_users_own_organisations(tmp_path) -> None:
    profile = gr.OAuthProfile(
        {
            "preferred_username": "alice",
            "name": "Alice",
            "profile": "",
            "picture": "",
            "orgs": [{"preferred_username": "acme", "name": "ACME Corp"}, {"name": "no handle"}],
        }
    )
    assert portal(tmp_path, require_login=False).memberships(None) is None  # locally anything goes
    on_space = portal(tmp_path, require_login=True)
    assert on_space.memberships(profile) == frozenset({"alice", "acme"})
    with pytest.raises(Refused, match="Log in"):
        on_space.memberships(None)
