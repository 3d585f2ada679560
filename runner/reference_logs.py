"""Reads the reference runner's logs (AIEnergyScore's optimum-benchmark `energy_star` runs) into a Result
and its gate report, so a vendor who ran the reference benchmark is validated like one who ran ours.

The reference runner (optimum-benchmark 0.6.0) measures each phase once per launch, so its logs hold one
repetition per run folder: an archive of N launches holds N folders, each with `benchmark_config.json`
and `benchmark_report.json`. What these logs cannot show is said in each check's detail, never filled in:
they carry CodeCarbon's GPU reading only (no independent counter read), no idle baseline, no GPU process
list, no token counts and no parameter count. The measurement time is CodeCarbon's timestamp, which it
writes in local time without a zone: it is read as UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from core.catalog import TASKS, GenerationSettings, Phase, Precision, TaskId
from core.gpus import gpu_spec, power_limit_w
from core.models import (
    BenchmarkSettings,
    EnergyMethods,
    EnergySource,
    Hardware,
    PhaseMeasurement,
    Repetition,
    Result,
    Source,
    ValidityCheck,
)
from runner import gates
from runner.spec import OB_TASKS

REPORT = "benchmark_report.json"
CONFIG = "benchmark_config.json"
# optimum-benchmark task names → catalog tasks (the reference runner's configs use these).
CATALOG_TASKS = {name: task for task, name in OB_TASKS.items()}
_TARGETS = {Phase.PREPROCESS: "preprocess_dataset", Phase.PREFILL: "prefill", Phase.DECODE: "decode"}


class ReferenceLogError(ValueError):
    """Reference logs that cannot be read; the message names the file and what is wrong."""


def is_reference_folder(folder: Path) -> bool:
    return (folder / REPORT).is_file() and not (folder / "summary.json").exists()


def run_folders(root: Path) -> list[Path]:
    return sorted(report.parent for report in root.rglob(REPORT))


def _load(path: Path, label: str) -> dict:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReferenceLogError(f"{label}: {path.name} is missing") from None
    except (OSError, ValueError) as err:
        raise ReferenceLogError(f"{label}: {path.name} does not parse as JSON ({err})") from None
    if not isinstance(data, dict):
        raise ReferenceLogError(f"{label}: {path.name} is not a JSON object")
    return data


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReferenceLogError(f"{where} is {value!r}, not a number")
    return float(value)


def _window(report: dict, target: str, repetition: int, queries: int, label: str) -> gates.Window:
    section = report.get(target)
    if not isinstance(section, dict) or not isinstance(section.get("energy"), dict):
        raise ReferenceLogError(f"{label}: {REPORT} has no energy for {target}")
    energy = section["energy"]
    if energy.get("unit") != "kWh":
        raise ReferenceLogError(f"{label}: {target} energy is in {energy.get('unit')!r}, expected kWh")
    latency = section.get("latency") or {}
    values = latency.get("values") if isinstance(latency, dict) else None
    if not values:
        raise ReferenceLogError(f"{label}: {target} has no latency values, so its duration is unknown")
    gpu_kwh = _number(energy.get("gpu"), f"{label}: {target} gpu energy")
    return gates.Window(
        target=target,
        repetition=repetition,
        duration_s=sum(_number(v, f"{label}: {target} latency") for v in values),
        gpu_kwh=gpu_kwh,
        gpu_source=EnergySource.COUNTER,  # CodeCarbon's read of the NVML counter: the only GPU figure it logged
        codecarbon_gpu_kwh=gpu_kwh,
        cpu_kwh=_number(energy.get("cpu"), f"{label}: {target} cpu energy"),
        ram_kwh=_number(energy.get("ram"), f"{label}: {target} ram energy"),
        queries=queries,
    )


def read(root: Path, *, label: str) -> tuple[Result, tuple[ValidityCheck, ...]]:
    """The Result (source OPEN, as our runner's summary would be) and the gates recomputed from the logs."""
    folders = run_folders(root)
    if not folders:
        raise ReferenceLogError(f"{label} holds no {REPORT}")
    configs = [_load(folder / CONFIG, f"{label}/{folder.relative_to(root)}") for folder in folders]
    first = configs[0]
    backend, scenario = first.get("backend") or {}, first.get("scenario") or {}
    environment = first.get("environment") or {}
    task = CATALOG_TASKS.get(backend.get("task"))
    if task is None:
        raise ReferenceLogError(f"{label}: {CONFIG} names task {backend.get('task')!r}, not one of the ten")
    for config in configs[1:]:
        if (config.get("backend"), config.get("scenario")) != (backend, scenario):
            raise ReferenceLogError(f"{label}: the run folders were not run with the same configuration")
    if TASKS[task].has_size_classes:
        raise ReferenceLogError(
            f"{label}: the reference logs do not record the parameter count that text generation's size class "
            "needs; run this project's runner (`python -m runner run`), which records it"
        )
    samples = scenario.get("num_samples")
    if not isinstance(samples, int) or samples <= 0:
        raise ReferenceLogError(
            f"{label}: scenario.num_samples is {samples!r}: the run measured no explicit sample count"
        )
    generation = _generation(task, scenario)
    settings = BenchmarkSettings(
        dataset=str(scenario.get("dataset_name") or "unknown"),
        samples=samples,
        batch_size=int((scenario.get("input_shapes") or {}).get("batch_size") or 0) or 1,
        precision=Precision(backend.get("torch_dtype") or Precision.FP32.value),  # unset: PyTorch loads float32
        generation=generation,
        warmup_runs=int(scenario.get("warmup_runs") or 0),
        repetitions=len(folders),
        random_weights=bool(backend.get("no_weights")),
    )
    windows = []
    for repetition, folder in enumerate(folders, start=1):
        where = f"{label}/{folder.relative_to(root)}"
        report = _load(folder / REPORT, where)
        for phase in TASKS[task].phases:
            target = _TARGETS.get(phase, phase.value)
            windows.append(_window(report, target, repetition, samples, where))
    gpu_name = _gpu_name(environment, label)
    gpu_count = _gpus_used(backend)
    tdp = power_limit_w(gpu_name, gpu_count)
    checks = _gates(task, settings, tuple(windows), gpu_name, gpu_count)
    try:
        result = Result(
            id="reference-logs",
            model_id=_model_name(backend.get("model")),
            task=task,
            hardware=Hardware(gpu_name=gpu_name, gpu_count=gpu_count, tdp_w=tdp),
            software={k.removesuffix("_version"): str(v) for k, v in environment.items() if k.endswith("_version")},
            settings=settings,
            repetitions=tuple(
                Repetition(phases={phase: PhaseMeasurement(**values.model_dump()) for phase, values in phases.items()})
                for phases in gates.phase_values(task, windows)
            ),
            energy_methods=EnergyMethods(
                gpu=EnergySource.COUNTER, cpu=EnergySource.ESTIMATE, ram=EnergySource.ESTIMATE
            ),
            checks=checks,
            source=Source.OPEN,
            measured_at=_measured_at(folders, label),
        )
    except ValidationError as err:  # e.g. a negative decode: the failed gates say why, in our words
        failed = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.passed) or str(err)
        raise ReferenceLogError(f"{label}: the logs hold values no result can have: {failed}") from None
    return result, checks


def _measured_at(folders: list[Path], label: str) -> datetime:
    """The latest CodeCarbon timestamp of the runs. CodeCarbon writes local time without a zone: read as UTC."""
    stamps = []
    for file in sorted(f for folder in folders for f in folder.glob("*_codecarbon.json")):
        stamp = _load(file, label).get("timestamp")
        try:
            moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        except ValueError:
            moment = None
        if moment is not None:
            stamps.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if not stamps:
        raise ReferenceLogError(f"{label}: no *_codecarbon.json with a timestamp, so the measurement time is unknown")
    return max(stamps)


def _generation(task: TaskId, scenario: dict) -> GenerationSettings:
    standard = TASKS[task].generation
    if standard.max_new_tokens is not None:
        kwargs = scenario.get("generate_kwargs") or {}
        return GenerationSettings(
            max_new_tokens=kwargs.get("max_new_tokens"), min_new_tokens=kwargs.get("min_new_tokens")
        )
    if standard.num_inference_steps is not None:
        kwargs = scenario.get("call_kwargs") or {}
        return GenerationSettings(
            num_inference_steps=kwargs.get("num_inference_steps"),
            num_images_per_prompt=kwargs.get("num_images_per_prompt"),
        )
    return GenerationSettings()


def _gpu_name(environment: dict, label: str) -> str:
    gpus = environment.get("gpu")
    name = gpus[0] if isinstance(gpus, list) and gpus else gpus
    if not isinstance(name, str) or not name:
        raise ReferenceLogError(f"{label}: {CONFIG} names no GPU (environment.gpu): CPU runs are not accepted")
    return name


def _gpus_used(backend: dict) -> int:
    """The GPUs the benchmark ran on: its `device_ids` ("0", "0,1"), one when unset. The environment's
    `gpu_count` is every GPU of the machine, which on an 8-GPU node is not what ran."""
    device_ids = [part for part in str(backend.get("device_ids") or "0").split(",") if part.strip()]
    return max(len(device_ids), 1)


def _model_name(model: object) -> str:
    name = str(model or "reference-model").rstrip("/").split("/")[-1]
    return "".join(c if c.isalnum() or c in "._-" else "-" for c in name)[:96] or "reference-model"


def _gates(
    task: TaskId, settings: BenchmarkSettings, windows: tuple[gates.Window, ...], gpu_name: str, gpu_count: int
) -> tuple[ValidityCheck, ...]:
    """Our gates where the logs allow them; the rest say what the reference logs cannot show. The logs hold no
    idle baseline and no parameter count: power is bounded by the GPU model's own figures (core.gpus), speed
    by the floors per pass alone."""
    repetitions = gates.phase_values(task, windows)
    gpu = gpu_spec(gpu_name, gpu_count)
    scores = [sum(values.gpu_kwh for values in phases.values()) for phases in repetitions]
    checks = [
        gates.settings_conform(settings, task),
        gates.dataset_standard(settings, task, on_gpu=True),
        gates.score_energy_positive(repetitions, on_gpu=True),
        gates.gpu_energy_positive(repetitions, on_gpu=True),
        gates.cv_below_threshold(scores, on_gpu=True),
        gates.window_long_enough(windows, on_gpu=True),
    ]
    if gpu is None:
        detail = f"unknown GPU {gpu_name!r}: its power limit and idle draw are not known"
        checks.append(ValidityCheck(name="average_power_in_range", passed=False, detail=detail))
    else:
        checks.append(gates.average_power_in_range(repetitions, idle_power_w=None, tdp_w=None, gpu=gpu, on_gpu=True))
    checks.append(gates.speed_within_bounds(repetitions, settings, gpu=gpu, parameters=None, on_gpu=True))
    checks += [
        ValidityCheck(
            name="gpu_energy_from_counter",
            passed=True,
            detail="CodeCarbon's reading of the NVML energy counter; the reference logs hold no second read",
        ),
        ValidityCheck(
            name="gpu_exclusive",
            passed=True,
            detail="not recorded by the reference runner: covered by the vendor's data-integrity attestation",
        ),
        ValidityCheck(
            name="power_limit_default",
            passed=True,
            detail="the power limit in force is not recorded by the reference runner: covered by the vendor's "
            "model-representation attestation",
        ),
    ]
    if gates.generates(task):
        checks.append(gates.decode_positive(repetitions, on_gpu=True))
        forced = settings.generation.min_new_tokens == settings.generation.max_new_tokens
        checks.append(
            ValidityCheck(
                name="tokens_produced",
                passed=forced,
                detail=(
                    f"forced by min_new_tokens = max_new_tokens = {settings.generation.max_new_tokens} in the config "
                    "(the reference logs do not count tokens)"
                    if forced
                    else "min_new_tokens ≠ max_new_tokens: the number of generated tokens is not known"
                ),
            )
        )
    return tuple(checks)
