"""`python -m submission`: the maintainers' review of vendor results, on the configured store."""

from __future__ import annotations

import pytest

from core.models import ReviewStatus, Source
from core.repos import ResultsRepo
from core.store.local import LocalStore
from tests.cli import run_module
from tests.factories import make_result


def run_cli(data_dir, *args):
    return run_module("submission", data_dir, *args)


@pytest.fixture
def seeded(tmp_path):
    repo = ResultsRepo(LocalStore(tmp_path / "results"))
    repo.add(
        make_result(result_id="v1", model_id="acme/one", source=Source.VENDOR, review=ReviewStatus.PENDING),
        make_result(result_id="v2", model_id="acme/two", source=Source.VENDOR, review=ReviewStatus.PENDING),
        make_result(result_id="open", model_id="org/open"),
    )
    return tmp_path


def test_reviews_lists_the_pending_then_approve_and_reject_decide(seeded):
    listed = run_cli(seeded, "reviews")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["v1", "v2"]
    approved = run_cli(seeded, "approve", "v1", "--reviewer", "maintainer")
    assert approved.returncode == 0 and "v1: approved by maintainer" in approved.stdout
    rejected = run_cli(seeded, "reject", "v2", "--reason", "not an H100", "--reviewer", "maintainer")
    assert rejected.returncode == 0 and "v2: rejected by maintainer" in rejected.stdout
    repo = ResultsRepo(LocalStore(seeded / "results"))
    assert repo.get("v1").is_rateable and repo.get("v2").review_note == "not an H100"
    assert "no vendor result is waiting" in run_cli(seeded, "reviews").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["reject", "v1"], "--reason"),
        (["approve", "nope"], "no record with id 'nope'"),
        (["approve", "open"], "open-model result"),
    ],
)
def test_bad_review_commands_say_why_and_write_nothing(seeded, args, message):
    head = LocalStore(seeded / "results").head()
    done = run_cli(seeded, *args)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr
    assert LocalStore(seeded / "results").head() == head
