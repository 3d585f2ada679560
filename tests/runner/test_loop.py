"""The whole embedded loop with the real engine on the CPU: request → worker → result → rated row → label."""

from __future__ import annotations

import io

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
from runner.worker import Worker, WorkerConfig
from tests.factories import make_request, make_result

CPU = Hardware(gpu_name="CPU", gpu_count=0)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A local store laid out as the app's: models/ and datasets/ beside requests/ and results/."""
    from tests.runner import tiny

    root = tmp_path_factory.mktemp("loop")
    tiny.build_bert_classifier(root / "models" / "local" / "tiny-bert")
    tiny.text_dataset(root / "datasets" / TaskId.TEXT_CLASSIFICATION.value, rows=1000)
    return root


def test_a_submitted_model_is_measured_with_the_standard_settings_and_rated(data_dir):
    requests = RequestsRepo(LocalStore(data_dir / "requests"))
    results = ResultsRepo(LocalStore(data_dir / "results"))
    # Another CPU result, so the new one is rated against something.
    results.add(make_result(result_id="other", model_id="org/other", hardware=CPU, score_wh=1e-3))
    requests.add(make_request(request_id="q1", model_id="local/tiny-bert", task=TaskId.TEXT_CLASSIFICATION))
    worker = Worker(
        requests,
        results,
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
    done = worker.run_once()
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
