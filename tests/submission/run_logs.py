"""A GPU run folder as the runner writes it, built from windows without a GPU (for vendor-upload tests).

The windows come first and everything else is derived from them the way runner.child derives it (the
phase values with runner.gates, the checks with gates.evaluate), so the folder passes runner.validate
unless a test breaks it on purpose.
"""

from __future__ import annotations

import json
import statistics
import zipfile
from pathlib import Path

from core.catalog import TASKS, TaskId, size_class_for
from core.models import (
    EnergyMethods,
    EnergySource,
    Hardware,
    PhaseMeasurement,
    Repetition,
    Result,
    Source,
)
from runner import gates
from runner.spec import OB_TASKS
from tests.factories import T0, standard_settings

IDLE_W = 70.0
TDP_W = 700.0
GPU_NAME = "NVIDIA H100 80GB HBM3"
PARAMETERS = 124_000_000
RUNNER_PID = 4242


def windows(task: TaskId, *, power_w: float = 300.0, seconds: float = 20.0, spread: float = 0.01) -> list[dict]:
    """Measured windows of 10 repetitions at `power_w` on average, repetition i lasting (1 + (i-5) spread) ×."""
    spec = TASKS[task]
    samples = spec.samples
    out = []
    targets = ["preprocess_dataset"] + (
        ["prefill", "generate"] if gates.generates(task) else ["call" if "call" in spec.phases else "forward"]
    )
    for repetition in range(1, spec.repetitions + 1):
        scale = 1 + (repetition - 5.5) * spread
        for target in targets:
            duration = {"preprocess_dataset": 0.5, "prefill": seconds / 4, "generate": seconds}.get(target, seconds)
            duration *= scale
            power = 80.0 if target == "preprocess_dataset" else power_w
            kwh = power * duration / 3.6e6
            tokens = None
            if target == "prefill":
                tokens = samples
            elif target == "generate":
                tokens = samples * spec.generation.min_new_tokens
            out.append(
                {
                    "target": target,
                    "repetition": repetition,
                    "duration_s": duration,
                    "gpu_kwh": kwh,  # the NVML counter's, scored
                    "gpu_source": "counter",
                    "codecarbon_gpu_kwh": kwh * 0.999,
                    "cpu_kwh": kwh / 10,
                    "ram_kwh": kwh / 20,
                    "queries": samples,
                    "new_tokens": tokens,
                }
            )
    return out


def write_run(
    folder: Path,
    task: TaskId = TaskId.TEXT_CLASSIFICATION,
    *,
    raw_windows: list[dict] | None = None,
    parameters: int = PARAMETERS,
) -> Path:
    """Write a complete, valid GPU run folder for `task` into `folder`."""
    spec = TASKS[task]
    raw = raw_windows if raw_windows is not None else windows(task)
    parsed = tuple(gates.Window.model_validate(window) for window in raw)
    settings = standard_settings(task)
    checks = gates.evaluate(
        gates.GateInput(
            task=task,
            on_gpu=True,
            settings=settings,
            windows=parsed,
            idle_power_w=IDLE_W,
            tdp_w=TDP_W,
            enforced_limit_w=TDP_W,
            gpu_name=GPU_NAME,
            gpu_count=1,
            parameters=parameters,
        )
    )
    repetitions = tuple(
        Repetition(phases={phase: PhaseMeasurement(**values.model_dump()) for phase, values in phases.items()})
        for phases in gates.phase_values(task, parsed)
    )
    result = Result(
        id="20261101T000000-abcdef01",
        model_id="vendor-run",
        task=task,
        size_class=size_class_for(parameters) if spec.has_size_classes else None,
        parameters=parameters,
        hardware=Hardware(
            gpu_name=GPU_NAME,
            gpu_count=1,
            gpu_uuids=("GPU-1",),
            driver="550.54.15",
            cuda="12.4",
            tdp_w=TDP_W,
            idle_power_w=IDLE_W,
        ),
        software={"optimum-benchmark": "0.6.0", "codecarbon": "3.3.2"},
        settings=settings,
        repetitions=repetitions,
        energy_methods=EnergyMethods(gpu=EnergySource.COUNTER, cpu=EnergySource.ESTIMATE, ram=EnergySource.ESTIMATE),
        checks=checks,
        source=Source.OPEN,
        measured_at=T0,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(result.model_dump_json(indent=2))
    processes = [{"pid": RUNNER_PID, "description": f"pid {RUNNER_PID} (python)"}]
    (folder / "measurements.json").write_text(json.dumps({"windows": raw, "gpu_processes": processes}, indent=2))
    (folder / "hardware.json").write_text(
        json.dumps(
            {
                "idle_power_w": IDLE_W,
                "tdp_w": TDP_W,
                "enforced_power_limit_w": TDP_W,
                "gpu_processes_before_start": [],
                "process_list_errors": [],
                "runner_pid": RUNNER_PID,
            }
        )
    )
    (folder / "benchmark_config.json").write_text(json.dumps({"name": f"{task.value}-vendor-run"}))
    (folder / "benchmark_report.json").write_text(json.dumps(_report(task, parsed)))
    for window in raw:
        target = folder / f"repetition-{window['repetition']:02d}" / f"{window['target']}_codecarbon.json"
        target.parent.mkdir(exist_ok=True)
        energies = {"gpu_energy": window["codecarbon_gpu_kwh"], "cpu_energy": window["cpu_kwh"]}
        energies["ram_energy"] = window["ram_kwh"]
        target.write_text(json.dumps({"duration": window["duration_s"], **energies}))
    return folder


def _report(task: TaskId, parsed: tuple[gates.Window, ...]) -> dict:
    """optimum-benchmark's report as the child writes it: each scored target's mean energy over the repetitions."""
    try:
        derived = gates.phase_values(task, parsed)
    except ValueError:  # a test that removes a window on purpose
        return {}
    return {
        gates.PHASE_TARGETS[phase]: {
            "energy": {"unit": "kWh"}
            | {
                c: statistics.fmean(getattr(values[phase], f"{c}_kwh") for values in derived)
                for c in ("gpu", "cpu", "ram")
            }
        }
        for phase in TASKS[task].phases
    }


def zip_folder(folder: Path, archive: Path, *, prefix: str = "run/") -> Path:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zipped.write(path, prefix + path.relative_to(folder).as_posix())
    return archive


def write_reference_runs(
    root: Path,
    task: TaskId = TaskId.TEXT_CLASSIFICATION,
    *,
    runs: int = 10,
    power_w: float = 300.0,
    num_samples: int | None = None,
    decode_gpu_kwh: float | None = None,
) -> Path:
    """The reference runner's logs: one optimum-benchmark energy_star run folder per repetition."""
    spec = TASKS[task]
    samples = spec.samples if num_samples is None else num_samples
    config = {
        "name": f"{task.value}-reference",
        "backend": {
            "name": "pytorch",
            "model": "acme/secret",
            "task": OB_TASKS[task],
            "torch_dtype": None,
            "no_weights": True,
        },
        "scenario": {
            "name": "energy_star",
            "dataset_name": spec.dataset,
            "num_samples": samples,
            "input_shapes": {"batch_size": 1},
            "warmup_runs": spec.warmup_runs,
            "generate_kwargs": spec.generation.model_dump(include={"max_new_tokens", "min_new_tokens"}),
        },
        "launcher": {"name": "process"},
        "environment": {
            "gpu": ["NVIDIA H100 80GB HBM3"],
            "gpu_count": 1,
            "optimum_benchmark_version": "0.6.0",
            "transformers_version": "4.57.6",
        },
    }
    targets = ["preprocess_dataset"] + (["prefill", "decode"] if gates.generates(task) else ["forward"])
    for run in range(1, runs + 1):
        folder = root / f"run-{run:02d}"
        folder.mkdir(parents=True)
        report = {}
        for target in targets:
            seconds = (0.5 if target == "preprocess_dataset" else 20.0) * (1 + (run - 5.5) * 0.01)
            kwh = (80.0 if target == "preprocess_dataset" else power_w) * seconds / 3.6e6
            if target == "decode" and decode_gpu_kwh is not None:
                kwh = decode_gpu_kwh
            report[target] = {
                "energy": {"unit": "kWh", "cpu": kwh / 10, "ram": kwh / 20, "gpu": kwh, "total": kwh * 1.15},
                "latency": {"unit": "s", "values": [seconds]},
            }
        (folder / "benchmark_config.json").write_text(json.dumps(config))
        (folder / "benchmark_report.json").write_text(json.dumps(report))
        (folder / f"{targets[-1]}_codecarbon.json").write_text(
            json.dumps({"gpu_model": "1 x NVIDIA H100 80GB HBM3", "timestamp": f"2026-10-{run:02d}T12:00:00"})
        )
    return root
