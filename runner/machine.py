"""What a run measures on: the fewest GPUs that hold the model (or the CPU), their limits, the idle baseline and
the processes already on them, taken before this process starts CUDA and recorded in hardware.json."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import psutil

from core.catalog import Task, size_class_for
from core.models import Hardware
from runner.engine import RunFailed
from runner.hardware import (
    IDLE_BASELINE_S,
    EnergyCounter,
    GpuInfo,
    GpuProcess,
    NoGpu,
    ProcessListUnavailable,
    cpu_hardware,
    gpu_hardware,
    visible_gpus,
)
from runner.params import DoesNotFit, check_fits_in_ram, gpus_to_use
from runner.spec import RunSpec

HARDWARE_FILE = "hardware.json"


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
