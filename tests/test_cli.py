"""`python -m leaderboard`: cutting releases and rebuilding indexes on the configured store."""

import pytest

from core.repos import ResultsRepo
from core.store.local import LocalStore
from tests.cli import run_module
from tests.factories import make_result


def run_cli(data_dir, *args):
    return run_module("leaderboard", data_dir, *args)


@pytest.fixture
def seeded(tmp_path):
    repo = ResultsRepo(LocalStore(tmp_path / "results"))
    repo.add(*[make_result(result_id=f"r{n}", model_id=f"org/m{n}", score_wh=1.0 + n) for n in range(3)])
    return tmp_path


def test_release_command_cuts_and_prints_band_edges(seeded):
    done = run_cli(seeded, "release", "2026-11")
    assert done.returncode == 0, done.stderr
    assert "release 2026-11: 3 results rated in 1 populations" in done.stdout
    assert "band edges (Wh): 1, 1.4, 1.8, 2.2, 2.6, 3" in done.stdout
    assert ResultsRepo(LocalStore(seeded / "results")).release("2026-11").stars == {"r0": 5, "r1": 3, "r2": 1}


def test_release_twice_is_refused(seeded):
    assert run_cli(seeded, "release", "2026-11").returncode == 0
    again = run_cli(seeded, "release", "2026-11")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["release", "2026-11", "--at", "yesterday"], "not an ISO 8601 time"),
        (["release", "2026-11", "--at", "2026-11-01T00:00:00"], "has no time zone"),
        (["release", "bad/id"], "id"),
        (["publish"], "invalid choice"),
    ],
)
def test_bad_arguments_get_a_clear_message_and_write_nothing(seeded, args, message):
    head = LocalStore(seeded / "results").head()
    done = run_cli(seeded, *args)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert LocalStore(seeded / "results").head() == head


def test_rebuild_index_reports_skipped_records(seeded):
    (seeded / "results" / "records" / "org" / "m0" / "text_classification" / "r0.json").write_text("{}")
    done = run_cli(seeded, "rebuild-index")
    assert done.returncode == 0, done.stderr
    assert "index/results.parquet: rebuilt, 1 record(s) skipped" in done.stdout
    assert "r0.json" in done.stdout
    assert sorted(ResultsRepo(LocalStore(seeded / "results")).table().frame["id"]) == ["r1", "r2"]
