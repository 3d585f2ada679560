"""Our optimum-benchmark scenario: energy_star's data and backend calls, each phase measured directly, repeated.

It plugs in through the benchmark config's `_target_` (optimum-benchmark resolves it with hydra's
`get_class`), so optimum-benchmark's PyTorch backend, dataset preprocessing and report format are reused.
What differs from energy_star: the measured windows repeat `repetitions` times after the warm-up; prefill
and the whole generation are each measured directly (decode is derived later and checked by the gates,
never clamped); CodeCarbon's offline tracker makes no network lookup and its tasks are stopped in a
`finally`; our own NVML counter read brackets every GPU window and is its scored GPU energy (CodeCarbon's
GPU figure is kept as a cross-check, its CPU and RAM figures are recorded); memory is measured in a separate pass
outside the energy windows; the raw windows go to measurements.json beside the per-window CodeCarbon files.
energy_star's preprocessing gets its inputs as it expects them where this stack would not give them: audio
decoded with soundfile (datasets 5 needs torchcodec, which does not load beside the CPU torch), and an image
captioner saved without a processor class gets its image processor and tokenizer paired.
"""

from __future__ import annotations

# optimum-benchmark 0.6.0 imports a name transformers 5 removed: provide it first (runner/ob_compat.py).
import runner.ob_compat  # noqa: F401

# isort: split

import io
import json
import logging
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

import datasets
import numpy as np
import torch
from codecarbon import OfflineEmissionsTracker
from codecarbon.external.hardware import CPU
from codecarbon.output_methods.emissions_data import EmissionsData
from optimum_benchmark.backends.base import Backend
from optimum_benchmark.benchmark.report import BenchmarkReport
from optimum_benchmark.preprocessors.dataset_preprocessor import TASKS_TO_PREPROCESSORS
from optimum_benchmark.scenarios.base import Scenario
from optimum_benchmark.scenarios.energy_star.config import EnergyStarConfig
from optimum_benchmark.trackers.energy import Efficiency, Energy
from optimum_benchmark.trackers.memory import Memory
from pydantic import BaseModel, ConfigDict
from transformers import (
    AutoImageProcessor,
    AutoTokenizer,
    LogitsProcessor,
    LogitsProcessorList,
    PreTrainedModel,
    ProcessorMixin,
)
from transformers.core_model_loading import build_glob_alternation

from core.models import EnergySource
from runner.engine import ErrorClass, RunFailed
from runner.gates import KWH_TO_J, Window
from runner.gpus import check_devices, synchronize, uuids_of
from runner.hardware import EnergyCounter, GpuProcess, ProcessListUnavailable
from runner.tracker_options import offline_tracker_options

logger = logging.getLogger(__name__)

PROGRESS_LOGGER = "runner.progress"
MEASUREMENTS_FILE = "measurements.json"
Workload = Literal["generate", "forward", "call"]
# Greedy, one sequence, with the KV cache: energy_star's defaults, so the work matches the reference.
GENERATE_DEFAULTS = {"num_return_sequences": 1, "do_sample": False, "use_cache": True, "num_beams": 1}
PREFILL_OVERRIDES = {"max_new_tokens": 1, "min_new_tokens": 1}
# The peak memory of a batch-1 run is set by its largest inputs: a pass over the 10 largest finds it.
MEMORY_PASS_SAMPLES = 10
# CodeCarbon CPU modes that read a hardware energy counter; the others model power from TDP and load.
COUNTER_CPU_MODES = {"intel_rapl", "windows_emi", "intel_power_gadget"}
# CodeCarbon's options that change its energies, each given so that its config cannot: it takes an argument
# over a CODECARBON_* variable, ./.codecarbon.config and ~/.codecarbon.config. A PUE multiplies every figure
# (a facility's overhead is not the hardware's draw); forced powers replace measurement with constants.
PHASE_OF_TARGET = {"preprocess_dataset": "preprocess"}
EFFICIENCY_UNITS = {
    "preprocess_dataset": "samples/kWh",
    "prefill": "samples/kWh",
    "decode": "tokens/kWh",
    "forward": "samples/kWh",
    "call": "images/kWh",
}
T = TypeVar("T")


@dataclass
class AiesScenarioConfig(EnergyStarConfig):
    """energy_star's options (datasets, columns, kwargs) plus repetitions and what is measured."""

    name: str = "aies_energy"
    _target_: str = "runner.scenario.AiesScenario"
    repetitions: int = 10
    workload: Workload = "forward"  # generate (prefill + generate windows), forward, or call (diffusion pipelines)
    country_iso_code: str = "USA"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.num_samples <= 0:
            raise ValueError(
                f"num_samples must be set explicitly, got {self.num_samples}: energy_star's -1 runs no sample at all"
            )
        if self.repetitions <= 0:
            raise ValueError(f"repetitions must be positive, got {self.repetitions}")
        if self.workload not in get_args(Workload):
            raise ValueError(f"workload must be generate, forward or call, got {self.workload!r}")


class Tf32Flags(BaseModel):
    """Whether float32 matmuls and convolutions may run as TF32 on the GPU (Ampere and later: 10 mantissa bits
    instead of 23, faster and cheaper), as in force during the windows: an FP32 figure means less work with them on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cuda_matmul_allow_tf32: bool  # torch.backends.cuda.matmul.allow_tf32
    cudnn_allow_tf32: bool  # torch.backends.cudnn.allow_tf32
    float32_matmul_precision: str  # torch.get_float32_matmul_precision(): "highest" is full FP32


def tf32_flags() -> Tf32Flags:
    return Tf32Flags(
        cuda_matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
        cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
        float32_matmul_precision=torch.get_float32_matmul_precision(),
    )


class Measurements(BaseModel):
    """The raw record of one run, written to measurements.json for the child and for auditors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    windows: tuple[Window, ...]
    tf32: Tf32Flags
    gpu_processes: tuple[GpuProcess, ...]  # seen between windows
    process_list_errors: tuple[str, ...]  # why NVML could not list them, when it could not
    cpu_source: EnergySource
    ram_source: EnergySource


class TokenCounter(LogitsProcessor):
    """Counts generated tokens: generate calls the logits processors once per new token of each sequence."""

    def __init__(self) -> None:
        self.tokens = 0

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.tokens += input_ids.shape[0]
        return scores


class ProgressEvents:
    """Progress events as JSON on the `runner.progress` logger (the child forwards them to the engine)."""

    def __init__(self, repetitions: int, windows_per_repetition: int) -> None:
        self.repetitions = repetitions
        self.total = repetitions * windows_per_repetition
        self.completed = 0
        self.started_s: float | None = None

    def emit(self, phase: str, repetition: int | None = None) -> None:
        eta_s = None
        if self.completed and self.started_s is not None:
            eta_s = (time.perf_counter() - self.started_s) / self.completed * (self.total - self.completed)
        event = {
            "phase": phase,
            "repetition": repetition,
            "repetitions": self.repetitions,
            "done": self.completed / self.total,
            "eta_s": eta_s,
        }
        logging.getLogger(PROGRESS_LOGGER).info("%s", json.dumps(event))

    def window_started(self) -> None:
        if self.started_s is None:
            self.started_s = time.perf_counter()


@dataclass(frozen=True)
class ImageTextProcessor:
    """An image processor and a tokenizer as one processor: what energy_star's image-to-text preprocessing calls
    (images through the image processor; `.tokenizer` for the pad token)."""

    image_processor: Any
    tokenizer: Any

    def __call__(self, images: Any = None, **kwargs: Any) -> Any:
        return self.image_processor(images, **kwargs)


def task_processor(backend: Backend) -> Any:
    """The processor that energy_star's preprocessing gets: the backend's (AutoProcessor's pick), except for an
    image captioner saved with an image processor and a tokenizer but no processor class of its own (a ViT +
    GPT-2 VisionEncoderDecoderModel, as nlpconnect/vit-gpt2-image-captioning): AutoProcessor then returns the
    tokenizer alone, which cannot read images, so both are loaded from the model's folder and paired."""
    processor = backend.pretrained_processor
    if backend.config.task != "image-to-text" or isinstance(processor, ProcessorMixin):
        return processor
    logger.info("the model has no processor class: pairing its image processor and tokenizer")
    folder, kwargs = backend.config.processor, backend.config.processor_kwargs
    return ImageTextProcessor(
        image_processor=AutoImageProcessor.from_pretrained(folder, **kwargs),
        tokenizer=AutoTokenizer.from_pretrained(folder, **kwargs),
    )


def soundfile_audio(dataset: datasets.Dataset, column: str) -> datasets.Dataset:
    """The dataset with its Audio column decoded by soundfile, read as energy_star's ASR preprocessing reads it.

    datasets 5 decodes Audio values with torchcodec, whose PyPI wheels need a CUDA build of torch and FFmpeg's
    shared libraries; soundfile's wheels carry libsndfile (WAV, FLAC, OGG, MP3). Each value is decoded on its first
    read, as datasets' own decoder does: the preprocessing compares every row to "" to drop empty ones, then maps
    the rows it keeps, whose samples it reads inside the preprocess window."""
    feature = dataset.features.get(column)
    if not isinstance(feature, datasets.Audio):
        return dataset

    def decode_on_read(batch: dict[str, list]) -> dict[str, list]:
        rate = feature.sampling_rate
        batch[column] = [None if value is None else SoundfileAudio(value, rate) for value in batch[column]]
        return batch

    return dataset.cast_column(column, datasets.Audio(decode=False)).with_transform(decode_on_read)


class SoundfileAudio:
    """One Audio value as datasets' decoder gives it: `["array"]` (mono float32 samples) and `["sampling_rate"]`,
    decoded on the first read and resampled to the rate the feature declares, if it declares one."""

    def __init__(self, value: dict[str, Any], sampling_rate: int | None) -> None:
        self._value = value
        self._sampling_rate = sampling_rate
        self._decoded: tuple[np.ndarray, int] | None = None

    def __getitem__(self, key: str) -> Any:
        if key not in ("array", "sampling_rate"):
            raise KeyError(key)
        if self._decoded is None:
            self._decoded = decode_audio(self._value, self._sampling_rate)
        return self._decoded[0] if key == "array" else self._decoded[1]


def decode_audio(value: dict[str, Any], sampling_rate: int | None) -> tuple[np.ndarray, int]:
    """An audio file's samples (its bytes, else its path), channels averaged, and their rate."""
    import soundfile  # only speech recognition reads audio

    source = io.BytesIO(value["bytes"]) if value.get("bytes") is not None else value["path"]
    samples, rate = soundfile.read(source, dtype="float32", always_2d=True)
    samples = samples.mean(axis=1)
    if sampling_rate is not None and rate != sampling_rate:
        return resample(samples, rate, sampling_rate), sampling_rate
    return samples, rate


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited resampling in the frequency domain (scipy.signal.resample's method) from `rate` to `target` Hz."""
    length = round(len(samples) * target / rate)
    if not len(samples) or not length:
        return np.zeros(length, dtype=np.float32)
    spectrum = np.fft.rfft(samples)[: length // 2 + 1]
    return (np.fft.irfft(spectrum, n=length) * (length / len(samples))).astype(np.float32)


@contextmanager
def failures_as(error_class: ErrorClass, doing: str) -> Iterator[None]:
    """Turn an exception into a classified RunFailed (out of memory is always "oom")."""
    try:
        yield
    except RunFailed:
        raise
    except (torch.OutOfMemoryError, MemoryError) as err:
        raise RunFailed("oom", f"out of memory while {doing}: {err}") from err
    except Exception as err:
        raise RunFailed(error_class, f"{type(err).__name__} while {doing}: {err}") from err


def offline_tracker(country_iso_code: str, gpu_ids: list[str]) -> OfflineEmissionsTracker:
    """CodeCarbon's offline tracker, started once outside any measured window (its first start costs ~1 s).

    The online tracker that optimum-benchmark builds probes cloud-metadata and geolocation hosts; this one
    makes no network call. Its constructor swallows its own exceptions, so an empty task proves it works.
    Every option that changes its energies is given (runner/tracker_options.py).
    """
    tracker = OfflineEmissionsTracker(**offline_tracker_options(country_iso_code, gpu_ids))
    tracker.start_task("tracker_check")
    if tracker.stop_task() is None:
        raise RunFailed("measurement", "CodeCarbon's offline tracker did not start: see its messages in child.log")
    return tracker


def cpu_source(tracker: OfflineEmissionsTracker) -> EnergySource:
    """How CodeCarbon measures the CPU. It has no public accessor for this: its CPU objects' mode tells."""
    modes = {cpu._mode for cpu in tracker._hardware if isinstance(cpu, CPU)}
    return EnergySource.COUNTER if modes and modes <= COUNTER_CPU_MODES else EnergySource.ESTIMATE


def measured_window(
    target: str,
    repetition: int | None,
    reading: dict[str, Any],
    emissions: EmissionsData,
    *,
    queries: int,
    new_tokens: int | None,
) -> Window:
    """One window's record: GPU energy from our counter read where there is one (CodeCarbon's figure kept beside
    it as the cross-check), else CodeCarbon's estimate; CPU and RAM from CodeCarbon."""
    counter_j = reading.get("counter_j")
    return Window(
        target=target,
        repetition=repetition,
        duration_s=reading["duration_s"],
        gpu_kwh=emissions.gpu_energy if counter_j is None else counter_j / KWH_TO_J,
        gpu_source=EnergySource.ESTIMATE if counter_j is None else EnergySource.COUNTER,
        codecarbon_gpu_kwh=emissions.gpu_energy,
        cpu_kwh=emissions.cpu_energy,
        ram_kwh=emissions.ram_energy,
        queries=queries,
        new_tokens=new_tokens,
    )


@contextmanager
def _counter_window(counter: EnergyCounter, reading: dict[str, Any]) -> Iterator[None]:
    start_j = counter.energy_j()
    try:
        yield
    finally:
        end_j = counter.energy_j()
        reading["counter_j"] = None if start_j is None or end_j is None else end_j - start_j


@contextmanager
def _codecarbon_window(tracker: OfflineEmissionsTracker, task_name: str, reading: dict[str, Any]) -> Iterator[None]:
    tracker.start_task(task_name=task_name)
    try:
        yield
    finally:  # closes the CodeCarbon task even when the phase fails
        reading["codecarbon"] = tracker.stop_task()


@contextmanager
def _clock(reading: dict[str, Any]) -> Iterator[None]:
    start_s = time.perf_counter()
    try:
        yield
    finally:
        reading["duration_s"] = time.perf_counter() - start_s


class AiesScenario(Scenario[AiesScenarioConfig]):
    NAME = "aies_energy"

    def run(self, backend: Backend) -> BenchmarkReport:
        self.backend = backend
        self.on_gpu = backend.config.device == "cuda"
        # The run's GPUs by UUID (runner/gpus.py): torch device i is gpu_ids[i].
        gpu_ids = uuids_of(backend.config.device_ids) if self.on_gpu else []
        self.gpu_count = len(gpu_ids)
        # Every repetition preprocesses the raw rows again: a cached map would measure a cache read.
        datasets.disable_caching()
        datasets.disable_progress_bars()
        self.counter = EnergyCounter(gpu_ids) if self.on_gpu else None
        self.windows: list[Window] = []
        self.processes: dict[int, GpuProcess] = {}
        self.process_list_errors: set[str] = set()
        targets = {"generate": ["prefill", "generate"], "forward": ["forward"], "call": ["call"]}[self.config.workload]
        self.progress = ProgressEvents(self.config.repetitions, 1 + len(targets))

        self.progress.emit("load")
        with failures_as("measurement", "starting CodeCarbon"):
            self.tracker = offline_tracker(self.config.country_iso_code, gpu_ids)
        with failures_as("load", "loading the dataset and the model"):
            raw = self._measured("load_dataset", None, lambda _: self._load_dataset())
            self.processor = task_processor(backend)
            # An unmeasured first pass: warms the processor and shows early whether it can read the data.
            batches = self._prepare(raw)
            self._measured("load_model", None, lambda _: backend.load())
            _quiet(backend.pretrained_model)
        check_weights_dtype(backend.pretrained_model, backend.config.torch_dtype)
        if self.on_gpu:
            check_devices(gpu_ids)
        self.tf32 = tf32_flags()  # after the load: a model's own code could set them
        with failures_as("inference", "running the model"):
            self.progress.emit("warmup")
            sample = backend.prepare_inputs(dict(batches[0]))
            for _ in range(self.config.warmup_runs):
                self._call(targets[-1], sample, TokenCounter())
            for repetition in range(1, self.config.repetitions + 1):
                batches = self._measured("preprocess_dataset", repetition, lambda _: self._prepare(raw))
                for target in targets:
                    self._measured(target, repetition, lambda tokens, t=target, b=batches: self._run_all(b, t, tokens))
            memory = self._memory_pass(batches, targets[-1]) if self.on_gpu else None
        # Past the model: a failure now is ours (a full disk, a bug), not the model's or its loading.
        with failures_as("internal", "writing the measurements"):
            Path(MEASUREMENTS_FILE).write_text(
                Measurements(
                    windows=tuple(self.windows),
                    tf32=self.tf32,
                    gpu_processes=tuple(self.processes.values()),
                    process_list_errors=tuple(sorted(self.process_list_errors)),
                    cpu_source=cpu_source(self.tracker),
                    ram_source=EnergySource.ESTIMATE,  # CodeCarbon models RAM power from its size
                ).model_dump_json(indent=2)
            )
            self.progress.emit("done")
            return self._report(memory)

    # The work

    def _load_dataset(self) -> datasets.Dataset:
        dataset = datasets.load_dataset(
            self.config.dataset_name, self.config.dataset_config, split=self.config.dataset_split
        )
        if self.backend.config.task == "automatic-speech-recognition":
            return soundfile_audio(dataset, self.config.audio_column_name)
        return dataset

    def _prepare(self, raw: datasets.Dataset) -> list[dict[str, Any]]:
        """energy_star's preprocessing, then the batches as tensors: the preprocess phase.

        Slicing a formatted dataset costs ~0.3 ms per row on this stack (far more for images); the
        reference pays it inside its model windows, where it weighs like a small model's forward pass.
        Here it is part of preparing the queries, so the model windows hold model work only.
        """
        dataset = TASKS_TO_PREPROCESSORS[self.backend.config.task](
            dataset=raw,
            scenario_config=self.config,
            pretrained_config=self.backend.pretrained_config,
            pretrained_processor=self.processor,
        )
        if len(dataset) != self.config.num_samples:
            raise ValueError(f"the dataset gave {len(dataset)} non-empty rows, {self.config.num_samples} needed")
        size = self.config.input_shapes["batch_size"]
        return [dataset[start : start + size] for start in range(0, self.config.num_samples, size)]

    def _call(self, target: str, inputs: dict[str, Any], tokens: TokenCounter) -> None:
        if target == "prefill":
            kwargs = {**GENERATE_DEFAULTS, **self.config.generate_kwargs, **PREFILL_OVERRIDES}
            self.backend.prefill(inputs, kwargs | {"logits_processor": LogitsProcessorList([tokens])})
        elif target == "generate":
            kwargs = {**GENERATE_DEFAULTS, **self.config.generate_kwargs}
            self.backend.generate(inputs, kwargs | {"logits_processor": LogitsProcessorList([tokens])})
        elif target == "call":
            self.backend.call(inputs, self.config.call_kwargs)
        else:
            self.backend.forward(inputs, self.config.forward_kwargs)

    def _run_all(self, batches: list[dict[str, Any]], target: str, tokens: TokenCounter) -> None:
        for batch in batches:
            # A copy: prepare_inputs replaces the tensors in place, and the next window needs them on the host.
            self._call(target, self.backend.prepare_inputs(dict(batch)), tokens)

    # Measuring

    def _synchronize(self) -> None:
        """Wait for the work queued on the run's GPUs (a class-C model spans several)."""
        if self.on_gpu:
            synchronize(self.gpu_count)

    def _measured(self, target: str, repetition: int | None, work: Callable[[TokenCounter], T]) -> T:
        """Run `work` inside one measured window: NVML counter (GPU), CodeCarbon task, wall clock."""
        if repetition is not None:
            self.progress.emit(PHASE_OF_TARGET.get(target, target), repetition)
            self.progress.window_started()
        tokens = TokenCounter()
        reading: dict[str, Any] = {}
        self._synchronize()  # work queued before the window must not land in it
        with ExitStack() as meters:
            if self.counter is not None:
                meters.enter_context(_counter_window(self.counter, reading))
            meters.enter_context(_codecarbon_window(self.tracker, f"{target}_{repetition}", reading))
            meters.enter_context(_clock(reading))
            output = work(tokens)
            self._synchronize()
        emissions = reading["codecarbon"]
        if emissions is None:  # stop_task swallows its errors and returns None
            raise RunFailed("measurement", f"CodeCarbon returned no data for the {target} window ({repetition=})")
        folder = Path(".") if repetition is None else Path(f"repetition-{repetition:02d}")
        folder.mkdir(exist_ok=True)
        (folder / f"{target}_codecarbon.json").write_text(json.dumps(asdict(emissions), indent=4))
        window = measured_window(
            target,
            repetition,
            reading,
            emissions,
            queries=self.config.num_samples,
            new_tokens=tokens.tokens if target in ("prefill", "generate") else None,
        )
        self.windows.append(window)
        logger.info(
            "%s (repetition %s): %.3f s, GPU %r kWh (%s; CodeCarbon %r), CPU %r kWh, RAM %r kWh",
            target,
            repetition,
            window.duration_s,
            window.gpu_kwh,
            window.gpu_source,
            window.codecarbon_gpu_kwh,
            window.cpu_kwh,
            window.ram_kwh,
        )
        if self.counter is not None:  # between windows, never inside one
            try:
                self.processes.update({p.pid: p for p in self.counter.processes()})
            except ProcessListUnavailable as err:
                self.process_list_errors.add(str(err))
        if repetition is not None:
            self.progress.completed += 1
        return output

    def _memory_pass(self, batches: list[dict[str, Any]], target: str) -> Memory:
        """Peak memory over the largest inputs, in a pass of its own, outside every energy window."""
        self.progress.emit("memory")
        devices = range(self.gpu_count)
        for device in devices:
            torch.cuda.reset_peak_memory_stats(device)
        sizes = sorted(
            (
                (sum(v.numel() for v in batch.values() if isinstance(v, torch.Tensor)), i)
                for i, batch in enumerate(batches)
            ),
            reverse=True,
        )
        for _, index in sizes[:MEMORY_PASS_SAMPLES]:
            self._call(target, self.backend.prepare_inputs(dict(batches[index])), TokenCounter())
        self._synchronize()
        return Memory(
            unit="MB",
            max_ram=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,  # peak RSS; Linux counts KiB
            max_allocated=sum(torch.cuda.max_memory_allocated(d) for d in devices) / 1e6,
            max_reserved=sum(torch.cuda.max_memory_reserved(d) for d in devices) / 1e6,
        )

    # optimum-benchmark's report: the reference's targets, each the mean over the repetitions

    def _report(self, memory: Memory | None) -> BenchmarkReport:
        scored = {"generate": ["prefill", "decode"], "forward": ["forward"], "call": ["call"]}[self.config.workload]
        report = BenchmarkReport.from_list(["load_dataset", "preprocess_dataset", "load_model", *scored])
        for window in self.windows:
            if window.repetition is None:
                getattr(report, window.target).energy = _energy([window])
        for target in ["preprocess_dataset", *scored]:
            measured = getattr(report, target)
            if target == "decode":
                generate = _energy(self._windows("generate"))
                measured.energy = generate - _energy(self._windows("prefill"))
                volume = statistics.fmean(
                    g.new_tokens - p.new_tokens
                    for g, p in zip(self._windows("generate"), self._windows("prefill"), strict=True)
                )
            else:
                measured.energy = _energy(self._windows(target))
                volume = self.config.num_samples
                if target == "call":  # images/kWh, as energy_star counts them
                    volume *= self.config.call_kwargs.get("num_images_per_prompt", 1)
            if measured.energy.total > 0:  # energy_star writes an efficiency of 0 here; we write none
                measured.efficiency = Efficiency(unit=EFFICIENCY_UNITS[target], value=volume / measured.energy.total)
            if memory is not None and target != "preprocess_dataset":
                measured.memory = memory
        return report

    def _windows(self, target: str) -> list[Window]:
        return [w for w in self.windows if w.target == target and w.repetition is not None]


def check_weights_dtype(model: Any, torch_dtype: str | None) -> None:
    """Every floating parameter loaded is in the run's precision: the setting alone does not prove it (a model's
    code or config can cast, and a checkpoint can load as saved). A Diffusers pipeline's every torch component is
    checked. Parameters only: buffers are not weights and models keep them in their own dtypes on purpose (integer
    position ids, float32 rotary frequencies, normalisation statistics). A Transformers model's
    `_keep_in_fp32_modules` stay float32 as Transformers' loading keeps them (its dtype plan), and only those."""
    expected = getattr(torch, torch_dtype, None) if torch_dtype else None
    if not isinstance(expected, torch.dtype) or not expected.is_floating_point:
        raise RunFailed("measurement", f"the run names no floating precision to load the weights in: {torch_dtype!r}")
    components = getattr(model, "components", None)
    modules = (
        {f"{name}.": c for name, c in components.items() if isinstance(c, torch.nn.Module)}
        if isinstance(components, dict)
        else {"": model}
    )
    for prefix, module in modules.items():
        plan = module._get_dtype_plan(expected) if isinstance(module, PreTrainedModel) else {}
        kept = build_glob_alternation(list(plan))[0] if plan else None
        for name, parameter in module.named_parameters():
            if not parameter.is_floating_point() or parameter.dtype == expected:
                continue
            if kept is not None and parameter.dtype == torch.float32 and kept.search(name):
                continue
            raise RunFailed(
                "measurement",
                f"the loaded weights are not in the run's precision: parameter {prefix}{name} is "
                f"{str(parameter.dtype).removeprefix('torch.')}, expected {str(expected).removeprefix('torch.')}",
            )


def _quiet(model: Any) -> None:
    """Turn off a Diffusers pipeline's progress bar: it would print every denoising step of every query inside
    the measured windows, and fill child.log."""
    set_progress_bar_config = getattr(model, "set_progress_bar_config", None)
    if callable(set_progress_bar_config):
        set_progress_bar_config(disable=True)


def _energy(windows: list[Window]) -> Energy:
    """optimum-benchmark's Energy record: the mean over the given windows. Units: kWh."""
    cpu = statistics.fmean(w.cpu_kwh for w in windows)
    gpu = statistics.fmean(w.gpu_kwh for w in windows)
    ram = statistics.fmean(w.ram_kwh for w in windows)
    return Energy(unit="kWh", cpu=cpu, gpu=gpu, ram=ram, total=cpu + gpu + ram)
