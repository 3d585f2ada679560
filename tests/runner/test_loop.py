"""The whole embedded loop with the real engine on the CPU: request → worker → result → rated row → label."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from core.catalog import TaskId
from core.models import Hardware, RequestStatus
from core.repos import RequestsRepo, ResultsRepo
from core.store.local import LocalStore
from label.render import render_png
from label.tab import label_for
from leaderboard.tables import LATEST, LeaderboardData, select_rows
from runner.engine import run
from runner.validate import LogError, check_logs
from runner.worker import Worker, WorkerConfig
from tests.factories import make_request, make_result

CPU = Hardware(gpu_name="CPU", gpu_count=0)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A local store laid out as the app's: models/ and datasets/ beside requests/ and results/."""
    from tests.runner import tiny

    root = tmp_path_factory.mktemp("loop")
    tiny.build_bert_classifier(root / "models" / "local" / "tiny-bert")
    tiny.build_ministral3_classifier(root / "models" / "local" / "tiny-ministral3")
    tiny.text_dataset(root / "datasets" / TaskId.TEXT_CLASSIFICATION.value, rows=1000)
    requests = RequestsRepo(LocalStore(root / "requests"))
    results = ResultsRepo(LocalStore(root / "results"))
    # Another CPU result, so each new one is rated against something.
    results.add(make_result(result_id="other", model_id="org/other", hardware=CPU, score_wh=1e-3))
    requests.add(make_request(request_id="q1", model_id="local/tiny-bert", task=TaskId.TEXT_CLASSIFICATION))
    requests.add(make_request(request_id="q2", model_id="local/tiny-ministral3", task=TaskId.TEXT_CLASSIFICATION))
    return root


def _worker(data_dir: Path) -> Worker:
    return Worker(
        RequestsRepo(LocalStore(data_dir / "requests")),
        ResultsRepo(LocalStore(data_dir / "results")),
        WorkerConfig(
            worker_id="local",
            workdir=data_dir / "runs",
            device="cpu",
            models_dir=data_dir / "models",
            datasets_dir=data_dir / "datasets",
            timeout_s=900,
        ),
        execute=run,
    )


@pytest.fixture(scope="module")
def finished(data_dir):
    """One request through the worker and the real engine: (request in its final state, results repo)."""
    worker = _worker(data_dir)
    return worker.run_once(), worker.results


@pytest.fixture(scope="module")
def finished_new_architecture(data_dir, finished):
    """The second request: a model whose architecture (Ministral 3) transformers 4.57 did not have."""
    worker = _worker(data_dir)
    return worker.run_once(), worker.results


def test_a_submitted_model_is_measured_with_the_standard_settings_and_rated(finished):
    done, results = finished
    assert done.status is RequestStatus.FINISHED, done.failure_reason
    result = results.get(done.result_id)
    assert result.model_id == "local/tiny-bert"
    assert result.hardware.gpu_name == "CPU"
    assert (result.settings.samples, len(result.repetitions)) == (1000, 10)
    failed = [f"{c.name}: {c.detail}" for c in result.checks if not c.passed]
    assert failed == []
    assert result.is_rateable and result.score_wh > 0

    view = LeaderboardData(results).view(LATEST)
    rows = select_rows(view.frame, task=TaskId.TEXT_CLASSIFICATION.value, hardware="CPU").set_index("model_id")
    assert "local/tiny-bert" in rows.index
    assert 1 <= rows.loc["local/tiny-bert", "stars"] <= 5

    png = render_png(label_for(LeaderboardData(results), done.result_id, LATEST, "https://example.org"))
    assert Image.open(io.BytesIO(png)).size == (520, 728)


def test_an_architecture_new_in_transformers_5_is_measured_and_rated(finished_new_architecture, data_dir):
    from tests.runner.tiny import NEW_ARCHITECTURES

    done, results = finished_new_architecture
    assert done.status is RequestStatus.FINISHED, done.failure_reason
    result = results.get(done.result_id)
    assert (result.model_id, done.id) == ("local/tiny-ministral3", "q2")
    assert result.software["transformers"].startswith("5.")
    config = json.loads((data_dir / "models" / "local" / "tiny-ministral3" / "config.json").read_text())
    architectures = config["architectures"]
    assert architectures == [NEW_ARCHITECTURES["ministral3"]]
    assert (result.settings.samples, len(result.repetitions)) == (1000, 10)
    assert [f"{c.name}: {c.detail}" for c in result.checks if not c.passed] == []

    view = LeaderboardData(results).view(LATEST)
    rows = select_rows(view.frame, task=TaskId.TEXT_CLASSIFICATION.value, hardware="CPU").set_index("model_id")
    assert {"local/tiny-bert", "local/tiny-ministral3"} <= set(rows.index)
    assert 1 <= rows.loc["local/tiny-ministral3", "stars"] <= 5


def test_the_stored_logs_revalidate(finished, tmp_path):
    done, results = finished
    result = results.get(done.result_id)
    stored = tmp_path / "stored.zip"
    stored.write_bytes(results.store.read(f"{result.logs_path}/logs.zip"))
    report = check_logs(stored)
    assert report.ok, report.lines()
    assert report.result.repetitions == result.repetitions  # the stored logs are this result's


def test_the_run_folder_revalidates_and_tampering_is_caught(finished, data_dir, tmp_path):
    done, _ = finished
    folder = data_dir / "runs" / f"{done.id}-attempt1"
    report = check_logs(folder)
    assert report.ok, report.lines()
    assert [c.name for c in report.recomputed] == [c.name for c in report.result.checks]

    archive = shutil.make_archive(str(tmp_path / "run"), "zip", folder)
    assert check_logs(Path(archive)).ok

    tampered = tmp_path / "tampered"
    shutil.copytree(folder, tampered)
    summary = json.loads((tampered / "summary.json").read_text())
    summary["repetitions"][3]["phases"]["forward"]["cpu_kwh"] /= 2
    (tampered / "summary.json").write_text(json.dumps(summary))
    report = check_logs(tampered)
    assert not report.ok
    assert any("repetition 4 forward cpu_kwh" in problem for problem in report.problems)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: _zip(tmp, {"../evil.json": b"{}"}), "member '../evil.json' climbs out of the archive"),
        (lambda tmp: _zip(tmp, {"/abs/summary.json": b"{}"}), "is an absolute path"),
        (lambda tmp: _write(tmp / "not.zip", b"plain text"), "not a zip archive"),
        (lambda tmp: _zip(tmp, {"notes.txt": b"hi"}), "holds no run folder"),
        (lambda tmp: _write(tmp / "ref" / "benchmark_report.json", b"{}").parent, "benchmark_config.json is missing"),
        (lambda tmp: tmp / "missing", "does not exist"),
    ],
)
def test_bad_log_archives_get_a_specific_message(tmp_path, make, message):
    with pytest.raises(LogError, match=re.escape(message)):
        check_logs(make(tmp_path))


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _zip(tmp: Path, members: dict[str, bytes]) -> Path:
    path = tmp / "logs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
