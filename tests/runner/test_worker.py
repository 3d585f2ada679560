"""The queue worker with stand-in executors: claims, leases, requeues, failures, publication."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.catalog import TaskId
from core.models import RequestStatus
from core.repos import RequestsRepo, ResultsRepo
from core.store import StoreError
from core.store.local import LocalStore
from runner.engine import RunFailed
from runner.spec import RunSpec
from runner.worker import Worker, WorkerConfig
from tests.factories import T0, later, make_request, make_result


class Clock:
    """A settable clock, an hour after the factories' submissions."""

    def __init__(self):
        self.now = T0 + timedelta(hours=1)

    def __call__(self):
        return self.now


@pytest.fixture
def repos(tmp_path):
    return RequestsRepo(LocalStore(tmp_path / "requests")), ResultsRepo(LocalStore(tmp_path / "results"))


def measured(spec: RunSpec, workdir, cancel=None):
    """A stand-in engine: a valid result for the requested model and task."""
    (workdir / "summary.json").write_text("{}")
    return make_result(result_id="engine", model_id=Path(spec.model).name, task=spec.task)


def submit(requests, tmp_path, **kwargs):
    """Queue a request for a model that exists as a local folder (the worker needs no Hub)."""
    request = make_request(**kwargs)
    (tmp_path / "models" / request.model_id).mkdir(parents=True, exist_ok=True)
    requests.add(request)
    return request


def make_worker(repos, tmp_path, execute=measured, name="w1", clock=None, hub=None, **config):
    requests, results = repos
    config.setdefault("models_dir", tmp_path / "models")
    return Worker(
        requests,
        results,
        WorkerConfig(worker_id=name, workdir=tmp_path / "work", **config),
        execute=execute,
        hub=hub,
        clock=clock or Clock(),
    )


def test_a_pending_request_is_run_and_published(repos, tmp_path):
    requests, results = repos
    submit(requests, tmp_path, request_id="q1", model_id="org/a")
    done = make_worker(repos, tmp_path).run_once()
    assert done.status is RequestStatus.FINISHED
    assert done.result_id == "q1-a1"
    assert [c.status for c in requests.get("q1").history] == ["PENDING", "RUNNING", "FINISHED"]
    result = results.get("q1-a1")
    assert (result.request_id, result.model_id) == ("q1", "org/a")  # the id, not the local folder
    assert (tmp_path / "work" / "q1-attempt1" / "summary.json").exists()  # one working folder per run
    assert result.logs_path == "logs/q1-a1"  # the run folder is stored with the result, in the same commit
    stored = zipfile.ZipFile(io.BytesIO(results.store.read("logs/q1-a1/logs.zip")))
    assert stored.namelist() == ["summary.json"] and stored.read("summary.json") == b"{}"


def test_oldest_first_and_empty_queue(repos, tmp_path):
    requests, _ = repos
    submit(requests, tmp_path, request_id="late", model_id="org/b", at=later(5))
    submit(requests, tmp_path, request_id="early", model_id="org/a", at=later(1))
    worker = make_worker(repos, tmp_path)
    assert worker.run_once().id == "early"
    assert worker.run_once().id == "late"
    assert worker.run_once() is None


@pytest.mark.parametrize(
    ("error", "reason", "excerpt"),
    [
        (
            RunFailed("load", "config.json is not valid JSON", "Traceback ... JSONDecodeError"),
            "load: config.json",
            "JSON",
        ),
        (RunFailed("timeout", "no result after 5 s"), "timeout: no result after 5 s", None),
        (ZeroDivisionError("division by zero"), "internal: ZeroDivisionError: division by zero", "ZeroDivisionError"),
    ],
)
def test_failures_are_recorded_and_the_worker_carries_on(repos, tmp_path, error, reason, excerpt):
    requests, results = repos
    submit(requests, tmp_path, request_id="bad", model_id="org/bad")
    submit(requests, tmp_path, request_id="good", model_id="org/good", at=later(1))

    def execute(spec, workdir, cancel=None):
        if spec.model.endswith("org/bad"):
            raise error
        return measured(spec, workdir)

    worker = make_worker(repos, tmp_path, execute=execute)
    failed = worker.run_once()
    assert failed.status is RequestStatus.FAILED
    assert failed.failure_reason.startswith(reason)
    if excerpt:
        assert excerpt in failed.log_excerpt
    else:
        assert failed.log_excerpt is None
    assert worker.run_once().status is RequestStatus.FINISHED
    assert results.table().frame["request_id"].tolist() == ["good"]


def test_exactly_one_worker_gets_each_request(repos, tmp_path):
    requests, results = repos
    for n in range(6):
        submit(requests, tmp_path, request_id=f"q{n}", model_id=f"org/m{n}", at=later(n))
    runs: list[str] = []
    lock = threading.Lock()

    def execute(spec, workdir, cancel=None):
        with lock:
            runs.append(spec.model.removeprefix(str(tmp_path / "models") + "/"))
        return measured(spec, workdir)

    def drain(name):
        worker = make_worker(repos, tmp_path, execute=execute, name=name)
        while worker.run_once() is not None:
            pass

    threads = [threading.Thread(target=drain, args=(f"w{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(runs) == [f"org/m{n}" for n in range(6)]  # each ran once
    assert set(requests.table().frame["status"]) == {"FINISHED"}
    assert len(results.table().frame) == 6


def test_a_dead_workers_request_goes_back_to_pending_when_its_lease_expires(repos, tmp_path):
    requests, _ = repos
    submit(requests, tmp_path, request_id="q1")
    clock = Clock()
    dead = make_worker(repos, tmp_path, name="dead", clock=clock, lease_s=60)
    claimed = dead.claim()  # ... and then the worker died
    assert claimed.worker_id == "dead"
    alive = make_worker(repos, tmp_path, name="alive", clock=clock, lease_s=60)
    assert alive.run_once() is None  # lease still valid: nobody else takes it
    clock.now += timedelta(seconds=61)
    done = alive.run_once()
    assert done.status is RequestStatus.FINISHED
    assert [c.status for c in done.history] == ["PENDING", "RUNNING", "PENDING", "RUNNING", "FINISHED"]
    assert done.attempts == 2


def test_a_request_that_keeps_killing_workers_fails_after_max_attempts(repos, tmp_path):
    requests, _ = repos
    submit(requests, tmp_path, request_id="q1")
    clock = Clock()
    for attempt in range(2):
        doomed = make_worker(repos, tmp_path, name=f"dies{attempt}", clock=clock, lease_s=10, max_attempts=2)
        doomed.requeue_expired()
        assert doomed.claim().attempts == attempt + 1  # ... and then the worker died
        clock.now += timedelta(seconds=11)
    make_worker(repos, tmp_path, name="last", clock=clock, max_attempts=2).requeue_expired()
    failed = requests.get("q1")
    assert failed.status is RequestStatus.FAILED
    assert failed.failure_reason == "worker_lost: no worker finished it in 2 attempts"


def test_a_result_published_before_the_worker_died_is_not_run_again(repos, tmp_path):
    requests, results = repos
    submit(requests, tmp_path, request_id="q1")
    clock = Clock()
    first = make_worker(repos, tmp_path, name="first", clock=clock, lease_s=10)
    claimed = first.claim()
    results.add(make_result(result_id="q1-a1", model_id="org/model").model_copy(update={"request_id": "q1"}))
    del claimed  # the worker died after publishing, before marking the request FINISHED
    clock.now += timedelta(seconds=11)
    calls = []
    second = make_worker(repos, tmp_path, name="second", clock=clock, execute=lambda s, w, cancel: calls.append(s))
    done = second.run_once()
    assert (done.status, done.result_id, calls) == (RequestStatus.FINISHED, "q1-a1", [])


def test_the_lease_is_renewed_while_a_long_run_goes_on(repos, tmp_path):
    requests, _ = repos
    submit(requests, tmp_path, request_id="q1")
    renewals = threading.Event()

    def slow(spec, workdir, cancel=None):
        # lease_s=0.3 renews every 0.1 s; wait until the record shows a renewed lease
        while not renewals.is_set():
            current = requests.get("q1")
            if current.lease_expires_at > current.history[-1].at + timedelta(seconds=0.3):
                renewals.set()
            renewals.wait(0.05)
        return measured(spec, workdir)

    worker = make_worker(repos, tmp_path, execute=slow, lease_s=0.3, clock=lambda: datetime.now(UTC))
    assert worker.run_once().status is RequestStatus.FINISHED
    assert renewals.is_set()


def test_a_worker_that_lost_its_lease_stops_its_run_and_publishes_nothing(repos, tmp_path):
    """A's lease runs out (a stalled heartbeat, say) and B takes the request over: A's run is cancelled, and
    A neither publishes a result nor marks the request FAILED; B's run is the one that counts."""
    requests, results = repos
    submit(requests, tmp_path, request_id="q1")
    later_clock = Clock()
    later_clock.now = datetime.now(UTC) + timedelta(hours=1)  # A's lease has expired by B's clock
    b = make_worker(repos, tmp_path, name="B", clock=later_clock)
    seen = {}

    def taken_over(spec, workdir, cancel):
        assert b.requeue_expired() and b.claim() is not None
        seen["cancelled"] = cancel.wait(timeout=10)
        raise RunFailed("cancelled", "the run was stopped on request before it finished")

    a = make_worker(repos, tmp_path, name="A", execute=taken_over, lease_s=0.3, clock=lambda: datetime.now(UTC))
    after_a = a.run_once()
    assert seen["cancelled"]
    assert (after_a.status, after_a.worker_id, after_a.attempts) == (RequestStatus.RUNNING, "B", 2)
    assert results.table().frame.empty
    done = b.process(requests.get("q1"))
    assert (done.status, done.result_id) == (RequestStatus.FINISHED, "q1-a2")
    assert results.table().frame["id"].tolist() == ["q1-a2"]


class FlakyRequests(RequestsRepo):
    """Its second write (the first lease renewal) fails as a Hub outage would."""

    def __init__(self, store):
        super().__init__(store)
        self.writes = 0

    def replace(self, record, *, expected):
        self.writes += 1
        if self.writes == 2:
            raise StoreError("503 Service Unavailable")
        return super().replace(record, expected=expected)


def test_a_failed_lease_renewal_is_retried_and_the_run_goes_on(tmp_path):
    requests = FlakyRequests(LocalStore(tmp_path / "requests"))
    results = ResultsRepo(LocalStore(tmp_path / "results"))
    submit(requests, tmp_path, request_id="q1")
    renewed = threading.Event()

    def slow(spec, workdir, cancel):
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while requests.writes < 3 and datetime.now(UTC) < deadline:  # claim, failed renewal, renewal
            renewed.wait(0.05)
        assert requests.writes >= 3, "the heartbeat stopped renewing after one failure"
        return measured(spec, workdir)

    worker = make_worker((requests, results), tmp_path, execute=slow, lease_s=0.3, clock=lambda: datetime.now(UTC))
    done = worker.run_once()
    assert (done.status, done.result_id) == (RequestStatus.FINISHED, "q1-a1")


class LostAnswerRequests(RequestsRepo):
    """The first lease renewal lands but its answer is lost (a 504), and the read that follows fails (a 503)."""

    def __init__(self, store):
        super().__init__(store)
        self.writes = 0
        self.fail_next_read = False

    def replace(self, record, *, expected):
        self.writes += 1
        written = super().replace(record, expected=expected)
        if self.writes == 2:
            self.fail_next_read = True
            raise StoreError("504 Gateway Timeout")
        return written

    def get(self, record_id):
        if self.fail_next_read:
            self.fail_next_read = False
            raise StoreError("503 Service Unavailable")
        return super().get(record_id)


def test_the_heartbeat_survives_a_lost_answer_and_a_failed_read(tmp_path):
    requests = LostAnswerRequests(LocalStore(tmp_path / "requests"))
    results = ResultsRepo(LocalStore(tmp_path / "results"))
    submit(requests, tmp_path, request_id="q1")
    seen = {}

    def long_run(spec, workdir, cancel):
        cancel.wait(2.0)  # a run of 2 s under a lease of 0.3 s
        seen["cancelled"] = cancel.is_set()
        seen["lease_left_s"] = (requests.get("q1").lease_expires_at - datetime.now(UTC)).total_seconds()
        return measured(spec, workdir)

    worker = make_worker((requests, results), tmp_path, execute=long_run, lease_s=0.3, clock=lambda: datetime.now(UTC))
    done = worker.run_once()
    assert not seen["cancelled"] and seen["lease_left_s"] > 0  # renewals went on after both errors
    assert (done.status, done.result_id) == (RequestStatus.FINISHED, "q1-a1")


def test_a_store_error_on_the_final_write_is_retried_not_the_run_lost(tmp_path):
    requests = FlakyRequests(LocalStore(tmp_path / "requests"))  # its 2nd write fails: here, FINISHED
    results = ResultsRepo(LocalStore(tmp_path / "results"))
    submit(requests, tmp_path, request_id="q1")
    done = make_worker((requests, results), tmp_path, lease_s=600).run_once()  # no renewal during the run
    assert (done.status, done.result_id) == (RequestStatus.FINISHED, "q1-a1")
    assert results.table().frame["id"].tolist() == ["q1-a1"]


class SlowResults(ResultsRepo):
    """Publishing takes longer than a lease (a big logs.zip on a slow Hub)."""

    def add(self, *records, **options):
        time.sleep(1.0)
        return super().add(*records, **options)


def test_the_lease_is_held_while_the_result_is_published(tmp_path):
    requests = RequestsRepo(LocalStore(tmp_path / "requests"))
    results = SlowResults(LocalStore(tmp_path / "results"))
    submit(requests, tmp_path, request_id="q1")
    now = lambda: datetime.now(UTC)  # noqa: E731
    a = make_worker((requests, results), tmp_path, name="A", lease_s=0.3, clock=now)
    b = make_worker((requests, results), tmp_path, name="B", lease_s=0.3, clock=now)
    publishing = threading.Thread(target=a.run_once)
    publishing.start()
    time.sleep(0.7)  # A is inside results.add, past its last renewal before publishing
    assert b.run_once() is None  # nothing expired, nothing to claim
    publishing.join()
    assert requests.get("q1").status is RequestStatus.FINISHED
    assert results.table().frame["id"].tolist() == ["q1-a1"]


def test_a_request_gets_one_result_whichever_attempt_publishes_first(repos, tmp_path):
    """An earlier attempt published while this one ran: the earlier result stands, no second one is added."""
    requests, results = repos
    submit(requests, tmp_path, request_id="q1")

    def overtaken(spec, workdir, cancel):
        results.add(make_result(result_id="q1-a0", model_id="org/model").model_copy(update={"request_id": "q1"}))
        return measured(spec, workdir)

    done = make_worker(repos, tmp_path, execute=overtaken).run_once()
    assert (done.status, done.result_id) == (RequestStatus.FINISHED, "q1-a0")
    assert results.table().frame["id"].tolist() == ["q1-a0"]


def test_a_worker_stops_when_a_benchmark_survives_sigkill(repos, tmp_path):
    """The stuck process still holds the GPU: the request fails, and the worker claims nothing more."""
    requests, _ = repos
    submit(requests, tmp_path, request_id="q1")
    submit(requests, tmp_path, request_id="q2", model_id="org/next", at=later(1))

    def stuck(spec, workdir, cancel):
        raise RunFailed("crash", "the benchmark process did not exit after SIGKILL", machine_unusable=True)

    worker = make_worker(repos, tmp_path, execute=stuck)
    stop = threading.Event()
    looping = threading.Thread(target=worker.loop, args=(stop,), kwargs={"poll_s": 0.05})
    looping.start()
    looping.join(timeout=30)
    assert not looping.is_alive()  # it returned by itself, without `stop`
    assert requests.get("q1").status is RequestStatus.FAILED
    assert requests.get("q2").status is RequestStatus.PENDING  # left for a healthy worker
    assert "did not exit after SIGKILL" in worker.unusable


def test_a_local_dataset_copy_is_recorded_as_the_hub_dataset_it_copies(repos, tmp_path):
    from core.catalog import TASKS
    from runner.resolve import resolve_dataset

    (tmp_path / "models" / "local" / "tiny").mkdir(parents=True)
    copy = tmp_path / "datasets" / "text_classification"
    copy.mkdir(parents=True)
    (copy / "train.jsonl").write_text('{"text": "a fine film"}\n')
    worker = make_worker(repos, tmp_path, datasets_dir=tmp_path / "datasets")
    spec = worker.spec_for(make_request(model_id="local/tiny"))
    assert (spec.dataset, spec.dataset_copy_of) == (str(copy), "EnergyStarAI/text_classification")
    resolved = resolve_dataset(spec, TASKS[spec.task])
    assert resolved.name == "EnergyStarAI/text_classification" and resolved.revision.startswith("sha256:")
    elsewhere = spec.model_copy(update={"dataset_copy_of": None})
    assert resolve_dataset(elsewhere, TASKS[spec.task]).name == str(copy)  # any other folder: by its path


def test_local_model_folders_and_remote_code_allowance(repos, tmp_path):
    for name in ("local/tiny", "org/trusted", "org/other"):
        (tmp_path / "models" / name).mkdir(parents=True)
    worker = make_worker(repos, tmp_path, trusted_remote_code=frozenset({"org/trusted"}))
    assert worker.spec_for(make_request(model_id="local/tiny")).model == str(tmp_path / "models" / "local" / "tiny")
    assert worker.spec_for(make_request(model_id="org/trusted")).trust_remote_code
    assert not worker.spec_for(make_request(model_id="org/other")).trust_remote_code


def test_a_model_neither_local_nor_reachable_fails_with_a_load_error(repos, tmp_path):
    requests, _ = repos
    requests.add(make_request(request_id="q1", model_id="org/nowhere"))
    failed = make_worker(repos, tmp_path).run_once()
    assert failed.status is RequestStatus.FAILED
    assert failed.failure_reason == "load: org/nowhere is not a local model and this worker has no Hub access"


def test_hub_models_are_downloaded_at_their_revision_first(repos, tmp_path, hub_server, hub_api):
    requests, results = repos
    sha = hub_server.seed("tester/tiny", {"config.json": b'{"architectures": ["BertModel"]}'}, repo_type="model")
    requests.add(make_request(request_id="q1", model_id="tester/tiny"))
    requests.add(make_request(request_id="q2", model_id="tester/missing", at=later(1)))
    seen = []

    def execute(spec, workdir, cancel=None):
        seen.append(Path(spec.model))
        return measured(spec, workdir)

    (tmp_path / "datasets" / "text_classification").mkdir(parents=True)  # a local copy: no dataset download
    worker = make_worker(
        repos,
        tmp_path,
        execute=execute,
        hub=hub_api,
        cache_dir=tmp_path / "hub-cache",
        datasets_dir=tmp_path / "datasets",
    )
    done = worker.run_once()
    assert done.status is RequestStatus.FINISHED
    assert (seen[0] / "config.json").read_text() == '{"architectures": ["BertModel"]}'
    assert results.get(done.result_id).revision == sha  # the commit actually measured
    failed = worker.run_once()
    assert failed.failure_reason == "load: tester/missing@main not found on the Hub"


def test_the_tasks_hub_dataset_is_downloaded_when_no_local_copy_exists(repos, tmp_path, hub_server, hub_api):
    from runner.resolve import hub_snapshot

    requests, _ = repos
    rows = b'{"text": "a fine film"}\n{"text": "a dull one"}\n'
    sha = hub_server.seed("EnergyStarAI/text_classification", {"train.jsonl": rows}, repo_type="dataset")
    submit(requests, tmp_path, request_id="q1", model_id="org/a")
    submit(requests, tmp_path, request_id="q2", model_id="org/b", task=TaskId.EXTRACTIVE_QA, at=later(1))
    seen = []

    def execute(spec, workdir, cancel=None):
        seen.append(Path(spec.dataset))
        return measured(spec, workdir)

    worker = make_worker(repos, tmp_path, execute=execute, hub=hub_api, cache_dir=tmp_path / "hub-cache")
    assert worker.run_once().status is RequestStatus.FINISHED
    assert (seen[0] / "train.jsonl").read_bytes() == rows
    assert hub_snapshot(seen[0]) == ("EnergyStarAI/text_classification", sha)  # what the child records
    failed = worker.run_once()
    assert failed.failure_reason == "load: dataset EnergyStarAI/extractive_qa not found on the Hub"


def test_hub_snapshot_reads_only_cache_snapshot_folders():
    from runner.resolve import hub_snapshot

    sha = "c" * 40
    assert hub_snapshot(Path(f"/c/datasets--Org--My--Set/snapshots/{sha}")) == ("Org/My--Set", sha)
    assert hub_snapshot(Path(f"/c/models--org--m/snapshots/{sha}")) == ("org/m", sha)
    assert hub_snapshot(Path("/data/datasets/text_classification")) is None
    assert hub_snapshot(Path("/c/datasets--org--set/snapshots/main")) is None


def test_an_unreachable_hub_fails_the_request_with_a_load_error(repos, tmp_path):
    from huggingface_hub import HfApi

    requests, _ = repos
    requests.add(make_request(request_id="q1", model_id="org/elsewhere"))
    offline = HfApi(endpoint="http://127.0.0.1:9", token=None)
    failed = make_worker(repos, tmp_path, hub=offline, cache_dir=tmp_path / "cache").run_once()
    assert failed.status is RequestStatus.FAILED
    assert failed.failure_reason.startswith("load: org/elsewhere could not be downloaded from http://127.0.0.1:9 (")
    assert failed.failure_reason.endswith("); try again later") and len(failed.failure_reason) < 160
    assert "Traceback" in failed.log_excerpt  # the whole error is kept, in the log excerpt


def test_only_one_copy_of_the_pytorch_weights_is_downloaded(repos, tmp_path, hub_server, hub_api):
    requests, _ = repos
    files = {
        "config.json": b'{"architectures": ["BertModel"]}',
        "model.safetensors": b"\0" * 16,
        "pytorch_model.bin": b"\1" * 16,  # the same weights pickled: skipped beside safetensors
        "tf_model.h5": b"\2" * 16,
        "flax_model.msgpack": b"\3" * 16,
        "onnx/model.onnx": b"\4" * 16,
        "unet/diffusion_pytorch_model.safetensors": b"\5" * 16,
        "unet/diffusion_pytorch_model.fp16.safetensors": b"\6" * 16,  # a variant beside the plain copy
        "text_encoder/pytorch_model.bin": b"\7" * 16,  # the only copy in its folder: kept
        "vae/diffusion_pytorch_model.fp16.safetensors": b"\10" * 16,  # the only copy in its folder: kept
        "tokenizer.json": b"{}",
    }
    hub_server.seed("tester/many-copies", files)
    requests.add(make_request(request_id="q1", model_id="tester/many-copies"))
    (tmp_path / "datasets" / "text_classification").mkdir(parents=True)
    seen = []

    def execute(spec, workdir, cancel=None):
        seen.append(Path(spec.model))
        return measured(spec, workdir)

    worker = make_worker(
        repos, tmp_path, execute=execute, hub=hub_api, cache_dir=tmp_path / "cache", datasets_dir=tmp_path / "datasets"
    )
    assert worker.run_once().status is RequestStatus.FINISHED
    fetched = sorted(p.relative_to(seen[0]).as_posix() for p in seen[0].rglob("*") if p.is_file())
    assert fetched == [
        ".gitattributes",
        "config.json",
        "model.safetensors",
        "text_encoder/pytorch_model.bin",
        "tokenizer.json",
        "unet/diffusion_pytorch_model.safetensors",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]


def test_a_hub_echoing_the_token_leaves_it_out_of_the_public_failure(repos, tmp_path, hub_server):
    """A server (or a proxy before it) that quotes the request's headers in its error: the reason and the log
    excerpt of the FAILED request are public, so neither may hold the worker's token."""
    from huggingface_hub import HfApi

    from tests.conftest import HUB_TOKEN
    from tests.fault_proxy import FaultProxy

    requests, _ = repos
    requests.add(make_request(request_id="q1", model_id="tester/echoed"))
    with FaultProxy(hub_server.url) as proxy:
        proxy.inject("echo", times=None)
        hub = HfApi(endpoint=proxy.url, token=HUB_TOKEN)
        failed = make_worker(repos, tmp_path, hub=hub, cache_dir=tmp_path / "cache").run_once()
        assert any(fault == "echo" for _, _, fault in proxy.log)  # the echo was served
    assert failed.status is RequestStatus.FAILED
    assert failed.failure_reason.startswith("load: tester/echoed could not be downloaded from ")
    assert "Traceback" in failed.log_excerpt
    assert HUB_TOKEN not in failed.failure_reason + failed.log_excerpt
    assert HUB_TOKEN not in requests.store.read(f"records/tester/echoed/{failed.id}.json").decode()
