"""The benchmark process, `python -m runner.child WORKDIR`: one RunSpec, measured, written out as a log folder.

With runner/scenario.py, the only place that imports torch, transformers, optimum-benchmark and CodeCarbon.
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
import hashlib
import importlib.metadata
import json
import logging
import os
import platform
import re
import signal
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import psutil
import torch
from huggingface_hub import snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError
from huggingface_hub.utils import HFValidationError, validate_repo_id
from optimum_benchmark import Benchmark, BenchmarkConfig, InlineConfig, PyTorchConfig
from optimum_benchmark.backends.transformers_utils import get_transformers_auto_model_class_for_task
from pydantic import ValidationError

from core.catalog import TASKS, Phase, Task, TaskId, size_class_for
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
from runner.engine import SPEC_FILE, SUMMARY_FILE, RunFailed, write_failure
from runner.hardware import (
    IDLE_BASELINE_S,
    EnergyCounter,
    GpuInfo,
    GpuProcess,
    NoGpu,
    ProcessListUnavailable,
    cpu_hardware,
    foreign_processes,
    gpu_hardware,
    visible_gpus,
)
from runner.params import DoesNotFit, check_fits_in_ram, count_safetensors_parameters, gpus_to_use
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

HARDWARE_FILE = "hardware.json"
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
# The catalog tasks that run a Diffusers pipeline (a folder with model_index.json); the others run a Transformers model.
DIFFUSERS_TASKS = frozenset({TaskId.IMAGE_GENERATION})
PIPELINE_INDEX = "model_index.json"
# Weight files of a pipeline's sub-models: safetensors, or the older pickled formats.
_PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt")
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
_SHA = re.compile(r"^[0-9a-f]{40}$")
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


@dataclass(frozen=True)
class Resolved:
    """A model or dataset as a local folder, with the name and revision to record."""

    path: Path
    name: str
    revision: str | None


def workload(task: Task) -> Workload:
    if Phase.DECODE in task.phases:
        return "generate"
    return "call" if Phase.CALL in task.phases else "forward"


def local_model_id(folder: Path) -> str:
    """A Hub-style id for a local folder: `<parent>/<name>`, as the worker keeps models (<models_dir>/<org>/<name>)."""
    parts = [re.sub(r"[^\w.-]+", "-", p).strip("-.") or "local" for p in folder.resolve().parts[-2:]]
    candidate = "/".join(parts)
    try:
        validate_repo_id(candidate)
    except HFValidationError:
        return f"local/{parts[-1][:80]}"
    return candidate


def hub_snapshot(path: Path) -> tuple[str, str] | None:
    """(repo id, commit sha) of a Hugging Face cache snapshot folder (…/datasets--org--name/snapshots/<sha>)."""
    parts = path.parts
    if len(parts) < 3 or parts[-2] != "snapshots" or not _SHA.match(parts[-1]):
        return None
    kind, _, name = parts[-3].partition("--")
    if kind not in ("datasets", "models") or "--" not in name:
        return None
    return name.replace("--", "/", 1), parts[-1]


def folder_digest(folder: Path) -> str:
    """A content revision for a local dataset folder: sha256 over its files' relative paths and bytes."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        digest.update(file.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
    return f"sha256:{digest.hexdigest()}"


def _snapshot(repo_id: str, revision: str | None, repo_type: str) -> Path:
    try:
        return Path(snapshot_download(repo_id, revision=revision, repo_type=repo_type, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError) as err:
        raise RunFailed(
            "load",
            f"{repo_type} {repo_id!r} (revision {revision or 'main'}) is not in the local Hugging Face cache: the "
            f"runner works offline, so download it first (huggingface-cli download --repo-type {repo_type} {repo_id})",
        ) from err


def resolve_model(spec: RunSpec) -> Resolved:
    if spec.is_local_model:
        path = Path(spec.model).resolve()
        hub = hub_snapshot(path)
        if hub is not None:  # downloaded from the Hub (by the worker or `run`): its id and commit
            return Resolved(path=path, name=hub[0], revision=hub[1])
        revision = spec.revision if spec.revision and _SHA.match(spec.revision) else None
        return Resolved(path=path, name=local_model_id(path), revision=revision)
    path = _snapshot(spec.model, spec.revision, "model")
    return Resolved(path=path, name=spec.model, revision=path.name)  # a snapshot folder is named by its commit


def resolve_dataset(spec: RunSpec, task: Task) -> Resolved:
    if spec.dataset is not None:
        path = Path(spec.dataset).resolve()
        if not path.is_dir():
            raise RunFailed("refused", f"dataset {spec.dataset!r} is not a folder: give a local dataset folder")
        hub = hub_snapshot(path)
        if hub is not None:  # the worker downloaded the Hub dataset: record its id and commit
            return Resolved(path=path, name=hub[0], revision=hub[1])
        return Resolved(path=path, name=spec.dataset_copy_of or spec.dataset, revision=folder_digest(path))
    path = _snapshot(task.dataset, None, "dataset")
    return Resolved(path=path, name=task.dataset, revision=path.name)


def model_config(path: Path) -> dict:
    file = path / "config.json"
    try:
        return json.loads(file.read_text())
    except FileNotFoundError:
        raise RunFailed("load", f"{path} has no config.json: not a Transformers model folder") from None
    except json.JSONDecodeError as err:
        raise RunFailed("load", f"{file} is not valid JSON: {err}") from err


def pipeline_index(path: Path) -> dict:
    """A Diffusers pipeline's model_index.json: its class and its components as `name: [library, class]`."""
    file = path / PIPELINE_INDEX
    try:
        index = json.loads(file.read_text())
    except json.JSONDecodeError as err:
        raise RunFailed("load", f"{file} is not valid JSON: {err}") from err
    if not isinstance(index, dict):
        raise RunFailed("load", f"{file} is not a pipeline index (a JSON object)")
    return index


def pipeline_class_name(index: dict) -> str:
    """The pipeline's class (a custom pipeline's index names it as `[module, class]`)."""
    name = index.get("_class_name")
    return str(name[-1] if isinstance(name, list) and name else name)


def is_pipeline(spec: RunSpec, task: Task, path: Path) -> bool:
    """Whether the model is a Diffusers pipeline; refused when the task needs the other library."""
    pipeline = (path / PIPELINE_INDEX).is_file()
    if pipeline and task.id not in DIFFUSERS_TASKS:
        raise RunFailed(
            "refused",
            f"{spec.model} is a Diffusers pipeline (it has {PIPELINE_INDEX}), but {task.display_name} runs a "
            "Transformers model (a folder with config.json); submit it for image generation instead",
        )
    if not pipeline and task.id in DIFFUSERS_TASKS:
        if (path / "config.json").is_file():
            raise RunFailed(
                "refused",
                f"{spec.model} is a Transformers model (config.json, no {PIPELINE_INDEX}), but {task.display_name} "
                "runs a Diffusers text-to-image pipeline",
            )
        raise RunFailed("load", f"{path} has no {PIPELINE_INDEX}: not a Diffusers pipeline folder")
    return pipeline


def _components(index: dict) -> dict[str, tuple[str, str]]:
    """The pipeline's components that name a class, as `name: (library, class)` (unset ones are `[null, null]`)."""
    return {
        name: (entry[0], entry[1])
        for name, entry in index.items()
        if not name.startswith("_")
        and isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(part, str) for part in entry)
    }


def check_pipeline_code(index: dict, path: Path, spec: RunSpec) -> None:
    """A pipeline whose index names Python files of its own folder (a custom pipeline class or component, as
    Diffusers resolves them) needs its own code, which runs only when allowed."""
    class_name = index.get("_class_name")
    files = [path / f"{class_name[0]}.py"] if isinstance(class_name, list) and class_name else []
    files += [path / name / f"{module}.py" for name, (module, _) in _components(index).items()]
    own = [f.relative_to(path).as_posix() for f in files if f.is_file()]
    if own and not spec.trust_remote_code:
        raise RunFailed(
            "refused",
            f"{spec.model}: the pipeline runs code of its own ({', '.join(own)}), so it needs trust_remote_code; "
            "that stays off unless an operator allows it for this model",
        )


def check_remote_code(config: dict, spec: RunSpec) -> None:
    """A model whose type transformers does not know needs its own code, which runs only when allowed."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    model_type = config.get("model_type")
    if model_type not in CONFIG_MAPPING and not spec.trust_remote_code:
        raise RunFailed(
            "refused",
            f"{spec.model}: model type {model_type!r} is not part of transformers, so the model needs its own code "
            "(trust_remote_code); that stays off unless an operator allows it for this model",
        )


def check_not_quantized(config: dict, spec: RunSpec, precision: str) -> None:
    """Every model runs in its task's precision; a quantized checkpoint would load in its own format (and
    its packed weights would under-count its parameters, hence its size class)."""
    quantization = config.get("quantization_config")
    if quantization:
        method = quantization.get("quant_method", "unnamed") if isinstance(quantization, dict) else "unnamed"
        raise RunFailed(
            "refused",
            f"{spec.model}: a quantized checkpoint ({method}); the task runs in {precision} for every model. "
            "Benchmark the unquantized model.",
        )


def count_parameters(
    model: Resolved, ob_task: str, config: dict, spec: RunSpec, pipeline: dict | None = None
) -> tuple[int, str]:
    """The parameter count and how it was obtained: safetensors headers, else the model built on the meta device.

    For a Diffusers pipeline (`pipeline`, its index) the count sums its sub-models (UNet or transformer, VAE,
    text encoders); the headers serve only when every sub-model's weights are in safetensors files."""
    from accelerate import init_empty_weights
    from transformers import AutoConfig

    with failures_as("load", "counting the model's parameters"):
        if pipeline is not None:
            if all(any(folder.glob("*.safetensors")) for folder in _weight_folders(model.path, pipeline)):
                counted = count_safetensors_parameters(model.path)
                if counted is not None:
                    return counted, "safetensors headers"
            return count_pipeline_parameters(model.path, pipeline), "pipeline's models built on the meta device"
        counted = count_safetensors_parameters(model.path)
        if counted is not None:
            return counted, "safetensors headers"
        pretrained = AutoConfig.from_pretrained(model.path, trust_remote_code=spec.trust_remote_code)
        auto_class = get_transformers_auto_model_class_for_task(ob_task, config.get("model_type"))
        with init_empty_weights():  # no memory: shapes only
            empty = auto_class.from_config(pretrained, trust_remote_code=spec.trust_remote_code)
        return sum(p.numel() for p in empty.parameters()), "model built on the meta device"


def _weight_folders(path: Path, index: dict) -> list[Path]:
    """The component folders of a pipeline that hold weight files of any format."""
    folders = [path / name for name in _components(index)]
    return [
        folder
        for folder in folders
        if any(any(folder.glob(pattern)) for pattern in ("*.safetensors", *_PICKLED_WEIGHTS))
    ]


def count_pipeline_parameters(path: Path, index: dict) -> int:
    """A pipeline's parameters from its sub-models built on the meta device from their configs (no memory).
    Schedulers, tokenizers and processors hold no weights; a component class that cannot be found is an error,
    since skipping it would under-count."""
    import diffusers
    import transformers
    from accelerate import init_empty_weights

    total = 0
    for name, (library, class_name) in _components(index).items():
        if library == "transformers":
            module = transformers
        elif library == "diffusers":
            module = diffusers
        else:  # older indexes name the diffusers.pipelines module, e.g. ["stable_diffusion", "…SafetyChecker"]
            module = getattr(diffusers.pipelines, library, None)
        cls = getattr(module, class_name, None)
        if not isinstance(cls, type):
            raise ValueError(f"component {name} is a {library}.{class_name}, which cannot be found to count it")
        with init_empty_weights():
            if issubclass(cls, transformers.PreTrainedModel):
                built = cls(cls.config_class.from_pretrained(path / name))
            elif issubclass(cls, diffusers.ModelMixin):
                built = cls.from_config(cls.load_config(path / name))
            else:
                continue
        total += sum(p.numel() for p in built.parameters())
    return total


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


@dataclass(frozen=True)
class Machine:
    """What the run measures on, recorded in hardware.json."""

    hardware: Hardware
    gpus: list[GpuInfo]
    tdp_w: float | None  # the GPUs' default power limits, summed
    enforced_limit_w: float | None  # the limits in force when the run started, summed; None if unreadable
    idle_power_w: float | None
    idle_baseline_s: float | None
    processes_before: list[GpuProcess]  # on the GPUs before this process started CUDA
    process_list_errors: list[str]

    def record(self) -> dict:
        return {
            "hardware": self.hardware.model_dump(mode="json"),
            "gpus": [asdict(g) for g in self.gpus],
            "tdp_w": self.tdp_w,
            "enforced_power_limit_w": self.enforced_limit_w,
            "idle_power_w": self.idle_power_w,
            "idle_baseline_s": self.idle_baseline_s,
            "gpu_processes_before_start": [asdict(p) for p in self.processes_before],
            "process_list_errors": self.process_list_errors,
            "runner_pid": os.getpid(),  # so that a validator can tell our process from others on the GPU
        }


def machine_for(spec: RunSpec, task: Task, parameters: int, model_name: str) -> Machine:
    """The fewest GPUs the model fits on (refused when it cannot), with the idle baseline, or the CPU."""
    try:
        if spec.device == "cpu":
            check_fits_in_ram(parameters, task.precision, psutil.virtual_memory().total)
            return Machine(cpu_hardware(), [], None, None, None, None, [], [])
        visible = visible_gpus()
        size_class = size_class_for(parameters) if task.has_size_classes else None
        gpus = visible[: gpus_to_use(parameters, task.precision, [g.memory_bytes for g in visible], size_class)]
    except NoGpu as err:
        raise RunFailed("refused", f"device cuda was asked for, but {err}; use device cpu on this machine") from err
    except DoesNotFit as err:
        raise RunFailed("refused", f"{model_name}: {err}") from err
    # Before this process starts CUDA: the GPUs idle, and every process on them is someone else's.
    counter = EnergyCounter([g.uuid for g in gpus])
    try:
        before, errors = counter.processes(), []
    except ProcessListUnavailable as err:
        before, errors = [], [str(err)]
    tdp_w = sum(g.tdp_w for g in gpus)
    limits = [g.enforced_limit_w for g in gpus]
    enforced_limit_w = None if None in limits else sum(limits)
    idle_power_w = counter.idle_power_w(IDLE_BASELINE_S)
    return Machine(
        hardware=Hardware.model_validate(
            gpu_hardware(gpus).model_dump() | {"tdp_w": tdp_w, "idle_power_w": idle_power_w}
        ),
        gpus=gpus,
        tdp_w=tdp_w,
        enforced_limit_w=enforced_limit_w,
        idle_power_w=idle_power_w,
        idle_baseline_s=IDLE_BASELINE_S,
        processes_before=before,
        process_list_errors=errors,
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
    pipeline, config = None, None
    if is_pipeline(spec, task, model.path):
        pipeline = pipeline_index(model.path)
        check_pipeline_code(pipeline, model.path, spec)
        for name in _components(pipeline):
            if (model.path / name / "config.json").is_file():
                check_not_quantized(model_config(model.path / name), spec, task.precision)
    else:
        config = model_config(model.path)
        check_remote_code(config, spec)
        check_not_quantized(config, spec, task.precision)
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
