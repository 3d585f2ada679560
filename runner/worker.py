"""The queue worker: claims PENDING requests, runs them, publishes results or FAILED, and loops.

Exactly one worker gets each request: a claim is a compare-and-swap of the request record. A running
worker renews its lease; a request whose worker died goes back to PENDING when the lease expires (and
fails for good after `max_attempts`). A failing model never kills the worker.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, TypeVar

import pandas as pd
from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

from core import hub_http
from core.archive import zip_folder
from core.catalog import TASKS, TaskId
from core.models import Request, RequestStatus, Result
from core.repos import DuplicateRecord, RecordError, RequestsRepo, ResultsRepo, StaleRecord
from core.settings import HUB_FAILURES
from core.store import NotFound, Put, StoreError
from runner.engine import Redactor, RunFailed, known_secrets
from runner.spec import RunSpec

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Execute(Protocol):
    """Runs one benchmark (`runner.engine.run`); must stop soon after `cancel` is set."""

    def __call__(self, spec: RunSpec, workdir: Path, *, cancel: threading.Event) -> Result: ...


_COMMIT = re.compile(r"[0-9a-f]{40}")
LOG_EXCERPT_CHARS = 4000
LOGS_ARCHIVE = "logs.zip"


# Weights for other frameworks, which the PyTorch benchmark never loads.
_OTHER_FORMATS = (".onnx", ".onnx_data", ".msgpack", ".h5", ".tflite", ".gguf", ".ot", ".mlmodel")
_OTHER_FOLDERS = ("onnx/", "openvino/", "coreml/", "tflite/", "gguf/")
_PICKLED = (".bin", ".pt", ".pth", ".ckpt")
_VARIANT = re.compile(r"\.(fp16|bf16|fp32|ema|non_ema)\.(safetensors|bin)$")


def files_to_fetch(files: list[str]) -> list[str]:
    """The repo files the benchmark needs: one copy of the PyTorch weights per folder, and everything else.

    A model repo often holds its weights several times (pickled and safetensors, fp16 variants, ONNX, Flax,
    TensorFlow); transformers and diffusers load the safetensors, non-variant copy when a folder has one.
    """
    by_folder: dict[str, list[str]] = {}
    for name in files:
        by_folder.setdefault(name.rpartition("/")[0], []).append(name)
    kept = []
    for name in files:
        if name.endswith(_OTHER_FORMATS) or name.startswith(_OTHER_FOLDERS):
            continue
        siblings = by_folder[name.rpartition("/")[0]]
        if name.endswith(_PICKLED) and any(other.endswith(".safetensors") for other in siblings):
            continue
        plain_weights = [o for o in siblings if o.endswith((".safetensors", *_PICKLED)) and not _VARIANT.search(o)]
        if _VARIANT.search(name) and plain_weights:
            continue
        kept.append(name)
    return kept


def download_model(hub: HfApi, model_id: str, revision: str | None, cache_dir: Path | None) -> str:
    """A Hub model's folder at the commit `revision` resolves to, with what the benchmark needs of it.

    The benchmark itself runs offline, so every file it needs is fetched first. Raises RunFailed ("load").
    """
    with _hub_failures(model_id, f"{model_id}@{revision or 'main'}", hub.endpoint):
        info = hub.model_info(model_id, revision=revision)
        return snapshot_download(
            model_id,
            revision=info.sha,
            allow_patterns=files_to_fetch([sibling.rfilename for sibling in info.siblings or ()]),
            cache_dir=cache_dir,
            endpoint=hub.endpoint,
            token=hub.token,
        )


def download_dataset(hub: HfApi, task: TaskId, cache_dir: Path | None) -> str:
    """The task's Hub dataset, downloaded; its folder records the id and commit. Raises RunFailed ("load")."""
    dataset = TASKS[task].dataset
    with _hub_failures(f"dataset {dataset}", f"dataset {dataset}", hub.endpoint):
        return snapshot_download(
            dataset, repo_type="dataset", cache_dir=cache_dir, endpoint=hub.endpoint, token=hub.token
        )


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WorkerConfig:
    worker_id: str
    workdir: Path
    lease_s: float = 600.0
    max_attempts: int = 3
    timeout_s: float = 6 * 3600
    device: str = "cuda"
    models_dir: Path | None = None  # local model folders, by model id: <models_dir>/<org>/<name>
    cache_dir: Path | None = None  # where Hub models are downloaded
    datasets_dir: Path | None = None  # local copies of the tasks' Hub datasets: <datasets_dir>/<task id>
    trusted_remote_code: frozenset[str] = field(default_factory=frozenset)


class Worker:
    def __init__(
        self,
        requests: RequestsRepo,
        results: ResultsRepo,
        config: WorkerConfig,
        *,
        execute: Execute,
        hub: HfApi | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.requests = requests
        self.results = results
        self.config = config
        self.execute = execute
        self.hub = hub
        self.clock = clock
        self.unusable: str | None = None  # why this machine can run nothing more, once it cannot

    # Queue operations

    def requeue_expired(self) -> list[Request]:
        """RUNNING requests whose lease ran out go back to PENDING, or FAILED after too many attempts."""
        frame = self.requests.table().frame
        now = pd.Timestamp(self.clock())
        stale = frame.loc[(frame["status"] == RequestStatus.RUNNING.value) & (frame["lease_expires_at"] < now)]
        moved = []
        for request_id in stale["id"]:
            current = self._readable(request_id)
            if (
                current is None
                or current.status is not RequestStatus.RUNNING
                or current.lease_expires_at > self.clock()
            ):
                continue
            if current.attempts >= self.config.max_attempts:
                target = current.moved_to(
                    RequestStatus.FAILED,
                    self.clock(),
                    failure_reason=f"worker_lost: no worker finished it in {current.attempts} attempts",
                )
            else:
                target = current.moved_to(RequestStatus.PENDING, self.clock())
            try:
                self.requests.replace(target, expected=current)
            except StaleRecord:
                continue  # its worker renewed the lease or another worker requeued it first
            logger.warning("request %s: lease of %s expired, now %s", request_id, current.worker_id, target.status)
            moved.append(target)
        return moved

    def claim(self) -> Request | None:
        """The oldest PENDING request, now RUNNING under this worker's lease; None when the queue is empty."""
        frame = self.requests.table().frame
        pending = frame.loc[frame["status"] == RequestStatus.PENDING.value].sort_values(["submitted_at", "id"])
        for request_id in pending["id"]:
            current = self._readable(request_id)
            if current is None or current.status is not RequestStatus.PENDING:
                continue
            now = self.clock()
            claimed = current.moved_to(
                RequestStatus.RUNNING,
                now,
                worker_id=self.config.worker_id,
                lease_expires_at=now + timedelta(seconds=self.config.lease_s),
            )
            try:
                self.requests.replace(claimed, expected=current)
            except StaleRecord:
                continue  # another worker won this one
            return claimed
        return None

    def _readable(self, request_id: str) -> Request | None:
        """The stored request; None, logged with its path, when its record is missing or invalid: one bad
        record is skipped, never stops the queue (a failing store still raises, to be retried)."""
        try:
            return self.requests.get(request_id)
        except (RecordError, NotFound) as err:
            logger.error("worker %s: skipping request %s: %s", self.config.worker_id, request_id, err)
            return None

    def run_once(self) -> Request | None:
        """Requeue what died, then claim and process one request; returns it in its final state."""
        self.requeue_expired()
        request = self.claim()
        return self.process(request) if request else None

    def loop(self, stop: threading.Event, *, poll_s: float = 5.0) -> None:
        """Serve the queue until `stop` is set, or until the machine is unusable (a benchmark that survived
        SIGKILL still holds the GPU: every later run would measure it too)."""
        while not stop.is_set() and self.unusable is None:
            try:
                done = self.run_once()
            except Exception:  # the store hiccupped: log it and keep serving
                logger.exception("worker %s: queue operation failed", self.config.worker_id)
                done = None
            if done is None:
                stop.wait(poll_s)
        if self.unusable is not None:
            logger.critical("worker %s stops: %s", self.config.worker_id, self.unusable)

    # Running one request

    def model_path(self, request: Request) -> str:
        """A local folder of the model: from `models_dir`, or downloaded from the Hub at its revision."""
        if self.config.models_dir is not None and (self.config.models_dir / request.model_id).is_dir():
            return str(self.config.models_dir / request.model_id)
        if self.hub is None:
            raise RunFailed("load", f"{request.model_id} is not a local model and this worker has no Hub access")
        return download_model(self.hub, request.model_id, request.revision, self.config.cache_dir)

    def dataset_path(self, request: Request) -> str | None:
        """A local folder of the task's dataset: from `datasets_dir`, or the Hub dataset downloaded.

        None without either: the benchmark then looks in the machine's Hugging Face cache, and says how
        to fill it when the dataset is not there.
        """
        if self.config.datasets_dir is not None and (self.config.datasets_dir / request.task.value).is_dir():
            return str(self.config.datasets_dir / request.task.value)
        if self.hub is None:
            return None
        return download_dataset(self.hub, request.task, self.config.cache_dir)

    def spec_for(self, request: Request) -> RunSpec:
        model = self.model_path(request)  # the model first: a request for a missing model fails on its name
        dataset = self.dataset_path(request)
        is_copy = self.config.datasets_dir is not None and dataset == str(self.config.datasets_dir / request.task.value)
        return RunSpec(
            model=model,
            dataset=dataset,
            dataset_copy_of=TASKS[request.task].dataset if is_copy else None,
            task=request.task,
            revision=request.revision,
            device=self.config.device,  # type: ignore[arg-type]
            trust_remote_code=request.model_id in self.config.trusted_remote_code,
            timeout_s=self.config.timeout_s,
        )

    def process(self, request: Request) -> Request:
        """Run a claimed request; publish its result, or mark it FAILED with the reason and a log excerpt."""
        published = self._published_result(request)
        if published is not None:  # an earlier attempt published, then its worker died before finishing
            return self._finish(request, published)
        workdir = self.config.workdir / f"{request.id}-attempt{request.attempts}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        heartbeat = _Heartbeat(self, request)
        heartbeat.start()
        try:
            return self._run_and_publish(request, workdir, heartbeat)
        finally:
            heartbeat.stop()

    def _run_and_publish(self, request: Request, workdir: Path, heartbeat: _Heartbeat) -> Request:
        """The run, then its result or failure, written while the heartbeat still holds the lease: a request
        whose lease ran out may be running on another worker already, and must not get two outcomes."""
        try:
            spec = self.spec_for(request)
            result = self.execute(spec, workdir, cancel=heartbeat.lost)
        except RunFailed as err:
            failure, excerpt = f"{err.error_class}: {err}", err.log_excerpt
            if err.machine_unusable:
                self.unusable = str(err)
        except Exception as err:  # a bug of ours or an unexpected library error: the worker carries on
            logger.exception("request %s: unexpected error", request.id)
            failure, excerpt = f"internal: {type(err).__name__}: {err}", traceback.format_exc()
        else:
            failure = excerpt = None
        if heartbeat.lost.is_set():
            return self._lost(request)
        if failure is not None:
            done = heartbeat.finish(lambda current: self._fail(current, failure, excerpt or ""))
            return done if done is not None else self._lost(request)
        snapshot = Path(spec.model).name  # a Hub download lives in .../snapshots/<commit sha>
        result_id = f"{request.id}-a{request.attempts}"
        logs_path = f"logs/{result_id}"
        result = Result.model_validate(
            result.model_dump()
            | {
                "id": result_id,
                "request_id": request.id,
                "model_id": request.model_id,
                "revision": snapshot if _COMMIT.fullmatch(snapshot) else request.revision,
                "logs_path": logs_path,
            }
        )
        # The log folder travels with the result, in the same commit: `python -m runner validate` re-checks it.
        logs = [Put(f"{logs_path}/{LOGS_ARCHIVE}", zip_folder(workdir))]
        try:
            self.patiently(lambda: self.results.add(result, extra=logs, guard=_first_result_of(request.id)))
        except DuplicateRecord:  # another attempt of this request published first: that result stands
            result_id = self._published_result(request) or result_id
        done = heartbeat.finish(lambda current: self._finish(current, result_id))
        return done if done is not None else self._lost(request)

    def _lost(self, request: Request) -> Request:
        logger.error("request %s: lease lost to another worker; nothing written", request.id)
        return self.requests.get(request.id)

    def patiently(self, write: Callable[[], T]) -> T:
        """A store write, retried with back-off on store errors (the Hub hiccups) for up to one lease."""
        deadline = time.monotonic() + self.config.lease_s
        delay = 0.5
        while True:
            try:
                return write()
            except NotFound:
                raise
            except StoreError as err:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning("store write failed (%s); retrying in %g s", err, delay)
                time.sleep(delay)
                delay = min(2 * delay, 30.0)

    def held(self, request: Request) -> Request | None:
        """The stored request if this worker's claim on it (this attempt) still stands, else None."""
        try:
            stored = self.requests.get(request.id)
        except NotFound:
            return None
        ours = stored.status is RequestStatus.RUNNING and stored.worker_id == self.config.worker_id
        return stored if ours and stored.attempts == request.attempts else None

    def _published_result(self, request: Request) -> str | None:
        frame = self.results.table().frame
        rows = frame.loc[frame["request_id"] == request.id, "id"]
        return rows.iloc[-1] if len(rows) else None

    def _finish(self, request: Request, result_id: str) -> Request:
        done = request.moved_to(RequestStatus.FINISHED, self.clock(), result_id=result_id)
        self.requests.replace(done, expected=request)
        logger.info("request %s: finished, result %s", request.id, result_id)
        return done

    def _fail(self, request: Request, reason: str, excerpt: str) -> Request:
        # Both are public. The child's output is scrubbed by the engine; this covers what the worker itself
        # caught (a library error quoting its token, a server echoing it).
        redact = Redactor(
            known_secrets(os.environ, [self.hub.token] if self.hub and isinstance(self.hub.token, str) else [])
        )
        reason, excerpt = redact(reason), redact(excerpt)
        failed = request.moved_to(
            RequestStatus.FAILED, self.clock(), failure_reason=reason, log_excerpt=excerpt[-LOG_EXCERPT_CHARS:] or None
        )
        self.requests.replace(failed, expected=request)
        logger.info("request %s: failed: %s", request.id, reason)
        return failed


@contextmanager
def _hub_failures(name: str, at_revision: str, endpoint: str) -> Iterator[None]:
    """A download that fails becomes a `load` failure saying why: gated, missing, or the Hub unreachable."""
    try:
        yield
    except GatedRepoError as err:
        raise RunFailed("load", f"{name} is gated: the worker's token has no access") from err
    except (RepositoryNotFoundError, RevisionNotFoundError) as err:
        raise RunFailed("load", f"{at_revision} not found on the Hub") from err
    except HUB_FAILURES as err:  # unreachable (httpx's errors are no OSError), the Hub failed, a file is missing
        status = getattr(getattr(err, "response", None), "status_code", None)
        reason = hub_http.failure(err)
        transient = status is None or status == 429 or status >= 500  # unreachable, throttled, or the Hub failed
        raise RunFailed(
            "load",
            f"{name} could not be downloaded from {endpoint} ({reason})" + ("; try again later" if transient else ""),
            _frames_only(err)[-LOG_EXCERPT_CHARS:],
        ) from err


def _frames_only(err: BaseException) -> str:
    """Where an error came from, without its message: a Hub client's message can quote the server's answer,
    and a server may echo the request's headers, the token included."""
    frames = "".join(traceback.format_tb(err.__traceback__))
    return f"Traceback (most recent call last):\n{frames}{type(err).__module__}.{type(err).__qualname__}\n"


def _first_result_of(request_id: str) -> Callable[[pd.DataFrame], None]:
    """A guard for ResultsRepo.add: a request gets one result, whichever attempt publishes first."""

    def guard(frame: pd.DataFrame) -> None:
        if (frame["request_id"] == request_id).any():
            raise DuplicateRecord(f"request {request_id} already has a result")

    return guard


class _Heartbeat:
    """Renews the running request's lease until stopped; sets `lost` when another worker took the request.

    A store error (the Hub hiccupped) is retried at the next beat; the lease is lost only if it runs out or
    another worker holds the request. `finish` makes the request's last write under the same lock, so no
    renewal can slip in between.
    """

    def __init__(self, worker: Worker, request: Request) -> None:
        self.worker = worker
        self.request = request
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"lease-{request.id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        interval = self.worker.config.lease_s / 3
        while not self._stop.wait(interval):
            with self._lock:
                if self._stop.is_set():
                    return
                try:
                    self._renew()
                except Exception:
                    logger.exception("request %s: lease renewal failed; retrying at the next beat", self.request.id)
                if self.lost.is_set():
                    logger.error("request %s: lease lost; stopping its run", self.request.id)
                    return

    def _renew(self) -> None:
        """One renewal; sets `lost` when the request is no longer this worker's."""
        for _ in range(2):  # a second try when our previous renewal landed though its answer was lost
            renewed = self.request.with_lease(self.worker.clock() + timedelta(seconds=self.worker.config.lease_s))
            try:
                self.worker.requests.replace(renewed, expected=self.request)
            except (StaleRecord, NotFound):
                held = self.worker.held(self.request)
                if held is None:
                    self.lost.set()
                    return
                self.request = held
                continue
            self.request = renewed
            return

    def finish(self, write: Callable[[Request], Request]) -> Request | None:
        """Stop renewing and make the request's final write (FINISHED or FAILED) with its latest version;
        None when the request is no longer this worker's."""
        with self._lock:
            self._stop.set()
            for _ in range(2):
                if self.lost.is_set():
                    return None
                try:
                    return self.worker.patiently(lambda: write(self.request))
                except (StaleRecord, NotFound):
                    held = self.worker.patiently(lambda: self.worker.held(self.request))
                    if held is None:
                        self.lost.set()
                        return None
                    self.request = held
            return None

    def stop(self) -> Request:
        self._stop.set()
        self._thread.join()
        with self._lock:
            return self.request
