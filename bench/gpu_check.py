"""GPU check: the probe, the NVML energy counter, CodeCarbon against it, and the full runner, in one 8-minute command.

    python bench/gpu_check.py [--dry-run] [--out DIR] [--steps 0,1,2,3]

Steps, each with its own time budget (a failing step records its error and the next one runs):
  0. probe: driver, torch/CUDA, MIG, power limits, NVML's GPU UUIDs against torch's (CUDA_DEVICE_ORDER=PCI_BUS_ID).
  1. the counter alone (nvmlDeviceGetTotalEnergyConsumption), idle, idle with a CUDA context, under a steady
     matmul load: its update period and energy step, the powers, the counter against the integral of
     sampled instant power (nvmlDeviceGetPowerUsage, goal ±5 %), and the counter's error against window length.
  2. CodeCarbon (the runner's own offline tracker) against the counter on windows of 0.2–10 s under load
     (goal: within one counter update per window).
  3. the full runner (`runner.engine.run`) on a BERT-base-shaped classifier (FP32, 1,000 queries × 10) and a
     GPT-2-small-shaped generator (FP16, 1,000 × 5), random weights from configs, no Hub (goals: CV under 2 %,
     a plausible Wh per 1,000 queries). Their settings_conform and dataset_standard gates fail by design.

Figures are written as they come: DIR/figures.jsonl (one JSON object a line: figures, criteria, one record per
step, a summary) and DIR/gpu_check.md (tables for BENCHMARKS.md), both flushed after each record. Exit status
0 when every criterion passed, 1 otherwise. DIR defaults to bench/out/gpu-check-<time>.

`--dry-run` runs every step on CPU against bench/fake_nvml.py (a simulated counter that publishes every 0.1 s
in whole joules) with short windows and tiny models, in well under a minute; `--fake-uuid-mismatch` makes
its torch device report another UUID, so step 0 must fail.

On the GPU machine (Python 3.12, CUDA torch, transformers 5, nvidia-ml-py, no network): it lacks
optimum-benchmark, codecarbon, datasets, hydra-core, omegaconf, antlr4-python3-runtime, pydantic,
pydantic-settings (shared/reference/stack.md). Prepare the wheels here (pure Python except pydantic-core; the
whole set is a few MiB, within the 64 MiB a call carries) and carry the folder:

    .venv/bin/pip download --no-deps --only-binary=:all: --python-version 3.12 \\
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 -d wheels312 \\
        optimum-benchmark==0.6.0 codecarbon==3.3.2 datasets==5.2.0 hydra-core==1.3.8 omegaconf==2.3.0 \\
        antlr4-python3-runtime==4.9.3 pydantic==2.14.3 pydantic-core pydantic-settings \\
        arrow fief-client prometheus-client py-cpuinfo pyyaml questionary rapidfuzz rich typer \\
        dill multiprocess xxhash fsspec

(check `pip install --no-index --find-links wheels312 --target deps -r runner/requirements.txt --dry-run` on
the device for anything else missing; torch, transformers, huggingface_hub, numpy, pandas, pyarrow, psutil stay
the machine's own.) Then, with `carry: ["wheels312"]`:

    pip install --no-index --no-deps --target /tmp/deps wheels312/*.whl && \\
    PYTHONPATH=/tmp/deps HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 \\
    timeout 540 python bench/gpu_check.py --out $OUT/gpu-check

and paste $OUT/gpu-check/gpu_check.md into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOTAL_BUDGET_S = 480.0
INTEGRAL_TOLERANCE = 0.05
CV_GOAL = 0.02
UUID_ENV = {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "PYTORCH_NVML_BASED_CUDA_CHECK": "1"}  # as the engine sets them


@dataclass(frozen=True)
class Case:
    label: str
    kind: str  # bert or gpt2
    width: int
    layers: int
    samples: int
    repetitions: int
    warmup_runs: int
    plausible_wh: tuple[float, float]  # Wh per 1,000 queries
    timeout_s: float


@dataclass(frozen=True)
class Plan:
    """How long each measurement lasts: the GPU's, or the dry run's seconds."""

    idle_s: float
    settle_s: float  # after a state change, before measuring
    load_s: float
    power_sample_s: float
    window_lengths_s: tuple[float, ...]  # step 1's error-against-length analysis
    codecarbon_windows_s: tuple[float, ...]
    codecarbon_repeats: int
    cases: tuple[Case, ...]
    device: str


GPU_PLAN = Plan(
    idle_s=8,
    settle_s=3,
    load_s=20,
    power_sample_s=0.01,
    window_lengths_s=(0.1, 0.2, 0.5, 1, 2, 5, 10),
    codecarbon_windows_s=(0.2, 0.5, 1, 2, 5, 10),
    codecarbon_repeats=2,
    cases=(
        Case("BERT-base classifier (12 × 768, FP32)", "bert", 768, 12, 1000, 10, 10, (1e-3, 5.0), 200),
        Case("GPT-2-small generator (12 × 768, FP16)", "gpt2", 768, 12, 1000, 5, 10, (5e-3, 20.0), 200),
    ),
    device="cuda",
)
DRY_PLAN = Plan(
    idle_s=1.0,
    settle_s=0.05,
    load_s=1.5,
    power_sample_s=0.005,
    window_lengths_s=(0.1, 0.2, 0.5),
    codecarbon_windows_s=(0.2, 0.5, 1.0),
    codecarbon_repeats=1,
    cases=(
        Case("tiny BERT classifier (2 × 64, CPU)", "bert", 64, 2, 4, 2, 0, (1e-7, 1e3), 120),
        Case("tiny GPT-2 generator (2 × 64, CPU)", "gpt2", 64, 2, 4, 2, 0, (1e-7, 1e3), 120),
    ),
    device="cpu",
)


class Report:
    """figures.jsonl and gpu_check.md, each record flushed as it is written: a killed check keeps what it measured."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.jsonl = (out / "figures.jsonl").open("a", encoding="utf-8")
        self.md = (out / "gpu_check.md").open("a", encoding="utf-8")
        self.step = -1
        self.criteria: list[dict[str, Any]] = []

    def record(self, kind: str, **fields: Any) -> None:
        self.jsonl.write(json.dumps({"step": self.step, "kind": kind} | fields, default=str) + "\n")
        self.jsonl.flush()

    def figure(self, name: str, value: Any, **context: Any) -> None:
        self.record("figure", name=name, value=value, **context)

    def criterion(self, name: str, passed: bool, detail: str) -> bool:
        self.record("criterion", name=name, passed=bool(passed), detail=detail)
        self.criteria.append({"step": self.step, "name": name, "passed": bool(passed)})
        self.text(f"- **{name}**: {'pass' if passed else 'FAIL'} — {detail}\n")
        print(f"  [{'pass' if passed else 'FAIL'}] {name}: {detail}", flush=True)
        return bool(passed)

    def table(self, header: list[str], rows: list[list[Any]]) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
        self.text("\n".join(lines) + "\n\n")

    def text(self, text: str) -> None:
        self.md.write(text)
        self.md.flush()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


# --- the GPU side: NVML, torch's devices, a context and a load, real or fake ---------------------------------


class RealGpu:
    """torch runs in helper processes, so this one never holds a CUDA context: "idle" is really idle."""

    def __init__(self) -> None:
        import pynvml

        pynvml.nvmlInit()
        self.nvml = pynvml
        self.worker: subprocess.Popen | None = None

    def torch_devices(self) -> dict[str, Any]:
        out = subprocess.run(
            [sys.executable, __file__, "--probe-torch"],
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ | UUID_ENV,
        )
        if out.returncode != 0:
            raise RuntimeError(f"the torch probe exited {out.returncode}: {out.stderr[-1500:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        self.worker = subprocess.Popen(
            [sys.executable, __file__, "--load-worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ | UUID_ENV,
        )
        try:
            self._expect("ready")
            yield
        finally:
            self.worker.stdin.close()
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
            self.worker = None

    @contextlib.contextmanager
    def codecarbon_sees_gpu(self) -> Iterator[None]:
        yield  # it finds nvidia-smi and the real pynvml by itself

    @contextlib.contextmanager
    def load(self) -> Iterator[None]:
        self._send("load", "loading")
        try:
            yield
        finally:
            self._send("idle", "idle")

    def _send(self, command: str, answer: str) -> None:
        self.worker.stdin.write(command + "\n")
        self.worker.stdin.flush()
        self._expect(answer)

    def _expect(self, answer: str) -> None:
        line = self.worker.stdout.readline().strip()
        if line != answer:
            raise RuntimeError(f"load worker answered {line!r}, expected {answer!r} (see its stderr above)")


class FakeGpu:
    """bench/fake_nvml.py's simulated GPU, and a torch device list that reports its UUID (or, asked, another)."""

    def __init__(self, uuid_mismatch: bool) -> None:
        from bench import fake_nvml

        sys.modules["pynvml"] = fake_nvml  # before CodeCarbon is imported: it reads the same fake
        self.nvml = fake_nvml
        self.uuid_mismatch = uuid_mismatch

    def torch_devices(self) -> dict[str, Any]:
        import torch

        uuid = self.nvml.UUID.removeprefix("GPU-")
        if self.uuid_mismatch:
            uuid = "0badc0de" + uuid[8:]
        devices = [{"index": 0, "name": self.nvml.NAME, "uuid": uuid}]
        return {"torch": torch.__version__, "cuda": "fake", "devices": devices}

    @contextlib.contextmanager
    def codecarbon_sees_gpu(self) -> Iterator[None]:
        """CodeCarbon tracks a GPU only where `nvidia-smi --help` runs: a stand-in on PATH while its tracker starts
        (and only then: the runner's children must not see one)."""
        path = os.environ["PATH"]
        with tempfile.TemporaryDirectory(prefix="fake-nvidia-smi-") as folder:
            smi = Path(folder) / "nvidia-smi"
            smi.write_text("#!/bin/sh\nexit 0\n")
            smi.chmod(0o755)
            os.environ["PATH"] = f"{folder}{os.pathsep}{path}"
            try:
                yield
            finally:
                os.environ["PATH"] = path

    @contextlib.contextmanager
    def context(self) -> Iterator[None]:
        self.nvml.GPU.set_state("context")
        try:
            yield
        finally:
            self.nvml.GPU.set_state("idle")

    @contextlib.contextmanager
    def load(self) -> Iterator[None]:
        self.nvml.GPU.set_state("load")
        try:
            yield
        finally:
            self.nvml.GPU.set_state("context")


def probe_torch() -> None:
    """--probe-torch: torch's view of the GPUs, as JSON on stdout (run with the engine's CUDA ordering)."""
    import torch

    devices = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        devices.append({"index": index, "name": props.name, "uuid": str(props.uuid)})
    print(json.dumps({"torch": torch.__version__, "cuda": torch.version.cuda, "devices": devices}))


def load_worker() -> None:
    """--load-worker: holds a CUDA context; between "load" and "idle" on stdin, runs FP16 8192² matmuls."""
    import torch

    a = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.float16)
    torch.cuda.synchronize()
    loading = threading.Event()
    announce = threading.Event()  # answer "loading" once the first batch after a "load" has run
    done = threading.Event()

    def commands() -> None:
        for line in sys.stdin:
            if line.strip() == "load":
                announce.set()
                loading.set()
            elif line.strip() == "idle":
                loading.clear()
                torch.cuda.synchronize()
                print("idle", flush=True)
        done.set()

    threading.Thread(target=commands, daemon=True).start()
    print("ready", flush=True)
    while not done.is_set():
        if not loading.is_set():
            time.sleep(0.01)
            continue
        for _ in range(20):
            torch.mm(a, b)
        torch.cuda.synchronize()
        if announce.is_set():
            announce.clear()
            print("loading", flush=True)


# --- step 0 --------------------------------------------------------------------------------------------------


def _try(call: Callable, *args: Any) -> Any:
    try:
        value = call(*args)
    except Exception as err:  # an NVML call a driver does not support: recorded, not fatal
        return f"unavailable ({type(err).__name__}: {err})"
    return value.decode() if isinstance(value, bytes) else value


def _norm_uuid(uuid: str) -> str:
    return uuid.lower().removeprefix("gpu-")


def step_probe(gpu: RealGpu | FakeGpu, report: Report, plan: Plan) -> None:
    nvml = gpu.nvml
    report.figure("driver", _try(nvml.nvmlSystemGetDriverVersion))
    report.figure("cuda_driver", _try(nvml.nvmlSystemGetCudaDriverVersion))
    rows, nvml_uuids, mig_on = [], [], []
    if nvml.nvmlDeviceGetCount() == 0:
        raise RuntimeError("NVML sees no GPU")
    for index in range(nvml.nvmlDeviceGetCount()):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        device = {
            "index": index,
            "name": _try(nvml.nvmlDeviceGetName, handle),
            "uuid": _try(nvml.nvmlDeviceGetUUID, handle),
            "pci": _try(lambda h: nvml.nvmlDeviceGetPciInfo(h).busId, handle),
            "mig": _try(nvml.nvmlDeviceGetMigMode, handle),
            "default_limit_w": _try(lambda h: nvml.nvmlDeviceGetPowerManagementDefaultLimit(h) / 1000, handle),
            "enforced_limit_w": _try(lambda h: nvml.nvmlDeviceGetEnforcedPowerLimit(h) / 1000, handle),
            "limit_range_w": _try(
                lambda h: [v / 1000 for v in nvml.nvmlDeviceGetPowerManagementLimitConstraints(h)], handle
            ),
            "temperature_c": _try(nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU),
            "memory_gib": _try(lambda h: nvml.nvmlDeviceGetMemoryInfo(h).total / 2**30, handle),
        }
        report.figure("nvml_device", device)
        rows.append(list(device.values()))
        nvml_uuids.append(device["uuid"])
        if isinstance(device["mig"], (tuple, list)) and device["mig"][0] == nvml.NVML_DEVICE_MIG_ENABLE:
            mig_on.append(index)
    report.table(list(device), rows)
    torch_side = gpu.torch_devices()
    report.figure("torch", torch_side)
    report.text(f"torch {torch_side['torch']}, CUDA {torch_side['cuda']}, {UUID_ENV}\n\n")
    report.table(["torch index", "name", "uuid"], [[d["index"], d["name"], d["uuid"]] for d in torch_side["devices"]])
    torch_uuids = [_norm_uuid(d["uuid"]) for d in torch_side["devices"]]
    expected = [_norm_uuid(str(u)) for u in nvml_uuids]
    report.criterion(
        "uuids_match",
        bool(torch_uuids) and torch_uuids == expected[: len(torch_uuids)],
        f"torch (PCI order) {torch_uuids} vs NVML {expected}",
    )
    report.criterion("no_mig", not mig_on, f"MIG enabled on {mig_on}" if mig_on else "MIG off on every GPU")


# --- step 1 --------------------------------------------------------------------------------------------------


@dataclass
class Trace:
    changes: list[tuple[float, int]]  # (time the value was first seen, counter mJ)
    power: list[tuple[float, float]]  # (time, W)


def poll(nvml: Any, handle: Any, seconds: float, power_every_s: float) -> Trace:
    """Read the counter as fast as NVML answers; note when its value changes; sample instant power between."""
    start = time.perf_counter()
    changes = [(start, nvml.nvmlDeviceGetTotalEnergyConsumption(handle))]
    power: list[tuple[float, float]] = []
    next_power = start
    while (now := time.perf_counter()) - start < seconds:
        value = nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        if value != changes[-1][1]:
            changes.append((now, value))
        if now >= next_power:
            power.append((time.perf_counter(), nvml.nvmlDeviceGetPowerUsage(handle) / 1000))
            next_power = now + power_every_s
    return Trace(changes[1:], power)  # the first value was seen at an arbitrary phase of the counter's clock


def analyse(trace: Trace) -> dict[str, float]:
    times = [t for t, _ in trace.changes]
    values = [v for _, v in trace.changes]
    if len(times) < 3:
        raise RuntimeError(f"the counter changed only {len(times)} times: no update period to measure")
    periods = [b - a for a, b in itertools.pairwise(times)]
    steps_j = [(b - a) / 1000 for a, b in itertools.pairwise(values)]
    span = times[-1] - times[0]
    # the counter's power is the slope of its values against the times they appeared: a poll that stalled
    # (a busy host) shifts one time, which moves a least-squares slope far less than a two-point difference
    slope = statistics.linear_regression(times, values).slope / 1000
    counter_j = slope * span
    inside = [(t, w) for t, w in trace.power if times[0] <= t <= times[-1]]
    if len(inside) < 2:
        raise RuntimeError("too few power samples between the counter's first and last change")
    integral_j = sum((t2 - t1) * (w1 + w2) / 2 for (t1, w1), (t2, w2) in itertools.pairwise(inside))
    integral_j *= span / (inside[-1][0] - inside[0][0])
    return {
        "updates": len(periods),
        "update_period_s": statistics.median(periods),
        "period_spread_s": max(periods) - min(periods),
        "energy_step_j": statistics.median(steps_j),
        "counter_power_w": slope,
        "sampled_power_w": statistics.fmean(w for _, w in inside) if inside else math.nan,
        "counter_j": counter_j,
        "integral_j": integral_j,
        "counter_vs_integral": counter_j / integral_j - 1,
    }


def window_errors(trace: Trace, power_w: float, lengths: tuple[float, ...]) -> list[dict[str, float]]:
    """What a window of each length reads from the counter (two reads) against the steady power × its length."""
    times = [t for t, _ in trace.changes]
    values = [v for _, v in trace.changes]

    def read(at: float) -> int:  # what a read at `at` returned: the last value published by then
        lo, hi = 0, len(times) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if times[mid] <= at else (lo, mid - 1)
        return values[lo]

    rows = []
    for length in lengths:
        starts = [t for t, _ in trace.power if times[0] <= t and t + length <= times[-1]]
        if len(starts) < 5:
            continue
        errors = [((read(s + length) - read(s)) / 1000) / (power_w * length) - 1 for s in starts]
        rows.append(
            {
                "window_s": length,
                "windows": len(errors),
                "rms_error": math.sqrt(statistics.fmean(e * e for e in errors)),
                "worst_error": max(abs(e) for e in errors),
            }
        )
    return rows


def step_counter(gpu: RealGpu | FakeGpu, report: Report, plan: Plan, state: dict[str, Any]) -> None:
    nvml = gpu.nvml
    handle = nvml.nvmlDeviceGetHandleByIndex(0)
    nvml.nvmlDeviceGetTotalEnergyConsumption(handle)  # raises on a GPU without the counter: the step fails
    results = {}
    with contextlib.ExitStack() as stack:
        for name in ("idle", "context", "load"):
            if name == "context":
                stack.enter_context(gpu.context())
            elif name == "load":
                stack.enter_context(gpu.load())
            time.sleep(plan.settle_s)
            trace = poll(nvml, handle, plan.load_s if name == "load" else plan.idle_s, plan.power_sample_s)
            results[name] = analyse(trace)
            report.figure("counter", results[name], state=name)
            if name == "load":
                errors = window_errors(trace, results[name]["counter_power_w"], plan.window_lengths_s)
    header = ["state", *results["load"]]
    report.table(header, [[name, *r.values()] for name, r in results.items()])
    for row in errors:
        report.figure("window_error", row)
    report.text("Counter error against window length (under load; reads at arbitrary phases):\n\n")
    report.table(["window (s)", "windows", "rms error", "worst error"], [list(r.values()) for r in errors])
    state["update_period_s"] = results["load"]["update_period_s"]
    state["load_step_j"] = results["load"]["energy_step_j"]
    for name, r in results.items():
        report.criterion(
            f"counter_vs_integral_{name}",
            abs(r["counter_vs_integral"]) <= INTEGRAL_TOLERANCE,
            f"counter {r['counter_j']:.2f} J vs power integral {r['integral_j']:.2f} J: "
            f"{r['counter_vs_integral']:+.2%} (goal ±{INTEGRAL_TOLERANCE:.0%})",
        )
    report.criterion(
        "update_period_measured",
        all(r["updates"] >= 5 for r in results.values()),
        ", ".join(f"{n}: {r['update_period_s'] * 1000:.1f} ms over {r['updates']} updates" for n, r in results.items()),
    )


# --- step 2 --------------------------------------------------------------------------------------------------


def step_codecarbon(gpu: RealGpu | FakeGpu, report: Report, plan: Plan, state: dict[str, Any]) -> None:
    from codecarbon import OfflineEmissionsTracker

    from runner.tracker_options import offline_tracker_options

    nvml = gpu.nvml
    handle = nvml.nvmlDeviceGetHandleByIndex(0)
    with gpu.codecarbon_sees_gpu():
        # runner.scenario.offline_tracker's options, from the light module it shares with this check
        tracker = OfflineEmissionsTracker(**offline_tracker_options("USA", [0]))
        tracker.start_task("tracker_check")  # its first start costs about a second: outside the windows
        tracker.stop_task()
    rows, passed = [], True
    with gpu.context(), gpu.load():
        time.sleep(plan.settle_s)
        for length in plan.codecarbon_windows_s:
            for repeat in range(plan.codecarbon_repeats):
                before = nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
                tracker.start_task(f"w{length}-{repeat}")
                time.sleep(length)
                data = tracker.stop_task()
                after = nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
                if data is None:
                    raise RuntimeError("CodeCarbon's stop_task returned None (it swallowed an error)")
                counter_j = (after - before) / 1000
                codecarbon_j = data.gpu_energy * 3.6e6
                step_j = state.get("load_step_j") or counter_j / length * 0.1  # step 1's, else 0.1 s of this power
                gap_updates = (codecarbon_j - counter_j) / step_j
                ok = abs(codecarbon_j - counter_j) <= step_j
                passed &= ok
                row = {
                    "window_s": length,
                    "codecarbon_j": codecarbon_j,
                    "counter_j": counter_j,
                    "gap": codecarbon_j / counter_j - 1 if counter_j else math.nan,
                    "gap_updates": gap_updates,
                    "within_one_update": ok,
                }
                report.figure("codecarbon_window", row)
                rows.append(list(row.values()))
    tracker.stop()
    report.table(["window (s)", "CodeCarbon (J)", "counter (J)", "gap", "gap (updates)", "within one"], rows)
    report.criterion(
        "codecarbon_within_one_update",
        passed and bool(rows),
        f"{sum(r[-1] for r in rows)}/{len(rows)} windows within one counter update",
    )


# --- step 3 --------------------------------------------------------------------------------------------------


def step_runner(gpu: RealGpu | FakeGpu, report: Report, plan: Plan, state: dict[str, Any]) -> None:
    from core.catalog import TaskId
    from runner.engine import run
    from runner.spec import RunSpec
    from tests.runner import tiny  # transformers: only when the step runs

    rows, header = [], ["case"]
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        for index, case in enumerate(plan.cases):
            remaining = state["deadline"] - time.monotonic() - 5
            if remaining < 30:
                report.criterion(f"runner_{case.kind}", False, f"skipped: {remaining:.0f} s left of the check's budget")
                continue
            root = Path(tmp) / f"case-{index}"
            build = tiny.build_gpt2 if case.kind == "gpt2" else tiny.build_bert_classifier
            model = build(root / "model", width=case.width, layers=case.layers)
            dataset = tiny.text_dataset(root / "data", rows=case.samples)
            task = TaskId.TEXT_GENERATION if case.kind == "gpt2" else TaskId.TEXT_CLASSIFICATION
            spec = RunSpec(
                model=str(model),
                task=task,
                device=plan.device,
                dataset=str(dataset),
                samples=case.samples,
                repetitions=case.repetitions,
                warmup_runs=case.warmup_runs,
                timeout_s=min(case.timeout_s, remaining),
            )
            started = time.monotonic()
            try:
                result = run(spec, root / "run")
            except Exception as err:
                report.record("error", case=case.label, error=f"{type(err).__name__}: {err}")
                report.criterion(f"runner_{case.kind}", False, f"{case.label}: {type(err).__name__}: {err}"[:2000])
                continue
            low, high = case.plausible_wh
            figures = {
                "case": case.label,
                "parameters": result.parameters,
                "precision": result.settings.precision.value,
                "component": result.score_component,
                "wh_per_1k": result.score_wh,
                "cv": result.score_cv,
                "duration_s": result.duration_s,
                "wall_s": time.monotonic() - started,
                "gates_failed": [c.name for c in result.checks if not c.passed],
            }
            report.figure("runner", figures)
            report.record("gates", case=case.label, checks=[c.model_dump() for c in result.checks])
            rows.append(list(figures.values()))
            header = list(figures)
            cv = result.score_cv
            report.criterion(
                f"cv_{case.kind}",
                cv is not None and cv < CV_GOAL,
                f"{case.label}: CV {cv if cv is None else f'{cv:.2%}'} over {case.repetitions} (goal < {CV_GOAL:.0%})",
            )
            report.criterion(
                f"plausible_{case.kind}",
                low <= result.score_wh <= high,
                f"{case.label}: {result.score_wh:.4g} Wh per 1,000 queries ({result.score_component}; "
                f"plausible {low:g}–{high:g})",
            )
    report.table(header, rows)


# --- the check -----------------------------------------------------------------------------------------------

STEPS: dict[int, tuple[str, float, Callable]] = {  # name, budget on the GPU (s), function
    0: ("probe", 30, step_probe),
    1: ("counter", 75, step_counter),
    2: ("codecarbon", 80, step_codecarbon),
    3: ("runner", 280, step_runner),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="on CPU against bench/fake_nvml.py, tiny models")
    parser.add_argument("--out", type=Path, help="folder for figures.jsonl and gpu_check.md (appended to)")
    parser.add_argument("--steps", default="0,1,2,3", help="comma-separated steps to run (default: all)")
    parser.add_argument("--fake-uuid-mismatch", action="store_true", help="dry run only: torch reports another UUID")
    parser.add_argument("--probe-torch", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe_torch:
        probe_torch()
        return 0
    if args.load_worker:
        load_worker()
        return 0
    if args.fake_uuid_mismatch and not args.dry_run:
        parser.error("--fake-uuid-mismatch applies to --dry-run only")
    try:
        steps = sorted({int(s) for s in args.steps.split(",")})
    except ValueError:
        parser.error(f"--steps takes step numbers 0–3 separated by commas, got {args.steps!r}")
    if not set(steps) <= set(STEPS):
        parser.error(f"--steps takes step numbers 0–3, got {args.steps!r}")
    for name, value in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}.items():
        os.environ.setdefault(name, value)
    out = args.out or ROOT / "bench" / "out" / f"gpu-check-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    plan = DRY_PLAN if args.dry_run else GPU_PLAN
    report = Report(out)
    report.text(
        f"## GPU check, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC{' (dry run, fake NVML)' if args.dry_run else ''}\n\n"
    )
    state: dict[str, Any] = {"deadline": time.monotonic() + TOTAL_BUDGET_S}
    gpu = FakeGpu(args.fake_uuid_mismatch) if args.dry_run else RealGpu()
    for number in steps:
        name, budget_s, function = STEPS[number]
        report.step = number
        report.text(f"### Step {number}: {name}\n\n")
        print(f"step {number}: {name} (budget {budget_s} s)", flush=True)
        started = time.monotonic()
        error = None
        before = len(report.criteria)
        try:
            function(gpu, report, plan) if number == 0 else function(gpu, report, plan, state)
        except Exception as err:
            error = f"{type(err).__name__}: {err}"
            report.record("error", error=error, traceback=traceback.format_exc())
            report.text(f"**step failed**: {_cell(error)}\n\n")
            print(f"  step {number} failed: {error}", flush=True)
        seconds = time.monotonic() - started
        own = report.criteria[before:]
        passed = error is None and bool(own) and all(c["passed"] for c in own)
        over = seconds > budget_s
        report.record(
            "step", name=name, passed=passed, seconds=seconds, budget_s=budget_s, over_budget=over, error=error
        )
        report.text(f"step {number} {'passed' if passed else 'FAILED'} in {seconds:.1f} s (budget {budget_s} s)\n\n")
    failed = [c["name"] for c in report.criteria if not c["passed"]]
    report.step = -1
    report.record("summary", passed=not failed, failed=failed, criteria=len(report.criteria))
    report.text(f"**{len(report.criteria) - len(failed)}/{len(report.criteria)} criteria passed**\n\n")
    print(f"figures in {out}; failed: {failed or 'none'}", flush=True)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
