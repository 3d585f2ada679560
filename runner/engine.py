"""Runs one benchmark in its own subprocess (`python -m runner.child`) and turns its log folder into a Result.

Light on purpose: the parent imports nothing of the benchmark stack. The child runs in a process group of
its own, so a timeout or a cancelled run kills it and everything it started. The protocol: the child
prints progress as JSON lines on stdout, writes its stderr to `child.log`, and leaves either
`summary.json` (the Result) or `failure.json` (a classified failure) in the working folder.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.models import Result
from runner.spec import RunSpec

if TYPE_CHECKING:
    from runner.hardware import GpuInfo

logger = logging.getLogger(__name__)

ErrorClass = Literal["refused", "load", "oom", "inference", "timeout", "cancelled", "crash", "measurement", "internal"]
ERROR_CLASSES: dict[ErrorClass, str] = {
    "refused": "the request cannot run here: bad input, the model does not fit, or its own code is not allowed",
    "load": "the model or the dataset cannot be loaded",
    "oom": "out of memory while running",
    "inference": "the model raised an error while running the task",
    "timeout": "the run exceeded its time limit and was stopped",
    "cancelled": "the run was stopped because its worker no longer held the request",
    "crash": "the benchmark process died or was killed by a signal",
    "measurement": "the energy measurement was unusable",
    "internal": "a fault of the runner itself",
}

SPEC_FILE = "spec.json"
SUMMARY_FILE = "summary.json"
FAILURE_FILE = "failure.json"
CHILD_LOG = "child.log"
LOG_EXCERPT_CHARS = 4000
REPO_ROOT = Path(__file__).resolve().parent.parent
# The child works offline (the worker downloads models and datasets beforehand) and sends no telemetry.
CHILD_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PYTHONUNBUFFERED": "1",
    # No Hub token is read from a token file either: the child never needs one.
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_TOKEN_PATH": os.devnull,
}
# What the child inherits of the parent's environment, and nothing else: it runs model code, which may be the
# model author's own (trust_remote_code) and could print or send whatever it finds. Python, the CUDA stack,
# PyTorch and CodeCarbon need only these: the search path, the home and temporary folders, the locale, the
# CUDA and NVIDIA container settings, thread counts and cache folders.
INHERITED_ENV_NAMES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "LD_LIBRARY_PATH"}
    | {"VIRTUAL_ENV", "XDG_CACHE_HOME", "HF_HOME", "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_MODULES_CACHE"}
    | {"HF_XET_CACHE", "TRITON_CACHE_DIR", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"}
)
INHERITED_ENV_PREFIXES = ("LC_", "CUDA_", "NVIDIA_", "PYTORCH_", "TORCH_", "CODECARBON_")
# Never inherited, whatever the lists above say: a name with one of these words holds a credential.
SECRET_NAME_WORDS = ("TOKEN", "SECRET", "KEY", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "COOKIE")
# A secret-named variable's value is redacted from what the child leaves behind when it is at least this long
# (shorter ones are flags: HF_HUB_DISABLE_IMPLICIT_TOKEN=1 must not turn every "1" of a log into a redaction).
MIN_SECRET_CHARS = 8
PR_SET_DUMPABLE, PR_GET_DUMPABLE = 4, 3  # linux/prctl.h
REDACTED = "[redacted]"
_POLL_S = 0.05
_CANCEL_POLL_S = 0.5
# A child killed with SIGKILL is gone at once unless it is stuck in the kernel (a hung GPU driver call).
_REAP_TIMEOUT_S = 60.0


class RunFailed(Exception):
    """A run that produced no result, with a reason from a closed set and the end of the child's log."""

    def __init__(
        self, error_class: ErrorClass, message: str, log_excerpt: str = "", *, machine_unusable: bool = False
    ) -> None:
        if error_class not in get_args(ErrorClass):
            raise ValueError(f"unknown error class {error_class!r}; valid: {', '.join(get_args(ErrorClass))}")
        super().__init__(message)
        self.error_class = error_class
        self.log_excerpt = log_excerpt
        self.machine_unusable = machine_unusable  # no further run can be trusted here: a worker stops


class Failure(BaseModel):
    """What the child writes to failure.json."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    error_class: ErrorClass
    message: str


class Progress(BaseModel):
    """One progress event of a running benchmark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    phase: str = Field(description="prepare, load, warmup, preprocess, prefill, generate, forward, call, memory, done")
    repetition: int | None = Field(default=None, description="1-based, during the measured repetitions.")
    repetitions: int = Field(gt=0)
    done: float = Field(ge=0, le=1, description="Fraction of the measured windows completed.")
    eta_s: float | None = Field(default=None, ge=0, description="Estimated seconds left; None until measured.")


def new_result_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def run(
    spec: RunSpec,
    workdir: Path,
    *,
    request_id: str | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    secrets: Iterable[str] = (),
) -> Result:
    """Benchmark `spec` in a child process with `workdir` (new or empty) as its log folder.

    Returns the Result, valid or not (its checks say which gates failed). Raises RunFailed when no
    result could be produced; `error_class` says why and `log_excerpt` holds the end of `child.log`.
    Setting `cancel` stops the child within a second (a worker that lost its lease must not run on).
    The child gets `child_environment()`; whatever it leaves in `workdir` is scrubbed of `secrets` and of
    the parent's own (`known_secrets`) before anything reads it, so no log, excerpt or result holds one.
    """
    redact = Redactor(known_secrets(os.environ, secrets))
    hide_own_environment()
    try:
        return _run(spec, workdir, request_id, on_progress, cancel, redact)
    except RunFailed as err:  # its message quotes the child's failure.json, its excerpt child.log: both scrubbed
        raise RunFailed(
            err.error_class, redact(str(err)), redact(err.log_excerpt), machine_unusable=err.machine_unusable
        ) from None


def _run(
    spec: RunSpec,
    workdir: Path,
    request_id: str | None,
    on_progress: Callable[[Progress], None] | None,
    cancel: threading.Event | None,
    redact: Redactor,
) -> Result:
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if any(workdir.iterdir()):
        raise ValueError(f"workdir {workdir} is not empty: each run needs a fresh folder")
    env = child_environment(os.environ, candidate_gpus(spec))  # before the child exists: it may refuse the run
    (workdir / SPEC_FILE).write_text(spec.model_dump_json(indent=2))
    command = [sys.executable, "-m", "runner.child", str(workdir), "--result-id", new_result_id()]
    command += ["--parent-pid", str(os.getpid())]
    if request_id is not None:
        command += ["--request-id", request_id]
    logger.info("benchmark %s on %s: child started in %s", spec.model, spec.task.value, workdir)
    with (workdir / CHILD_LOG).open("wb") as log:
        child = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,  # its own process group: one kill stops it and all it started
        )
        events: queue.Queue[Progress | None] = queue.Queue()
        reader = threading.Thread(
            target=_read_events, args=(child.stdout, events, redact), name="child-events", daemon=True
        )
        reader.start()
        try:
            ending = _follow(child, events, time.monotonic() + spec.timeout_s, on_progress, cancel)
        finally:
            reaped = _kill_group(child)
            if reaped:
                reader.join()
                child.stdout.close()
            _scrub_folder(workdir, redact)
    if not reaped:
        raise RunFailed(
            "crash",
            f"the benchmark process did not exit {_REAP_TIMEOUT_S:g} s after SIGKILL (stuck in a driver call?); "
            "check the machine before running more",
            _excerpt(workdir),
            machine_unusable=True,
        )
    if ending == "deadline":
        raise RunFailed(
            "timeout",
            f"the run exceeded its limit of {spec.timeout_s} s and was stopped; raise timeout_s if the model is slow",
            _excerpt(workdir),
        )
    if ending == "cancelled":
        raise RunFailed("cancelled", "the run was stopped on request before it finished", _excerpt(workdir))
    return _outcome(child.returncode, workdir)


def _follow(
    child: subprocess.Popen,
    events: queue.Queue[Progress | None],
    deadline: float,
    on_progress: Callable[[Progress], None] | None,
    cancel: threading.Event | None,
) -> Literal["exited", "deadline", "cancelled"]:
    """Forward progress until the child exits, the deadline passes or `cancel` is set."""
    while True:
        if cancel is not None and cancel.is_set():
            return "cancelled"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "deadline"
        try:
            event = events.get(timeout=min(remaining, _CANCEL_POLL_S))
        except queue.Empty:
            continue
        if event is None:  # stdout closed: the child is exiting
            break
        if on_progress is not None:
            on_progress(event)
    while time.monotonic() < deadline:
        if cancel is not None and cancel.is_set():
            return "cancelled"
        # Wait without reaping, so the process group id stays ours until _kill_group has run.
        if os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return "exited"
        time.sleep(_POLL_S)
    return "deadline"


def _read_events(stream: IO[bytes], events: queue.Queue[Progress | None], redact: Redactor) -> None:
    for raw in stream:
        line = raw.decode(errors="replace").strip()
        if not line:
            continue
        try:
            events.put(Progress.model_validate_json(line))
        except ValidationError:
            logger.warning("child printed a line that is not a progress event: %r", redact(line)[:200])
    events.put(None)


def hide_own_environment() -> bool:
    """Make this process non-dumpable (Linux `prctl(PR_SET_DUMPABLE, 0)`), so that a child running a model's
    own code as the same user cannot read our environment, token included, from /proc/<our pid>/environ, nor
    attach a debugger to us. It does not stop root, nor a child reading a token file it can open: a worker
    that allows models' own code should run without a token file and not as root. False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0


def candidate_gpus(spec: RunSpec) -> list[GpuInfo]:
    """The GPUs a cuda run may use, as NVML sees them (narrowed by our CUDA_VISIBLE_DEVICES); the child runs
    the model on the first ones it needs. None for a CPU run. Refuses a machine with none, or one in MIG mode."""
    if spec.device != "cuda":
        return []
    from runner.hardware import NoGpu, visible_gpus

    try:
        gpus = visible_gpus()
    except NoGpu as err:
        raise RunFailed("refused", f"device cuda was asked for, but {err}; use device cpu on this machine") from err
    for gpu in gpus:
        if gpu.mig_enabled:
            raise RunFailed(
                "refused",
                f"GPU {gpu.index} ({gpu.name}, {gpu.uuid}) is in MIG mode: its energy counter covers the whole GPU, "
                f"so no MIG instance's energy can be measured. Disable MIG (nvidia-smi -i {gpu.index} -mig 0, as "
                "root, GPU idle) or leave this GPU out with CUDA_VISIBLE_DEVICES.",
            )
    return gpus


def child_environment(parent: Mapping[str, str], gpus: Sequence[GpuInfo] = ()) -> dict[str, str]:
    """The child's whole environment: the allowed part of `parent`, never a secret-named variable, plus ours;
    for a GPU run, `gpus` pinned as its CUDA devices (runner.hardware.cuda_environment), whatever `parent` said."""
    inherited = {
        name: value
        for name, value in parent.items()
        if (name in INHERITED_ENV_NAMES or name.startswith(INHERITED_ENV_PREFIXES)) and not _secret_name(name)
    }
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), parent.get("PYTHONPATH")]))
    cuda: dict[str, str] = {}
    if gpus:
        from runner.hardware import cuda_environment

        cuda = cuda_environment(gpus)
    return inherited | CHILD_ENV | {"PYTHONPATH": path} | cuda


def _secret_name(name: str) -> bool:
    return any(word in name.upper() for word in SECRET_NAME_WORDS)


def known_secrets(parent: Mapping[str, str], extra: Iterable[str] = ()) -> frozenset[str]:
    """Values no child output may show: `extra` (the worker's Hub token), the parent's secret-named variables,
    and the token huggingface_hub would use (its token file included)."""
    from huggingface_hub import get_token

    values = {*extra, get_token() or ""}
    values |= {value for name, value in parent.items() if _secret_name(name) and len(value) >= MIN_SECRET_CHARS}
    return frozenset(value for value in values if value and value.strip())


class Redactor:
    """Replaces every known secret value in a text; false when there is none to look for."""

    def __init__(self, secrets: frozenset[str]) -> None:
        self.ordered = sorted(secrets, key=len, reverse=True)  # a secret inside a longer one must not split it

    def __bool__(self) -> bool:
        return bool(self.ordered)

    def __call__(self, text: str) -> str:
        for secret in self.ordered:
            text = text.replace(secret, REDACTED)
        return text


def _scrub_folder(workdir: Path, redact: Redactor) -> None:
    """Rewrite every file the child left in `workdir` that holds a secret, with the secret redacted: the
    folder is published with the result, and its log's end with a failure. Links are replaced, never followed."""
    if not redact:
        return
    for folder, _, names in os.walk(workdir):
        for name in names:
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            text = path.read_bytes().decode(errors="surrogateescape")
            scrubbed = redact(text)
            if scrubbed != text:
                temporary = path.with_name(f".{name}.scrubbed")
                temporary.write_bytes(scrubbed.encode(errors="surrogateescape"))
                os.replace(temporary, path)
                logger.warning("%s held a secret value; it was redacted", path.relative_to(workdir))


def _kill_group(child: subprocess.Popen) -> bool:
    """Kill the child's process group (whatever is left of it), then reap the child; False if it won't die."""
    with contextlib.suppress(ProcessLookupError):  # the whole group has already exited
        os.killpg(child.pid, signal.SIGKILL)
    try:
        child.wait(timeout=_REAP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        logger.error("benchmark process %s survived SIGKILL for %g s", child.pid, _REAP_TIMEOUT_S)
        return False
    return True


def _excerpt(workdir: Path) -> str:
    log = workdir / CHILD_LOG
    return log.read_text(errors="replace")[-LOG_EXCERPT_CHARS:] if log.exists() else ""


def _outcome(returncode: int, workdir: Path) -> Result:
    excerpt = _excerpt(workdir)
    if returncode < 0:
        name = signal.Signals(-returncode).name
        hint = " (the kernel's out-of-memory killer sends SIGKILL: see the system log)" if name == "SIGKILL" else ""
        raise RunFailed("crash", f"the benchmark process was killed by {name}{hint}", excerpt)
    failure_file = workdir / FAILURE_FILE
    if failure_file.exists():
        failure = Failure.model_validate_json(failure_file.read_text())
        raise RunFailed(failure.error_class, failure.message, excerpt)
    if returncode != 0:
        raise RunFailed("crash", f"the benchmark process exited with status {returncode} without saying why", excerpt)
    summary = workdir / SUMMARY_FILE
    try:
        return Result.model_validate_json(summary.read_text())
    except FileNotFoundError:
        raise RunFailed(
            "internal", f"the benchmark process exited cleanly but wrote no {SUMMARY_FILE}", excerpt
        ) from None
    except ValidationError as err:
        raise RunFailed("internal", f"{SUMMARY_FILE} is not a valid result: {err}", excerpt) from err


def write_failure(workdir: Path, error_class: ErrorClass, message: str) -> None:
    """The child's side of the protocol: record a classified failure."""
    (workdir / FAILURE_FILE).write_text(Failure(error_class=error_class, message=message).model_dump_json(indent=2))
