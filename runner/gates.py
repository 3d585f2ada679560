"""Validity gates: pure checks of one run's raw measurements, each recorded on the result as a ValidityCheck.

A result that fails a gate is kept with its reasons and never rated (`Result.is_valid`). The inputs are
the measured windows as the child recorded them, before any Result exists, so a derived value that went
negative (decode = generate − prefill) is still visible here and is reported, never clamped.

On a CPU run the GPU-only gates are recorded as passed with the detail "not applicable: CPU run", so every
result carries the same list of gate names and a reader can see what was not checked. The two
text-generation gates (decode_positive, tokens_produced) are recorded only for the tasks that generate.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.catalog import TASKS, Phase, TaskId
from core.gpus import GpuSpec, gpu_spec
from core.models import BenchmarkSettings, EnergySource, ValidityCheck
from runner.params import BYTES_PER_PARAMETER

KWH_TO_J = 3.6e6

# NVML's total-energy counter updates about every 100 ms (methodology §2, Zeus): a window's reading can
# be off by up to one update's worth of energy, and a window shorter than one update may read 0 J.
COUNTER_UPDATE_S = 0.1
# 1 s spans 10 counter updates, which bounds a window's granularity error at 10 %; Zeus found windows
# under ~2 s noisy, and a model window of 1,000 queries lasts seconds to minutes on an H100.
MIN_WINDOW_S = 1.0
# A shorter window is still accepted when even a whole counter update of error on it moves its
# repetition's GPU energy by at most 1 %: the preprocess window (tokenising 1,000 rows into tensors while
# the GPU idles) may last under a second and weighs a few per cent of the score.
SHORT_WINDOW_MAX_SHARE = 0.01
# Repetitions of an undisturbed GPU run agree within 1–2 %; a spread above 5 % means something else
# (thermal state, contention, a background job) changed the measurement, and at that spread a model can
# cross a star-band edge on noise alone in a narrow population.
MAX_CV = 0.05
# NVML reports power limits in mW; anything within a watt of the default is the default.
POWER_LIMIT_TOLERANCE_W = 1.0
# A CPU run's energy is CodeCarbon's estimate from the whole machine's sampled load (no counter), so every
# other process on the host moves it: on the project's shared 2-core machines tiny models repeat within
# 1–8 % when the host is quiet and over 50 % when it is not. The spread then measures the host, not the
# model, so on CPU it is recorded and not gated (CPU runs are the local development loop, never rated
# against the reference hardware).
# CodeCarbon 3.3.2 reads the same NVML counter as we do, just inside our reads: the two agree unless a counter
# update lands between our read and CodeCarbon's at either end of a window, so they may differ by up to two
# updates' energy. A gap above the larger of that and 2 % means CodeCarbon fell back to sampling power (no
# counter) or the windows do not match. It cannot catch an error of the counter itself: nothing here can.
MAX_METER_GAP = 0.02
METER_GAP_UPDATES = 2

NOT_APPLICABLE_CPU = "not applicable: CPU run"

# Physical bounds on how fast a pass can be (speed_within_bounds). At batch size 1 a pass of the model (a
# forward pass, one decode token, one denoising step) reads every weight from GPU memory once, so it takes at
# least weight bytes / memory bandwidth (core.gpus). That counts every parameter, and a pass may read fewer
# bytes: an untied input embedding is read one row per token, a mixture-of-experts model reads only its
# active experts, a pipeline runs its text encoders once per prompt rather than per step, and a small model
# may be served partly from on-chip cache. The bound is divided by BANDWIDTH_MARGIN to cover these (SD3's
# denoiser is 2 of the pipeline's 7 B parameters; Mixtral reads 13 of its 47 B per token). A sparser
# mixture-of-experts model running at the bandwidth limit of its active weights would be refused; eager
# PyTorch at batch size 1 runs far from that limit.
BANDWIDTH_MARGIN = 5.0
# Whatever the weights, the benchmark's eager PyTorch runs a pass as GPU kernels one after another, at least
# ten for the smallest network (embedding, attention, MLP, norms, head), each taking at least about 2 µs to
# launch and run: no forward pass or decode token is shorter than this.
MIN_FORWARD_PASS_S = 20e-6
# A denoising step runs the whole denoiser (a UNet or a diffusion transformer: hundreds of kernels) and the
# scheduler's update: at least 250 kernels of 2 µs.
MIN_DENOISING_STEP_S = 500e-6


class Window(BaseModel):
    """One measured window, as the child recorded it. Units: kWh, s.

    The scored GPU energy is our own read of the NVML counter around the window; CodeCarbon's GPU figure is
    kept beside it as a cross-check (CodeCarbon 3.3.2 reads the same counter, at slightly different instants).
    Its CPU and RAM figures are the recorded ones.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str = Field(description="optimum-benchmark's target name: preprocess_dataset, prefill, generate, ...")
    repetition: int | None = Field(description="1-based; None for the unscored load windows.")
    duration_s: float = Field(gt=0, allow_inf_nan=False)
    gpu_kwh: float = Field(description="The scored GPU energy: the NVML counter's, else CodeCarbon's estimate.")
    gpu_source: EnergySource = Field(description="counter: our NVML read; estimate: CodeCarbon's (no counter).")
    codecarbon_gpu_kwh: float = Field(description="CodeCarbon's GPU energy (its JSON file's gpu_energy).")
    cpu_kwh: float
    ram_kwh: float
    queries: int
    new_tokens: int | None = Field(default=None, description="Generation steps counted during the window.")

    @model_validator(mode="before")
    @classmethod
    def _before_issue_12(cls, data: Any) -> Any:
        """A window recorded before GPU energy was scored from the counter: `gpu_kwh` was CodeCarbon's figure and
        `counter_gpu_kwh` our read. Without a counter read (a CPU run) its meaning is unchanged; with one, its
        summary scored CodeCarbon's figure, which is no longer what a result means: refused."""
        if not isinstance(data, dict) or "counter_gpu_kwh" not in data or "gpu_source" in data:
            return data
        legacy = dict(data)
        if legacy.pop("counter_gpu_kwh") is not None:
            raise ValueError(
                "this window was recorded before GPU energy was scored from the NVML counter (it holds "
                "counter_gpu_kwh, and its summary scores CodeCarbon's GPU figure): re-run the benchmark"
            )
        return legacy | {"gpu_source": EnergySource.ESTIMATE, "codecarbon_gpu_kwh": legacy.get("gpu_kwh")}


class PhaseValues(BaseModel):
    """One phase of one repetition, derived from the windows; decode may come out ≤ 0 and is checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gpu_kwh: float
    cpu_kwh: float
    ram_kwh: float
    duration_s: float
    queries: int
    tokens: int | None = None


class GateInput(BaseModel):
    """Everything the gates look at, for one run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: TaskId
    on_gpu: bool
    settings: BenchmarkSettings
    windows: tuple[Window, ...]
    idle_power_w: float | None = Field(description="Idle baseline of the GPUs used, before the run; None on CPU.")
    tdp_w: float | None = Field(description="Sum of the GPUs' default power limits; None on CPU.")
    enforced_limit_w: float | None = Field(
        default=None, description="Sum of the power limits in force when the run started; None if not read."
    )
    foreign_processes: tuple[str, ...] = ()
    gpu_name: str | None = Field(default=None, description="NVML's name of the GPUs used; None on CPU.")
    gpu_count: int = Field(default=1, ge=0)
    parameters: int | None = Field(default=None, gt=0, description="The model's parameter count, if counted.")
    counter_update_s: float | None = Field(
        default=None, gt=0, description="The NVML counter's update period, as measured on the run; None if not."
    )
    counter_step_j: float | None = Field(
        default=None, ge=0, description="The smallest energy step the counter was seen to take; None if not measured."
    )

    @property
    def gpu(self) -> GpuSpec | None:
        """The bounds of the GPUs used (core.gpus), summed; None on CPU or for a GPU model not in the table."""
        return gpu_spec(self.gpu_name, self.gpu_count) if self.on_gpu and self.gpu_name else None


# --- Deriving phases from windows --------------------------------------------------------------

# Where each scored phase comes from: measured directly, except decode (generate − prefill).
PHASE_TARGETS: dict[Phase, str] = {
    Phase.PREPROCESS: "preprocess_dataset",
    Phase.PREFILL: "prefill",
    Phase.DECODE: "decode",  # only in the reference runner's logs, which store decode already subtracted
    Phase.FORWARD: "forward",
    Phase.CALL: "call",
}


def generates(task: TaskId) -> bool:
    """Whether the task is measured as prefill + decode."""
    return Phase.DECODE in TASKS[task].phases


def scored_windows(windows: Sequence[Window]) -> list[Window]:
    return [w for w in windows if w.repetition is not None]


def repetition_windows(windows: Sequence[Window]) -> dict[int, dict[str, Window]]:
    """Scored windows by repetition, then by target."""
    by_repetition: dict[int, dict[str, Window]] = {}
    for window in scored_windows(windows):
        by_repetition.setdefault(window.repetition, {})[window.target] = window
    return dict(sorted(by_repetition.items()))


def phase_values(task: TaskId, windows: Sequence[Window]) -> list[dict[Phase, PhaseValues]]:
    """Per repetition, the task's phases; raises ValueError when a window is missing."""
    result = []
    for repetition, by_target in repetition_windows(windows).items():
        phases: dict[Phase, PhaseValues] = {}
        for phase in TASKS[task].phases:
            if phase is Phase.DECODE and "decode" not in by_target:  # ours: generate − prefill, checked
                phases[phase] = _decode(by_target, repetition)
                continue
            window = _window(by_target, PHASE_TARGETS[phase], repetition)
            phases[phase] = PhaseValues(
                gpu_kwh=window.gpu_kwh,
                cpu_kwh=window.cpu_kwh,
                ram_kwh=window.ram_kwh,
                duration_s=window.duration_s,
                queries=window.queries,
                tokens=window.new_tokens,
            )
        result.append(phases)
    return result


def _window(by_target: dict[str, Window], target: str, repetition: int) -> Window:
    try:
        return by_target[target]
    except KeyError:
        raise ValueError(f"repetition {repetition}: no {target} window was measured") from None


def _decode(by_target: dict[str, Window], repetition: int) -> PhaseValues:
    generate = _window(by_target, "generate", repetition)
    prefill = _window(by_target, "prefill", repetition)
    tokens = None
    if generate.new_tokens is not None and prefill.new_tokens is not None:
        tokens = generate.new_tokens - prefill.new_tokens
    return PhaseValues(
        gpu_kwh=generate.gpu_kwh - prefill.gpu_kwh,
        cpu_kwh=generate.cpu_kwh - prefill.cpu_kwh,
        ram_kwh=generate.ram_kwh - prefill.ram_kwh,
        duration_s=generate.duration_s - prefill.duration_s,
        queries=generate.queries,
        tokens=tokens,
    )


def _component_kwh(phases: dict[Phase, PhaseValues], component: str) -> float:
    return math.fsum(getattr(values, f"{component}_kwh") for values in phases.values())


# --- The gates ---------------------------------------------------------------------------------


def gpu_energy_positive(repetitions: Sequence[dict[Phase, PhaseValues]], *, on_gpu: bool) -> ValidityCheck:
    """On a GPU run every scored phase has positive GPU energy: 0 kWh is a failed measurement."""
    name = "gpu_energy_positive"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=NOT_APPLICABLE_CPU)
    bad = [
        f"repetition {index} {phase}: {values.gpu_kwh!r} kWh"
        for index, phases in enumerate(repetitions, start=1)
        for phase, values in phases.items()
        if not values.gpu_kwh > 0
    ]
    if not repetitions:
        bad = ["no repetition was measured"]
    if bad:
        return ValidityCheck(name=name, passed=False, detail="GPU energy not positive: " + "; ".join(bad))
    return ValidityCheck(name=name, passed=True, detail="every scored phase has positive GPU energy")


def average_power_in_range(
    repetitions: Sequence[dict[Phase, PhaseValues]],
    *,
    idle_power_w: float | None,
    tdp_w: float | None,
    gpu: GpuSpec | None = None,
    on_gpu: bool,
) -> ValidityCheck:
    """Every phase in which the model runs, decode (generate − prefill) included, draws on average more than
    the GPUs idle with a context and at most their power limit.

    The lower bound is the higher of the idle baseline measured before the run and the GPU model's idle draw
    with a context (core.gpus); the upper bound is the GPU model's power limit, else the recorded TDP. In the
    preprocess phase the GPU idles while the CPU tokenises, so its power sits at the baseline, give or take
    the noise: its floor is the GPU model's idle draw alone (set below any real idle), else half the baseline.
    """
    name = "average_power_in_range"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=NOT_APPLICABLE_CPU)
    floors = [(idle_power_w, "measured before the run")] if idle_power_w is not None else []
    if gpu is not None:
        floors.append((gpu.idle_w, "the GPU model's draw with a context"))
    limit_w = gpu.power_limit_w if gpu is not None else tdp_w
    if not floors or limit_w is None:
        missing = "idle baseline" if not floors else "TDP"
        return ValidityCheck(name=name, passed=False, detail=f"no {missing} was recorded, so power cannot be checked")
    floor_w, floor_source = max(floors, key=lambda floor: floor[0])
    preprocess_floor_w = gpu.idle_w if gpu is not None else idle_power_w / 2
    bad = []
    measured = 0
    for index, phases in enumerate(repetitions, start=1):
        for phase, values in phases.items():
            if not values.duration_s > 0:  # a non-positive decode: decode_positive says so
                continue
            measured += phase is not Phase.PREPROCESS
            power_w = values.gpu_kwh * KWH_TO_J / values.duration_s
            lowest_w = preprocess_floor_w if phase is Phase.PREPROCESS else floor_w
            if not lowest_w < power_w <= limit_w:
                bad.append(f"repetition {index} {phase.value}: {power_w:.6g} W (floor {lowest_w!r} W)")
    if not measured:
        return ValidityCheck(name=name, passed=False, detail="no model phase was measured")
    bounds = (
        f"idle {floor_w!r} W ({floor_source}; preprocess: {preprocess_floor_w!r} W) < average power "
        f"≤ power limit {limit_w!r} W"
    )
    if bad:
        return ValidityCheck(name=name, passed=False, detail=f"outside {bounds}: " + "; ".join(bad))
    return ValidityCheck(name=name, passed=True, detail=f"every model phase within {bounds}")


def speed_within_bounds(
    repetitions: Sequence[dict[Phase, PhaseValues]],
    settings: BenchmarkSettings,
    *,
    gpu: GpuSpec | None,
    parameters: int | None,
    on_gpu: bool,
) -> ValidityCheck:
    """No phase ran its passes faster than physics allows: each forward pass, decode token or denoising step
    takes at least the larger of its floor (MIN_FORWARD_PASS_S, MIN_DENOISING_STEP_S) and the time the GPUs'
    memory needs to deliver the weights once (weight bytes / bandwidth / BANDWIDTH_MARGIN)."""
    name = "speed_within_bounds"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=NOT_APPLICABLE_CPU)
    weights_s, basis = None, "no parameter count or GPU bandwidth is known, so only the floors per pass apply"
    if gpu is not None and parameters is not None:
        weight_bytes = parameters * BYTES_PER_PARAMETER[settings.precision]
        weights_s = weight_bytes / gpu.memory_bandwidth_bps / BANDWIDTH_MARGIN
        basis = (
            f"weights {weight_bytes / 1e9:.4g} GB at {gpu.memory_bandwidth_bps / 1e12:.4g} TB/s "
            f"÷ {BANDWIDTH_MARGIN:g} = {weights_s:.3g} s per pass"
        )
    bad = []
    for index, phases in enumerate(repetitions, start=1):
        for phase, values in phases.items():
            passes = _passes(phase, values, settings)
            if passes is None or not values.duration_s > 0:  # preprocess, or a non-positive decode: decode_positive
                continue
            count, what, floor_s = passes
            bound_s = max(floor_s, weights_s or 0.0)
            if count > 0 and values.duration_s < count * bound_s:
                bad.append(
                    f"repetition {index} {phase.value}: {count:,} {what} in {values.duration_s:.4g} s, "
                    f"{values.duration_s / count:.3g} s each, under the bound of {bound_s:.3g} s"
                )
    floors = f"floors {MIN_FORWARD_PASS_S:g} s per forward pass or token, {MIN_DENOISING_STEP_S:g} s per step"
    if bad:
        return ValidityCheck(
            name=name, passed=False, detail="faster than physics allows (" + f"{basis}; {floors}): " + "; ".join(bad)
        )
    return ValidityCheck(name=name, passed=True, detail=f"every phase within the bounds per pass ({basis}; {floors})")


def _passes(phase: Phase, values: PhaseValues, settings: BenchmarkSettings) -> tuple[int, str, float] | None:
    """How many passes of the model a phase ran, what they are (plural), the floor of one; None for preprocess."""
    batches = math.ceil(values.queries / settings.batch_size)
    if phase in (Phase.FORWARD, Phase.PREFILL):
        return batches, "forward passes", MIN_FORWARD_PASS_S
    if phase is Phase.DECODE:
        tokens = values.tokens
        generation = settings.generation
        if tokens is None and generation.min_new_tokens is not None:  # reference logs: forced min = max
            tokens = values.queries * (generation.min_new_tokens - 1)  # prefill makes each query's first token
        return math.ceil((tokens or 0) / settings.batch_size), "decode tokens", MIN_FORWARD_PASS_S
    if phase is Phase.CALL:
        steps = settings.generation.num_inference_steps or 1
        return batches * steps, "denoising steps", MIN_DENOISING_STEP_S
    return None


def window_long_enough(windows: Sequence[Window], *, on_gpu: bool) -> ValidityCheck:
    """Every scored GPU window lasts ≥ MIN_WINDOW_S, or is too small a share of its repetition to matter.

    A window shorter than MIN_WINDOW_S passes only when one counter update's worth of its energy (its
    worst-case granularity error) is at most SHORT_WINDOW_MAX_SHARE of its repetition's GPU energy, and
    it lasts at least one counter update.
    """
    name = "window_long_enough"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=NOT_APPLICABLE_CPU)
    rule = (
        f"≥ {MIN_WINDOW_S} s, or ≥ {COUNTER_UPDATE_S} s with one counter update of error "
        f"≤ {SHORT_WINDOW_MAX_SHARE:.0%} of its repetition's GPU energy"
    )
    bad = []
    for repetition, by_target in repetition_windows(windows).items():
        repetition_kwh = _scored_gpu_kwh(by_target)
        for window in by_target.values():
            if window.duration_s >= MIN_WINDOW_S:
                continue
            error_kwh = COUNTER_UPDATE_S * window.gpu_kwh / window.duration_s
            if window.duration_s < COUNTER_UPDATE_S or not error_kwh <= SHORT_WINDOW_MAX_SHARE * repetition_kwh:
                bad.append(f"repetition {repetition} {window.target}: {window.duration_s!r} s")
    if bad:
        return ValidityCheck(
            name=name, passed=False, detail=f"windows shorter than the rule ({rule}): " + "; ".join(bad)
        )
    return ValidityCheck(name=name, passed=True, detail=f"every measured GPU window {rule}")


def _scored_gpu_kwh(by_target: dict[str, Window]) -> float:
    """A repetition's scored GPU energy from its windows: with a generate window, prefill + decode = generate."""
    counted = [w for target, w in by_target.items() if not (target == "prefill" and "generate" in by_target)]
    return math.fsum(w.gpu_kwh for w in counted)


def cv_below_threshold(scores_kwh: Sequence[float], *, on_gpu: bool) -> ValidityCheck:
    """The score's coefficient of variation over repetitions is under MAX_CV (recorded, not gated, on CPU)."""
    name = "cv_below_threshold"
    if len(scores_kwh) < 2:
        return ValidityCheck(
            name=name, passed=False, detail=f"needs at least 2 repetitions to measure the spread, got {len(scores_kwh)}"
        )
    mean = statistics.fmean(scores_kwh)
    if not mean > 0:
        return ValidityCheck(name=name, passed=False, detail=f"mean score {mean!r} kWh is not positive")
    cv = statistics.stdev(scores_kwh) / mean
    spread = f"coefficient of variation {cv:.2%} over {len(scores_kwh)} repetitions"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=f"{spread} (not gated on CPU: a machine-wide estimate)")
    return ValidityCheck(name=name, passed=cv < MAX_CV, detail=f"{spread} (threshold {MAX_CV:.0%})")


def gpu_exclusive(foreign_processes: Sequence[str], *, on_gpu: bool) -> ValidityCheck:
    """No other process used the GPU during the run. `foreign_processes` also carries the reasons the
    process list could not be read, since then exclusivity is not shown."""
    name = "gpu_exclusive"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=NOT_APPLICABLE_CPU)
    if foreign_processes:
        return ValidityCheck(
            name=name, passed=False, detail="not shown to be alone on the GPU: " + "; ".join(foreign_processes)
        )
    return ValidityCheck(name=name, passed=True, detail="no other process was seen on the GPU")


def gpu_energy_from_counter(
    windows: Sequence[Window],
    *,
    on_gpu: bool,
    counter_update_s: float | None = None,
    counter_step_j: float | None = None,
) -> ValidityCheck:
    """GPU energy comes from the NVML counter: our read scores every window, and CodeCarbon's figure agrees with
    it within the larger of MAX_METER_GAP and METER_GAP_UPDATES counter updates' energy, window by window.

    One update's energy is the update period × the window's average power (at least the counter's recorded
    step): the period as measured on the run, else the stated default COUNTER_UPDATE_S.
    """
    name = "gpu_energy_from_counter"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=NOT_APPLICABLE_CPU)
    scored = scored_windows(windows)
    unread = [f"repetition {w.repetition} {w.target}" for w in scored if w.gpu_source is not EnergySource.COUNTER]
    if unread or not scored:
        return ValidityCheck(
            name=name, passed=False, detail="no energy counter reading for: " + ("; ".join(unread) or "any window")
        )
    period_s = counter_update_s or COUNTER_UPDATE_S
    step_j = counter_step_j or 0.0
    source = "as measured on the run" if counter_update_s else "default: not measured on the run"
    rule = (
        f"the larger of {MAX_METER_GAP:.0%} and {METER_GAP_UPDATES} counter updates' energy "
        f"(update period {period_s!r} s, {source}, × the window's average power"
        + (f", at least a step of {step_j!r} J)" if step_j else ")")
    )
    bad = []
    for w in scored:
        update_j = max(period_s * w.gpu_kwh * KWH_TO_J / w.duration_s, step_j)
        tolerance_kwh = max(MAX_METER_GAP * w.gpu_kwh, METER_GAP_UPDATES * update_j / KWH_TO_J)
        if not w.gpu_kwh > 0 or not abs(w.codecarbon_gpu_kwh - w.gpu_kwh) <= tolerance_kwh:
            bad.append(
                f"repetition {w.repetition} {w.target}: CodeCarbon {w.codecarbon_gpu_kwh!r} kWh, "
                f"counter {w.gpu_kwh!r} kWh, tolerance {tolerance_kwh!r} kWh"
            )
    if bad:
        return ValidityCheck(
            name=name, passed=False, detail=f"CodeCarbon and the counter differ by more than {rule}: " + "; ".join(bad)
        )
    return ValidityCheck(
        name=name, passed=True, detail=f"scored from the NVML counter; CodeCarbon within {rule} in every window"
    )


def decode_positive(repetitions: Sequence[dict[Phase, PhaseValues]], *, on_gpu: bool) -> ValidityCheck:
    """Decode (generate − prefill, per repetition) has positive energy and duration: never clamped."""
    name = "decode_positive"
    components = ("gpu", "cpu", "ram") if on_gpu else ("cpu", "ram")
    bad = []
    for index, phases in enumerate(repetitions, start=1):
        decode = phases[Phase.DECODE]
        bad += [
            f"repetition {index}: {c} {getattr(decode, f'{c}_kwh')!r} kWh"
            for c in components
            if not getattr(decode, f"{c}_kwh") > 0
        ]
        if not decode.duration_s > 0:
            bad.append(f"repetition {index}: duration {decode.duration_s!r} s")
    if bad:
        return ValidityCheck(
            name=name, passed=False, detail="decode = generate − prefill not positive: " + "; ".join(bad)
        )
    return ValidityCheck(
        name=name,
        passed=True,
        detail=f"decode energy ({', '.join(components)}) and duration positive in every repetition",
    )


def tokens_produced(windows: Sequence[Window], settings: BenchmarkSettings) -> ValidityCheck:
    """Each generate window produced min_new_tokens per query and each prefill window one token per query."""
    name = "tokens_produced"
    per_query = settings.generation.min_new_tokens
    if per_query is None:
        return ValidityCheck(name=name, passed=False, detail="the settings name no min_new_tokens to check against")
    expected = {"generate": per_query * settings.samples, "prefill": settings.samples}
    bad = []
    for repetition, by_target in repetition_windows(windows).items():
        for target, count in expected.items():
            produced = by_target[target].new_tokens if target in by_target else None
            if produced != count:
                bad.append(f"repetition {repetition} {target}: {produced} new tokens, expected {count}")
    if bad:
        return ValidityCheck(name=name, passed=False, detail="; ".join(bad))
    return ValidityCheck(
        name=name, passed=True, detail=f"{per_query} new tokens per query ({expected['generate']} per repetition)"
    )


def settings_conform(settings: BenchmarkSettings, task: TaskId) -> ValidityCheck:
    """The run used the catalog's standard settings; a trial with overrides fails, so it is never rated.

    The dataset has a gate of its own (dataset_standard).
    """
    name = "settings_conform"
    standard = TASKS[task]
    pairs = {
        "samples": (settings.samples, standard.samples),
        "batch_size": (settings.batch_size, standard.batch_size),
        "precision": (settings.precision, standard.precision),
        "generation": (settings.generation, standard.generation),
        "warmup_runs": (settings.warmup_runs, standard.warmup_runs),
        "repetitions": (settings.repetitions, standard.repetitions),
    }
    bad = [f"{field} {used!r}, standard {expected!r}" for field, (used, expected) in pairs.items() if used != expected]
    if bad:
        return ValidityCheck(name=name, passed=False, detail="differs from the catalog: " + "; ".join(bad))
    return ValidityCheck(name=name, passed=True, detail=f"the catalog's standard settings for {task.value}")


def power_limit_default(enforced_limit_w: float | None, tdp_w: float | None, *, on_gpu: bool) -> ValidityCheck:
    """The GPUs ran at their default power limit: a GPU capped below it (or allowed above it) is another
    machine, faster or slower and more or less frugal per query, so its result would not compare with the
    others on the same GPU model."""
    name = "power_limit_default"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=NOT_APPLICABLE_CPU)
    if enforced_limit_w is None or tdp_w is None:
        return ValidityCheck(name=name, passed=False, detail="the power limit in force was not recorded")
    if abs(enforced_limit_w - tdp_w) > POWER_LIMIT_TOLERANCE_W:
        return ValidityCheck(
            name=name,
            passed=False,
            detail=f"the GPUs' power limit was set to {enforced_limit_w:g} W, not their default {tdp_w:g} W",
        )
    return ValidityCheck(name=name, passed=True, detail=f"power limit in force {enforced_limit_w:g} W, the default")


def dataset_standard(settings: BenchmarkSettings, task: TaskId, *, on_gpu: bool) -> ValidityCheck:
    """A GPU run measured the task's own Hub dataset (trivial prompts would make any model look frugal).

    The identity is the one recorded: a Hub snapshot's id and commit, or for an operator's local copy the
    id it copies and a digest of its content. Not gated on CPU, where the local loop runs on any copy."""
    name = "dataset_standard"
    expected = TASKS[task].dataset
    used = f"{settings.dataset} at {settings.dataset_revision or 'an unrecorded revision'}"
    if not on_gpu:
        return ValidityCheck(name=name, passed=True, detail=f"not gated on CPU: {used}")
    if settings.dataset != expected:
        return ValidityCheck(name=name, passed=False, detail=f"measured on {used}, not the task's {expected}")
    return ValidityCheck(name=name, passed=True, detail=f"the task's dataset, {used}")


def score_energy_positive(repetitions: Sequence[dict[Phase, PhaseValues]], *, on_gpu: bool) -> ValidityCheck:
    """Every repetition's score (GPU energy; CPU energy on a CPU run) is positive."""
    name = "score_energy_positive"
    component = "gpu" if on_gpu else "cpu"
    scores = [_component_kwh(phases, component) for phases in repetitions]
    bad = [f"repetition {index}: {kwh!r} kWh" for index, kwh in enumerate(scores, start=1) if not kwh > 0]
    if not scores:
        bad = ["no repetition was measured"]
    if bad:
        return ValidityCheck(
            name=name, passed=False, detail=f"{component.upper()} score not positive: " + "; ".join(bad)
        )
    return ValidityCheck(name=name, passed=True, detail=f"{component.upper()} energy positive in every repetition")


def evaluate(run: GateInput) -> tuple[ValidityCheck, ...]:
    """Every gate of one run, in a fixed order."""
    repetitions = phase_values(run.task, run.windows)
    component = "gpu" if run.on_gpu else "cpu"
    checks = [
        settings_conform(run.settings, run.task),
        dataset_standard(run.settings, run.task, on_gpu=run.on_gpu),
        score_energy_positive(repetitions, on_gpu=run.on_gpu),
        gpu_energy_positive(repetitions, on_gpu=run.on_gpu),
        gpu_energy_from_counter(
            run.windows,
            on_gpu=run.on_gpu,
            counter_update_s=run.counter_update_s,
            counter_step_j=run.counter_step_j,
        ),
        average_power_in_range(
            repetitions, idle_power_w=run.idle_power_w, tdp_w=run.tdp_w, gpu=run.gpu, on_gpu=run.on_gpu
        ),
        speed_within_bounds(repetitions, run.settings, gpu=run.gpu, parameters=run.parameters, on_gpu=run.on_gpu),
        power_limit_default(run.enforced_limit_w, run.tdp_w, on_gpu=run.on_gpu),
        window_long_enough(run.windows, on_gpu=run.on_gpu),
        cv_below_threshold([_component_kwh(phases, component) for phases in repetitions], on_gpu=run.on_gpu),
        gpu_exclusive(run.foreign_processes, on_gpu=run.on_gpu),
    ]
    if generates(run.task):
        checks += [decode_positive(repetitions, on_gpu=run.on_gpu), tokens_produced(run.windows, run.settings)]
    return tuple(checks)
