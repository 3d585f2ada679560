"""`python -m runner run | worker | validate`, as an operator runs them: a subprocess on a fresh data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HUB_TOKEN

TRIAL = ["--device", "cpu", "--samples", "20", "--repetitions", "2", "--warmup-runs", "1"]


def runner_cli(data_dir: Path, *args: str, hub_url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIES_DATA_DIR": str(data_dir), "AIES_CACHE_DIR": str(data_dir / "cache")}
    env |= {"PYTHONPATH": os.getcwd(), "OMP_NUM_THREADS": "1"}
    env.pop("AIES_BACKEND", None)
    if hub_url is not None:
        env |= {"AIES_HUB_ENDPOINT": hub_url, "AIES_HF_TOKEN": HUB_TOKEN}
    return subprocess.run([sys.executable, "-m", "runner", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def hub_run(hub_server, tmp_path_factory):
    """A tiny classifier and the task's dataset on the (local) Hub, benchmarked by id with `run`."""
    from tests.runner import tiny

    root = tmp_path_factory.mktemp("cli")
    model = tiny.build_bert_classifier(root / "build" / "model")
    data = tiny.text_dataset(root / "build" / "data", rows=20)
    files = {p.relative_to(model).as_posix(): p.read_bytes() for p in model.rglob("*") if p.is_file()}
    model_sha = hub_server.seed("tester/cli-classifier", files)
    rows = {p.relative_to(data).as_posix(): p.read_bytes() for p in data.rglob("*") if p.is_file()}
    dataset_sha = hub_server.seed("EnergyStarAI/text_classification", rows, repo_type="dataset")
    workdir = root / "run"
    done = runner_cli(
        root / "data",
        "run", "tester/cli-classifier", "--task", "text_classification", *TRIAL, "--workdir", str(workdir),
        hub_url=hub_server.url,
    )  # fmt: skip
    return done, workdir, model_sha, dataset_sha, root


def test_run_downloads_a_hub_model_and_the_tasks_dataset_then_measures_it(hub_run):
    done, workdir, model_sha, dataset_sha, _ = hub_run
    assert done.returncode == 0, done.stderr
    assert "tester/cli-classifier on text_classification:" in done.stdout
    assert "Wh per 1,000 queries (cpu)" in done.stdout
    assert f"pass dataset_standard: not gated on CPU: EnergyStarAI/text_classification at {dataset_sha}" in done.stdout
    assert "FAIL settings_conform: differs from the catalog: samples 20" in done.stdout  # a trial is never rated
    assert f"logs: {workdir}" in done.stdout
    summary = json.loads((workdir / "summary.json").read_text())
    assert (summary["model_id"], summary["revision"]) == ("tester/cli-classifier", model_sha)
    assert "forward 2/2" in done.stderr and "s left" in done.stderr  # the progress bar, with its estimate


def test_validate_rechecks_the_run_folder(hub_run):
    _, workdir, _, _, root = hub_run
    checked = runner_cli(root / "data", "validate", str(workdir))
    assert checked.returncode == 1  # a trial: valid records, but not the standard settings
    assert "FAIL settings_conform" in checked.stdout and "MISMATCH" not in checked.stdout
    assert checked.stdout.rstrip().endswith("NOT valid")
    summary = workdir / "summary.json"
    data = json.loads(summary.read_text())
    data["repetitions"][0]["phases"]["forward"]["cpu_kwh"] /= 2
    summary.write_text(json.dumps(data))
    tampered = runner_cli(root / "data", "validate", str(workdir))
    assert "MISMATCH repetition 1 forward cpu_kwh" in tampered.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "tester/no-such-model", "--task", "text_classification", *TRIAL], "failed (load): tester/no-such"),
        (["run", "tester/cli-classifier", "--task", "text_classification", "--revision", "nope", *TRIAL], "@nope"),
        (["run", "x", "--task", "poetry"], "invalid choice: 'poetry'"),
        (["validate", "/nonexistent/run"], "error: "),
        (["run", "./no/such/model", "--task", "text_classification", *TRIAL], "no model folder './no/such/model'"),
        (["run", "tester/cli-classifier", "--task", "text_generation", "--dataset", "nowhere"], "no dataset folder"),
    ],
    ids=["missing-model", "missing-revision", "unknown-task", "missing-folder", "missing-local-model", "bad-dataset"],
)
def test_bad_input_gets_a_clear_message_and_no_traceback(hub_run, hub_server, args, message):
    root = hub_run[4]
    done = runner_cli(root / "data", *args, hub_url=hub_server.url)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_relative_paths_are_read_where_the_operator_is(hub_run, monkeypatch, tmp_path):
    """The benchmark process runs elsewhere: `run build/model --dataset build/data` must still find both."""
    from tests.runner import tiny

    tiny.build_bert_classifier(tmp_path / "build" / "model")
    tiny.text_dataset(tmp_path / "build" / "data", rows=20)
    env = {**os.environ, "AIES_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": os.getcwd(), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "runner", "run", "build/model", "--task", "text_classification", *TRIAL,
         "--dataset", "build/data", "--workdir", "run"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["settings"]["samples"] == 20


def test_worker_once_on_an_empty_queue(tmp_path):
    done = runner_cli(tmp_path, "worker", "--once", "--device", "cpu", "--workdir", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "the queue is empty"
