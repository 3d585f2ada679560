"""The benchmark process, `python -m runner.child WORKDIR`: one RunSpec, measured, written out as a log folder.

The run in order: the model and dataset found (runner/resolve.py), the model folder checked (runner/model_checks.py),
its parameters counted (runner/counting.py), its GPUs chosen (runner/machine.py), then measured by our
optimum-benchmark scenario (runner/scenario.py) and gated (runner/gates.py) into a Result. Only the child imports
torch, transformers, optimum-benchmark and CodeCarbon.
It chdirs into WORKDIR first (optimum-benchmark and CodeCarbon write into the current folder) and leaves:

    spec.json                     the RunSpec (written by the engine); child.log, its stderr (idem)
    benchmark_config.json         optimum-benchmark's config, as the reference runner writes it
    benchmark_report.json         optimum-benchmark's report with the reference's targets; each measured
                                  target holds the mean over the repetitions (raw values: summary.json)
    load_dataset_codecarbon.json  CodeCarbon's data for the two unscored load windows
    load_model_codecarbon.json
    repetition-NN/<target>_codecarbon.json   CodeCarbon's data for every measured window of repetition NN
    measurements.json             the raw windows (CodeCarbon and our NVML counter read), GPU processes seen
    hardware.json                 GPUs used, TDP, the idle baseline, processes before start, parameter count
    summary.json                  the Result (core.models), or failure.json: {error_class, message}

Progress goes to the engine as JSON lines on the original stdout; everything else printed goes to stderr.
"""

from __future__ import annotations

# optimum-benchmark 0.6.0 imports a name transformers 5 removed: provide it first (runner/ob_compat.py).
import runner.ob_compat  # noqa: F401

# isort: split

import argparse
import copy
import ctypes
import importlib.metadata
import json
import logging
import os
import platform
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import torch
from optimum_benchmark import Benchmark, BenchmarkConfig, InlineConfig, PyTorchConfig
from pydantic import ValidationError

from core.catalog import TASKS, Phase, Task, TaskId, size_class_for
from core.models import (
    BenchmarkSettings,
    EnergyMethods,
    EnergySource,
    PhaseMeasurement,
    Repetition,
    Result,
    Source,
    ValidityCheck,
)
from runner import gates
from runner.counting import count_parameters
from runner.engine import SPEC_FILE, SUMMARY_FILE, RunFailed, write_failure
from runner.hardware import GpuInfo, foreign_processes
from runner.machine import HARDWARE_FILE, machine_for
from runner.model_checks import check_model, pipeline_class_name
from runner.resolve import Resolved, resolve_dataset, resolve_model
from runner.scenario import (
    MEASUREMENTS_FILE,
    PROGRESS_LOGGER,
    AiesScenarioConfig,
    Measurements,
    ProgressEvents,
    Workload,
    failures_as,
)
from runner.spec import OB_TASKS, RunSpec

logger = logging.getLogger(__name__)

# energy_star's option naming each of the task's input columns, in the catalog's order.
COLUMN_OPTIONS: dict[TaskId, tuple[str, ...]] = {
    TaskId.TEXT_GENERATION: ("text_column_name",),
    TaskId.SUMMARIZATION: ("text_column_name",),
    TaskId.EXTRACTIVE_QA: ("question_column_name", "context_column_name"),
    TaskId.TEXT_CLASSIFICATION: ("text_column_name",),
    TaskId.SENTENCE_SIMILARITY: ("sentence1_column_name", "sentence2_column_name"),
    TaskId.IMAGE_CLASSIFICATION: ("image_column_name",),
    TaskId.OBJECT_DETECTION: ("image_column_name",),
    TaskId.AUTOMATIC_SPEECH_RECOGNITION: ("audio_column_name",),
    TaskId.IMAGE_GENERATION: ("text_column_name",),
    TaskId.IMAGE_CAPTIONING: ("image_column_name",),
}
SOFTWARE = (
    "torch",
    "transformers",
    "optimum-benchmark",
    "codecarbon",
    "accelerate",
    "datasets",
    "tokenizers",
    "huggingface-hub",
    "diffusers",
    "soundfile",
    "nvidia-ml-py",
)
COUNTRY_ISO_CODE = "USA"  # only CodeCarbon's CO2 figures depend on it, and the score is energy
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def workload(task: Task) -> Workload:
    if Phase.DECODE in task.phases:
        return "generate"
    return "call" if Phase.CALL in task.phases else "forward"


def software_versions(on_gpu: bool) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed, so not used
    if on_gpu and torch.version.cuda:
        versions["torch-cuda"] = torch.version.cuda
    return versions


def benchmark_config(
    spec: RunSpec,
    task: Task,
    model: Resolved,
    dataset: Resolved,
    config: dict | None,
    gpus: list[GpuInfo],
    pipeline: dict | None = None,
) -> BenchmarkConfig:
    """optimum-benchmark's config; `config` is a Transformers model's config.json, `pipeline` a Diffusers
    pipeline's model_index.json (then `config` is None)."""
    generation = task.generation
    scenario = AiesScenarioConfig(
        dataset_name=str(dataset.path),
        dataset_config="",  # energy_star reads a local folder this way
        dataset_split="train",
        num_samples=spec.effective_samples,
        input_shapes={"batch_size": task.batch_size},
        warmup_runs=spec.effective_warmup_runs,
        repetitions=spec.effective_repetitions,
        workload=workload(task),
        country_iso_code=COUNTRY_ISO_CODE,
        energy=True,
        memory=False,  # memory is a separate pass: OB's tracker inside energy windows inflates them ~50×
        latency=False,
        generate_kwargs=(
            {"max_new_tokens": generation.max_new_tokens, "min_new_tokens": generation.min_new_tokens}
            if workload(task) == "generate"
            else {}
        ),
        call_kwargs=(
            {
                "num_inference_steps": generation.num_inference_steps,
                "num_images_per_prompt": generation.num_images_per_prompt,
            }
            if workload(task) == "call"
            else {}
        ),
        **dict(zip(COLUMN_OPTIONS[task.id], task.input_columns, strict=True)),
    )
    backend = PyTorchConfig(
        model=str(model.path),
        device=spec.device,
        # UUIDs, not indices: optimum-benchmark copies device_ids into CUDA_VISIBLE_DEVICES (runner/gpus.py).
        device_ids=",".join(g.uuid for g in gpus) if gpus else None,
        # Given explicitly, so optimum-benchmark infers nothing (its inference asks the Hub first).
        task=OB_TASKS[task.id],
        library="transformers" if pipeline is None else "diffusers",
        # For a pipeline its class name: optimum-benchmark uses the type only to log it, but infers it when unset.
        model_type=(config or {}).get("model_type") if pipeline is None else pipeline_class_name(pipeline),
        torch_dtype=task.precision.value,
        no_weights=False,
        # A pipeline is moved to its one GPU whole (optimum-benchmark passes device_map to Diffusers twice).
        device_map="auto" if len(gpus) > 1 and pipeline is None else None,
        model_kwargs={"trust_remote_code": spec.trust_remote_code},
    )
    return BenchmarkConfig(
        name=f"{task.id.value}-{model.name.replace('/', '--')}",
        backend=backend,
        scenario=scenario,
        launcher=InlineConfig(),  # inline inside this process: no busy-waiting parent around the windows
        log_report=False,
        print_report=False,
    )


def build_repetitions(
    task_id: TaskId, windows: tuple[gates.Window, ...], checks: tuple[ValidityCheck, ...]
) -> tuple[Repetition, ...]:
    """The Result's repetitions; a value the record cannot hold (a negative decode) fails the run, unclamped."""
    repetitions = []
    for index, phases in enumerate(gates.phase_values(task_id, windows), start=1):
        try:
            repetitions.append(
                Repetition(phases={phase: PhaseMeasurement(**values.model_dump()) for phase, values in phases.items()})
            )
        except ValidationError as err:
            failed = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.passed)
            raise RunFailed(
                "measurement",
                f"repetition {index} has a value no result can hold ({err.error_count()} errors). "
                f"Failed checks: {failed}. The raw windows are in {MEASUREMENTS_FILE}.",
            ) from err
    return tuple(repetitions)


def benchmark(spec: RunSpec, *, result_id: str, request_id: str | None) -> Result:
    """Run the whole benchmark in this process; raises RunFailed with a class for every known failure."""
    ProgressEvents(spec.effective_repetitions, 1).emit("prepare")
    task = TASKS[spec.task]
    model = resolve_model(spec)
    dataset = resolve_dataset(spec, task)
    on_gpu = spec.device == "cuda"
    config, pipeline = check_model(spec, task, model.path)
    parameters, counted_from = count_parameters(model, OB_TASKS[task.id], config or {}, spec, pipeline)
    if parameters <= 0:
        raise RunFailed("load", f"{model.path} holds no parameters ({counted_from})")

    machine = machine_for(spec, task, parameters, model.name)
    record = machine.record() | {"parameters": parameters, "parameters_counted_from": counted_from}
    Path(HARDWARE_FILE).write_text(json.dumps(record, indent=2))

    config_to_launch = benchmark_config(spec, task, model, dataset, config, machine.gpus, pipeline)
    saved = copy.deepcopy(config_to_launch)  # launching mutates the config; the saved one must be as given
    # Errors before our scenario starts come from the backend's set-up: config, processor, model class.
    with failures_as("load", "setting up the model"):
        report = Benchmark.launch(config_to_launch)
    saved.save_json("benchmark_config.json")
    report.save_json("benchmark_report.json")

    measured = Measurements.model_validate_json(Path(MEASUREMENTS_FILE).read_text())
    settings = BenchmarkSettings(
        dataset=dataset.name,
        dataset_revision=dataset.revision,
        samples=spec.effective_samples,
        batch_size=task.batch_size,
        precision=task.precision,
        generation=task.generation,
        warmup_runs=spec.effective_warmup_runs,
        repetitions=spec.effective_repetitions,
        random_weights=False,  # the folder's own weights are loaded; no_weights is never used
    )
    checks = gates.evaluate(
        gates.GateInput(
            task=spec.task,
            on_gpu=on_gpu,
            settings=settings,
            windows=measured.windows,
            idle_power_w=machine.idle_power_w,
            tdp_w=machine.tdp_w,
            enforced_limit_w=machine.enforced_limit_w,
            gpu_name=machine.hardware.gpu_name if on_gpu else None,
            gpu_count=machine.hardware.gpu_count,
            parameters=parameters,
            foreign_processes=(
                foreign_processes(machine.processes_before, measured.gpu_processes, os.getpid())
                + tuple(machine.process_list_errors)
                + measured.process_list_errors
                if on_gpu
                else ()
            ),
        )
    )
    counted = on_gpu and all(w.gpu_source is EnergySource.COUNTER for w in measured.windows)
    return Result(
        id=result_id,
        request_id=request_id,
        model_id=model.name,
        revision=model.revision,
        task=spec.task,
        size_class=size_class_for(parameters) if task.has_size_classes else None,
        parameters=parameters,
        hardware=machine.hardware,
        software=software_versions(on_gpu),
        settings=settings,
        repetitions=build_repetitions(spec.task, measured.windows, checks),
        energy_methods=EnergyMethods(
            gpu=EnergySource.COUNTER if counted else EnergySource.ESTIMATE,
            cpu=measured.cpu_source,
            ram=measured.ram_source,
        ),
        checks=checks,
        source=Source.OPEN,
        measured_at=datetime.now(UTC),
    )


def _die_with(parent_pid: int) -> None:
    """Ask Linux to kill this process when the engine's thread that started it dies (PR_SET_PDEATHSIG), so a
    crashed worker leaves no orphan benchmark holding the GPU; exit now if the engine is already gone."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:
        raise SystemExit(f"the engine (pid {parent_pid}) is gone; not starting the benchmark")


def _protocol_stream() -> TextIO:
    """A private copy of stdout for progress events; fd 1 then points at stderr, so that whatever libraries
    print (C code included) lands in child.log and cannot corrupt the protocol."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)
    return stream


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runner.child", description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--result-id", required=True)
    parser.add_argument("--request-id")
    parser.add_argument("--parent-pid", type=int, required=True)
    args = parser.parse_args(argv)
    _die_with(args.parent_pid)
    workdir = args.workdir.resolve()
    os.chdir(workdir)
    progress = logging.StreamHandler(_protocol_stream())
    progress.setFormatter(logging.Formatter("%(message)s"))
    progress_logger = logging.getLogger(PROGRESS_LOGGER)
    progress_logger.addHandler(progress)
    progress_logger.setLevel(logging.INFO)
    progress_logger.propagate = False
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        spec = RunSpec.model_validate_json((workdir / SPEC_FILE).read_text())
    except ValidationError as err:
        write_failure(workdir, "refused", f"{SPEC_FILE} is not a valid RunSpec: {err}")
        return 1
    try:
        result = benchmark(spec, result_id=args.result_id, request_id=args.request_id)
    except RunFailed as err:
        logger.error("run failed (%s): %s", err.error_class, err, exc_info=err.__cause__ or err)
        write_failure(workdir, err.error_class, str(err))
        return 1
    except Exception as err:
        logger.exception("internal error")
        write_failure(workdir, "internal", f"{type(err).__name__}: {err}")
        return 1
    (workdir / SUMMARY_FILE).write_text(result.model_dump_json(indent=2))
    logger.info("result %s written; checks failed: %s", result.id, [c.name for c in result.checks if not c.passed])
    return 0


if __name__ == "__main__":
    sys.exit(main())
