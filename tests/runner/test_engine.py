"""Real runs on CPU with tiny models: the Result, the log folder, progress, failure classes, and no network.

Every run of the module starts together in one fixture (each is its own child process) and the tests
read the outcomes. The children run under a `sitecustomize` guard that refuses and logs every network
access, so a run that completes proves the benchmark needs no network.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import psutil
import pytest

from core.catalog import TASKS, Phase, Precision, SizeClass, TaskId
from core.models import EnergySource, Result
from runner.engine import ERROR_CLASSES, REPO_ROOT, ErrorClass, Progress, RunFailed, run
from runner.gates import NOT_APPLICABLE_CPU
from runner.hardware import NoGpu, visible_gpus
from runner.params import count_safetensors_parameters
from runner.spec import RunSpec

SAMPLES = 12
REPETITIONS = 2
WARMUP_RUNS = 1
TIMEOUT_S = 2  # shorter than the child's imports: it is always still starting when stopped

SUCCESSES: dict[str, tuple[str, TaskId, str]] = {  # case: (model, task, dataset) as Assets fields
    "image_generation": ("tiny_sd", TaskId.IMAGE_GENERATION, "prompts"),  # the slowest first: it starts at once
    "text_generation": ("gpt2", TaskId.TEXT_GENERATION, "text"),
    "text_generation_qwen3_5": ("qwen3_5", TaskId.TEXT_GENERATION, "text"),  # an architecture new in transformers 5
    "text_classification": ("bert_classifier", TaskId.TEXT_CLASSIFICATION, "text"),
    "image_classification": ("vit_classifier", TaskId.IMAGE_CLASSIFICATION, "images"),
    "extractive_qa": ("bert_qa", TaskId.EXTRACTIVE_QA, "qa"),
    "summarization": ("bart", TaskId.SUMMARIZATION, "text"),
    "sentence_similarity": ("bert_encoder", TaskId.SENTENCE_SIMILARITY, "sentence_pairs"),
    "image_captioning": ("vit_gpt2", TaskId.IMAGE_CAPTIONING, "images"),
    "object_detection": ("detr", TaskId.OBJECT_DETECTION, "images"),
    "automatic_speech_recognition": ("whisper", TaskId.AUTOMATIC_SPEECH_RECOGNITION, "audio"),
}
GENERATING = [case for case, (_, task, _) in SUCCESSES.items() if Phase.DECODE in TASKS[task].phases]
TEXT_GENERATION = [case for case, (_, task, _) in SUCCESSES.items() if task is TaskId.TEXT_GENERATION]
FORWARD = [case for case, (_, task, _) in SUCCESSES.items() if Phase.FORWARD in TASKS[task].phases]
# case: (model, expected error class, spec fields), on text classification. Refusals that need no child process
# of their own are tested in process (test_pipelines.py).
FAILURES: dict[str, tuple[str, ErrorClass, dict]] = {
    "raises": ("raising", "inference", {}),
    "empty_folder": ("empty", "load", {}),
    "custom_code": ("custom_code", "refused", {}),
    "pipeline_for_a_transformers_task": ("tiny_sd", "refused", {}),
    "timeout": ("bert_classifier", "timeout", {"timeout_s": TIMEOUT_S}),
    "killed": ("bert_classifier", "crash", {}),
    "cancelled": ("bert_classifier", "cancelled", {}),
}
try:
    visible_gpus()
except NoGpu:
    FAILURES["cuda_without_gpu"] = ("bert_classifier", "refused", {"device": "cuda"})

NETWORK_GUARD = '''"""Test guard: every network access of a runner child is refused and logged."""
import os
import socket

# Beside this file, not named in the environment: the engine passes a child only the variables it allows.
_LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "network.log")
_connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

def _refuse(what):
    with open(_LOG, "a") as out:
        out.write(f"{os.getpid()} {what}\\n")
    raise OSError(f"network access refused by the test guard: {what}")

def _guarded(original):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refuse(f"connect {address!r}")
        return original(self, address)
    return connect

def getaddrinfo(host, *args, **kwargs):
    _refuse(f"getaddrinfo {host!r}")

socket.socket.connect = _guarded(_connect)
socket.socket.connect_ex = _guarded(_connect_ex)
socket.getaddrinfo = getaddrinfo
'''


@dataclass
class Outcome:
    workdir: Path
    wall_s: float
    result: Result | None = None
    error: RunFailed | None = None
    events: list[Progress] = field(default_factory=list)


def _kill_child_of(workdir: Path):
    """An on_progress hook that SIGKILLs the child running in `workdir` once it reports loading."""

    def hook(progress: Progress) -> None:
        if progress.phase != "load":
            return
        for process in psutil.Process().children():
            if "runner.child" in process.cmdline() and str(workdir) in process.cmdline():
                os.kill(process.pid, signal.SIGKILL)

    return hook


ENGINE_PROCESS = (
    "import sys; from pathlib import Path; from runner.engine import run; from runner.spec import RunSpec; "
    "run(RunSpec.model_validate_json(sys.argv[1]), Path(sys.argv[2]))"
)


def _child_outlives_its_engine(spec: RunSpec, workdir: Path) -> bool:
    """Start the engine in a process of its own, SIGKILL that process once its child measures: does the child live on?

    The run asks for many repetitions, so a child that outlived its engine would still be measuring."""
    long_run = spec.model_copy(update={"repetitions": 500})
    engine = subprocess.Popen(
        [sys.executable, "-c", ENGINE_PROCESS, long_run.model_dump_json(), str(workdir)], cwd=REPO_ROOT
    )
    deadline = time.monotonic() + 60
    while not (workdir / "repetition-01").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child = psutil.Process(engine.pid).children()[0]
    engine.kill()
    engine.wait()
    try:
        child.wait(timeout=5)
    except psutil.TimeoutExpired:
        child.kill()
        return True
    return False


def _run(spec: RunSpec, workdir: Path, stop: str | None) -> Outcome:
    """Run `spec`; once the child reports loading, `stop` "killed" SIGKILLs it and "cancelled" sets `cancel`."""
    outcome = Outcome(workdir=workdir, wall_s=0.0)
    kill_hook = _kill_child_of(workdir) if stop == "killed" else None
    cancel = threading.Event()

    def on_progress(progress: Progress) -> None:
        outcome.events.append(progress)
        if kill_hook is not None:
            kill_hook(progress)
        if stop == "cancelled" and progress.phase == "load":
            cancel.set()

    start = time.perf_counter()
    try:
        outcome.result = run(spec, workdir, on_progress=on_progress, cancel=cancel)
    except RunFailed as err:
        outcome.error = err
    outcome.wall_s = time.perf_counter() - start
    return outcome


def _network_guard(folder: Path) -> Path:
    """A folder to put first on a child's PYTHONPATH: its sitecustomize refuses every network access."""
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(NETWORK_GUARD)
    return folder


@pytest.fixture(scope="module")
def runs(assets, tmp_path_factory) -> tuple[dict[str, Outcome], Path, bool]:
    root = tmp_path_factory.mktemp("runs")
    guard = _network_guard(root / "guard")
    network_log = guard / "network.log"
    jobs = {}
    for case, (model, task, dataset) in SUCCESSES.items():
        jobs[case] = (_spec(getattr(assets, model), task, getattr(assets, dataset)), None)
    for case, (model, _, fields) in FAILURES.items():
        jobs[case] = (
            _spec(getattr(assets, model), TaskId.TEXT_CLASSIFICATION, assets.text, **fields),
            case if case in ("killed", "cancelled") else None,
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", str(guard))
        # Four children at once on a machine of 2 cores: with one torch thread each, since OpenMP threads that
        # wait for a core spin and burn it (measured here: the fixture took 189 s with torch's default, 85 s so).
        patch.setenv("OMP_NUM_THREADS", "1")
        with ThreadPoolExecutor(max_workers=4) as pool:
            orphan = pool.submit(_child_outlives_its_engine, jobs["text_classification"][0], root / "orphan")
            futures = {case: pool.submit(_run, spec, root / case, stop) for case, (spec, stop) in jobs.items()}
            outcomes = {case: future.result() for case, future in futures.items()}
            orphan_lived = orphan.result()
    return outcomes, network_log, orphan_lived


@pytest.fixture(scope="module")
def outcomes(runs) -> dict[str, Outcome]:
    return runs[0]


def _spec(model: Path, task: TaskId, dataset: Path, **fields) -> RunSpec:
    settings = dict(device="cpu", samples=SAMPLES, repetitions=REPETITIONS, warmup_runs=WARMUP_RUNS, timeout_s=300)
    return RunSpec(model=str(model), task=task, dataset=str(dataset), **(settings | fields))


def _result(outcomes: dict[str, Outcome], case: str) -> Result:
    outcome = outcomes[case]
    assert outcome.error is None, f"{outcome.error.error_class}: {outcome.error}\n{outcome.error.log_excerpt}"
    return outcome.result


# --- Results ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", SUCCESSES)
def test_a_run_gives_every_phase_of_every_repetition(outcomes, case):
    result = _result(outcomes, case)
    task = TASKS[result.task]
    assert len(result.repetitions) == REPETITIONS
    for repetition in result.repetitions:
        assert set(repetition.phases) == set(task.phases)
        for measurement in repetition.phases.values():
            assert measurement.queries == SAMPLES
            assert measurement.duration_s > 0
            for kwh in (measurement.gpu_kwh, measurement.cpu_kwh, measurement.ram_kwh):
                assert math.isfinite(kwh) and kwh >= 0
            assert measurement.cpu_kwh > 0 and measurement.ram_kwh > 0
            assert measurement.gpu_kwh == 0.0  # a CPU machine: CodeCarbon finds no GPU
    first, second = (rep.phases[task.phases[-1]] for rep in result.repetitions)
    assert first != second  # raw per-repetition values, not one value copied
    assert result.score_component == "cpu" and result.score_wh > 0


@pytest.mark.parametrize("case", SUCCESSES)
def test_a_cpu_result_is_marked_as_such(outcomes, case):
    result = _result(outcomes, case)
    assert (result.hardware.gpu_name, result.hardware.gpu_count) == ("CPU", 0)
    assert result.hardware.cpu_name
    assert result.energy_methods.gpu is EnergySource.ESTIMATE  # no counter was read
    assert result.energy_methods.cpu is EnergySource.ESTIMATE  # no RAPL on these machines
    assert result.energy_methods.ram is EnergySource.ESTIMATE
    assert {"torch", "transformers", "optimum-benchmark", "codecarbon", "python"} <= set(result.software)


@pytest.mark.parametrize("case", SUCCESSES)
def test_the_settings_are_recorded_and_overrides_fail_conformance(outcomes, case):
    result = _result(outcomes, case)
    task = TASKS[result.task]
    settings = result.settings
    assert (settings.samples, settings.repetitions, settings.warmup_runs, settings.batch_size) == (
        SAMPLES,
        REPETITIONS,
        WARMUP_RUNS,
        1,
    )
    assert (settings.precision, settings.generation) == (task.precision, task.generation)
    assert settings.dataset_revision.startswith("sha256:")
    assert settings.random_weights is False
    checks = {check.name: check for check in result.checks}
    assert not checks["settings_conform"].passed
    assert f"samples {SAMPLES}, standard 1000" in checks["settings_conform"].detail
    assert not result.is_valid and not result.is_rateable
    for name in ("gpu_energy_positive", "gpu_energy_from_counter", "average_power_in_range", "window_long_enough"):
        assert checks[name].passed and checks[name].detail == NOT_APPLICABLE_CPU
    assert checks["score_energy_positive"].passed


@pytest.mark.parametrize("case", SUCCESSES)
def test_the_parameter_count_comes_from_the_weights(outcomes, assets, case):
    result = _result(outcomes, case)
    assert result.parameters == count_safetensors_parameters(getattr(assets, SUCCESSES[case][0]))
    assert result.model_id == f"models/{getattr(assets, SUCCESSES[case][0]).name}"


@pytest.mark.parametrize("case", GENERATING)
def test_generating_tasks_count_tokens_and_check_decode(outcomes, case):
    result = _result(outcomes, case)
    new_tokens = TASKS[result.task].generation.min_new_tokens
    for repetition in result.repetitions:
        assert repetition.phases[Phase.PREFILL].tokens == SAMPLES
        assert repetition.phases[Phase.DECODE].tokens == SAMPLES * (new_tokens - 1)
    checks = {check.name: check for check in result.checks}
    assert checks["decode_positive"].passed and checks["tokens_produced"].passed
    assert f"{new_tokens} new tokens per query" in checks["tokens_produced"].detail
    config = json.loads((outcomes[case].workdir / "benchmark_config.json").read_text())
    assert config["scenario"]["workload"] == "generate"
    assert config["scenario"]["generate_kwargs"] == {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens}


@pytest.mark.parametrize("case", TEXT_GENERATION)
def test_text_generation_is_sized_and_in_half_precision(outcomes, case):
    result = _result(outcomes, case)
    assert result.size_class is SizeClass.A
    assert result.settings.precision is Precision.FP16


@pytest.mark.parametrize("case", [case for case in GENERATING if case not in TEXT_GENERATION])
def test_other_generating_tasks_have_no_size_class_and_run_in_full_precision(outcomes, case):
    result = _result(outcomes, case)
    assert result.size_class is None
    assert result.settings.precision is Precision.FP32


@pytest.mark.parametrize("case", FORWARD)
def test_forward_tasks_have_no_generation_checks(outcomes, case):
    result = _result(outcomes, case)
    names = {check.name for check in result.checks}
    assert "decode_positive" not in names and "tokens_produced" not in names
    assert result.size_class is None


@pytest.mark.parametrize(
    ("case", "ob_task"),
    [
        ("summarization", "summarization"),
        ("sentence_similarity", "sentence-similarity"),
        ("image_captioning", "image-to-text"),
        ("object_detection", "object-detection"),
        ("automatic_speech_recognition", "automatic-speech-recognition"),
    ],
)
def test_each_task_runs_as_its_optimum_benchmark_task_on_its_input_columns(outcomes, case, ob_task):
    result = _result(outcomes, case)
    config = json.loads((outcomes[case].workdir / "benchmark_config.json").read_text())
    assert (config["backend"]["task"], config["backend"]["library"]) == (ob_task, "transformers")
    columns = {value for name, value in config["scenario"].items() if name.endswith("_column_name")}
    assert set(TASKS[result.task].input_columns) <= columns


def test_a_captioner_without_a_processor_class_pairs_its_image_processor_and_tokenizer(outcomes):
    _result(outcomes, "image_captioning")
    log = (outcomes["image_captioning"].workdir / "child.log").read_text()
    assert "pairing its image processor and tokenizer" in log


def test_image_generation_draws_with_the_catalog_settings(outcomes, assets):
    result = _result(outcomes, "image_generation")
    task = TASKS[TaskId.IMAGE_GENERATION]
    assert result.settings.generation.num_inference_steps == 30
    assert result.settings.generation.num_images_per_prompt == 1
    assert result.settings.generation == task.generation
    assert result.settings.precision is Precision.FP32
    assert result.size_class is None
    assert "diffusers" in result.software
    for repetition in result.repetitions:
        assert list(repetition.phases) == [Phase.PREPROCESS, Phase.CALL]
        assert repetition.phases[Phase.CALL].tokens is None
    names = {check.name for check in result.checks}
    assert "decode_positive" not in names and "tokens_produced" not in names
    workdir = outcomes["image_generation"].workdir
    config = json.loads((workdir / "benchmark_config.json").read_text())
    assert config["backend"]["library"] == "diffusers"
    assert config["backend"]["task"] == "text-to-image"
    assert config["scenario"]["workload"] == "call"
    assert config["scenario"]["call_kwargs"] == {"num_inference_steps": 30, "num_images_per_prompt": 1}
    assert config["scenario"]["text_column_name"] == "prompt"
    report = json.loads((workdir / "benchmark_report.json").read_text())
    assert report["call"]["efficiency"]["unit"] == "images/kWh"


def test_a_pipeline_counts_the_parameters_of_all_its_models(outcomes, assets):
    result = _result(outcomes, "image_generation")
    models = {name: count_safetensors_parameters(assets.tiny_sd / name) for name in ("unet", "vae", "text_encoder")}
    assert all(count and count > 0 for count in models.values()), models
    assert result.parameters == sum(models.values())
    machine = json.loads((outcomes["image_generation"].workdir / "hardware.json").read_text())
    assert machine["parameters_counted_from"] == "safetensors headers"


@pytest.mark.parametrize("case", SUCCESSES)
def test_the_log_folder_revalidates(outcomes, case):
    from runner.validate import check_logs

    result = _result(outcomes, case)
    report = check_logs(outcomes[case].workdir)
    assert report.problems == []
    assert report.result == result
    recorded = {check.name: check.passed for check in result.checks}
    assert {check.name: check.passed for check in report.recomputed} == recorded


# --- The log folder ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", SUCCESSES)
def test_the_log_folder_holds_the_reference_files_and_ours(outcomes, case):
    from optimum_benchmark import BenchmarkReport

    result = _result(outcomes, case)
    workdir = outcomes[case].workdir
    task = TASKS[result.task]
    generates = Phase.DECODE in task.phases
    model_target = "call" if Phase.CALL in task.phases else "forward"
    windows = ["preprocess_dataset", *(["prefill", "generate"] if generates else [model_target])]
    scored_targets = ["prefill", "decode"] if generates else [model_target]
    for name in ("spec.json", "child.log", "benchmark_config.json", "benchmark_report.json", "measurements.json"):
        assert (workdir / name).is_file(), name
    for name in ("load_dataset_codecarbon.json", "load_model_codecarbon.json", "hardware.json"):
        assert (workdir / name).is_file(), name
    assert Result.model_validate_json((workdir / "summary.json").read_text()) == result

    config = json.loads((workdir / "benchmark_config.json").read_text())
    assert config["launcher"]["name"] == "inline"
    assert config["scenario"]["_target_"] == "runner.scenario.AiesScenario"
    assert config["scenario"]["num_samples"] == SAMPLES
    assert config["backend"]["torch_dtype"] == result.settings.precision.value
    report = BenchmarkReport.from_json(workdir / "benchmark_report.json")
    assert list(report.to_dict()) == ["load_dataset", "preprocess_dataset", "load_model", *scored_targets]

    phase_of = {
        "preprocess_dataset": Phase.PREPROCESS,
        "prefill": Phase.PREFILL,
        "forward": Phase.FORWARD,
        "call": Phase.CALL,
    }
    for index, repetition in enumerate(result.repetitions, start=1):
        for window in windows:
            codecarbon = json.loads((workdir / f"repetition-{index:02d}" / f"{window}_codecarbon.json").read_text())
            if window in phase_of:  # the result holds exactly what CodeCarbon wrote
                assert repetition.phases[phase_of[window]].cpu_kwh == codecarbon["cpu_energy"]
                assert repetition.phases[phase_of[window]].ram_kwh == codecarbon["ram_energy"]
            if window == "generate":
                prefill = repetition.phases[Phase.PREFILL]
                assert repetition.phases[Phase.DECODE].cpu_kwh == codecarbon["cpu_energy"] - prefill.cpu_kwh


@pytest.mark.parametrize("case", SUCCESSES)
def test_progress_is_reported_until_done(outcomes, case):
    events = outcomes[case].events
    phases = [event.phase for event in events]
    assert phases[:3] == ["prepare", "load", "warmup"] and phases[-1] == "done"
    assert [event.done for event in events] == sorted(event.done for event in events)
    assert events[-1].done == 1.0
    assert {event.repetition for event in events if event.repetition is not None} == set(range(1, REPETITIONS + 1))
    assert all(event.repetitions == REPETITIONS for event in events)


# --- Failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", FAILURES)
def test_failures_are_classified(outcomes, case):
    outcome = outcomes[case]
    assert outcome.result is None, f"expected {FAILURES[case][1]}, got a result"
    assert outcome.error.error_class == FAILURES[case][1], f"{outcome.error}\n{outcome.error.log_excerpt}"
    assert not (outcome.workdir / "summary.json").exists()
    if case == "cuda_without_gpu":  # refused by the engine, which found no GPU through NVML: no child started
        assert not (outcome.workdir / "child.log").exists()
    elif case != "timeout":  # stopped during its imports, it may not have written a line yet
        assert outcome.error.log_excerpt


def test_failure_messages_say_what_happened(outcomes):
    assert "IndexError" in str(outcomes["raises"].error)
    assert "no config.json" in str(outcomes["empty_folder"].error)
    assert "trust_remote_code" in str(outcomes["custom_code"].error)
    pipeline_for_text = str(outcomes["pipeline_for_a_transformers_task"].error)
    assert "is a Diffusers pipeline (it has model_index.json), but Binary Text Classification runs a Transformers" in (
        pipeline_for_text
    )
    assert "SIGKILL" in str(outcomes["killed"].error)
    assert "stopped on request" in str(outcomes["cancelled"].error)
    assert f"limit of {float(TIMEOUT_S)} s" in str(outcomes["timeout"].error)
    assert outcomes["timeout"].wall_s < TIMEOUT_S + 5


def test_a_child_dies_with_its_engine(runs):
    _, _, orphan_lived = runs
    assert not orphan_lived


def test_no_child_outlives_its_run(outcomes):
    assert not [p for p in psutil.Process().children(recursive=True) if "runner.child" in p.cmdline()]


def test_the_network_guard_refuses_and_logs(tmp_path):
    guard = _network_guard(tmp_path / "guard")
    log = guard / "network.log"
    env = os.environ | {"PYTHONPATH": str(guard)}
    code = "import socket; socket.create_connection(('192.0.2.1', 443), timeout=1)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "refused by the test guard" in out.stderr
    assert "192.0.2.1" in log.read_text()


def test_no_run_touched_the_network(runs):
    _, network_log, _ = runs
    assert not network_log.exists(), network_log.read_text()


# --- The engine itself -------------------------------------------------------------------------


def test_a_run_needs_a_fresh_folder(tmp_path, assets):
    (tmp_path / "old.txt").write_text("a previous run")
    with pytest.raises(ValueError, match="not empty"):
        run(_spec(assets.bert_classifier, TaskId.TEXT_CLASSIFICATION, assets.text), tmp_path)


def test_every_error_class_is_explained():
    assert set(ERROR_CLASSES) == set(get_args(ErrorClass))
    with pytest.raises(ValueError, match="unknown error class"):
        RunFailed("mystery", "?")


def test_the_light_runner_modules_import_nothing_heavy():
    heavy = ["torch", "transformers", "optimum_benchmark", "codecarbon", "pynvml", "datasets"]
    code = (
        "import sys, runner.engine, runner.spec, runner.gates, runner.params, runner.hardware; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- GPU identity before the child starts CUDA (fake NVML, conftest) ------------------------------

GPU_0, GPU_1 = "GPU-00000000-aaaa", "GPU-00000001-aaaa"


def _cuda_spec() -> RunSpec:
    return RunSpec(model="/nowhere/model", task=TaskId.TEXT_CLASSIFICATION, device="cuda")


def test_a_gpu_child_gets_the_chosen_gpus_by_uuid_whatever_the_parent_said(nvml, monkeypatch):
    from runner.engine import candidate_gpus, child_environment

    nvml()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,0")  # the operator's choice, in NVML's indices
    parent = {"PATH": "/usr/bin", "CUDA_VISIBLE_DEVICES": "1,0", "CUDA_DEVICE_ORDER": "FASTEST_FIRST"}
    env = child_environment(parent, candidate_gpus(_cuda_spec()))
    assert env["CUDA_VISIBLE_DEVICES"] == f"{GPU_1},{GPU_0}"
    assert env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID" and env["PYTORCH_NVML_BASED_CUDA_CHECK"] == "1"


def test_a_cpu_child_gets_no_gpu_pinning(nvml):
    from runner.engine import candidate_gpus, child_environment

    nvml()
    spec = RunSpec(model="/nowhere/model", task=TaskId.TEXT_CLASSIFICATION, device="cpu")
    assert candidate_gpus(spec) == []
    assert "PYTORCH_NVML_BASED_CUDA_CHECK" not in child_environment({"PATH": "/usr/bin"}, candidate_gpus(spec))


def test_a_gpu_in_mig_mode_is_refused_before_the_child_starts(nvml, monkeypatch, tmp_path):
    nvml(mig={1})
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    with pytest.raises(RunFailed) as refused:
        run(_cuda_spec(), tmp_path / "run")
    assert refused.value.error_class == "refused"
    assert str(refused.value).startswith(f"GPU 1 (NVIDIA H100 80GB HBM3, {GPU_1}) is in MIG mode")
    assert "nvidia-smi -i 1 -mig 0" in str(refused.value)
    assert list((tmp_path / "run").iterdir()) == []  # no spec written, no child started
