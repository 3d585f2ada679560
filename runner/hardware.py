"""What a run measures on: GPU facts and counters from NVML (imported lazily), or the CPU of a CPU-only run."""

from __future__ import annotations

import logging
import os
import platform
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.models import CPU_HARDWARE, Hardware

logger = logging.getLogger(__name__)

# Long enough for ~50 updates of the ~100 ms energy counter, short enough not to matter beside a run of
# minutes; taken before the child starts CUDA, so the GPU sits in its idle state.
IDLE_BASELINE_S = 5.0


class NoGpu(RuntimeError):
    """A GPU run was asked for on a machine where NVML sees no usable NVIDIA GPU."""


class ProcessListUnavailable(RuntimeError):
    """NVML cannot list a GPU's processes (some containers and virtual GPUs): exclusivity cannot be checked."""


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    uuid: str
    tdp_w: float  # the default power limit
    memory_bytes: int
    enforced_limit_w: float | None = None  # the limit in force (an operator may cap a GPU); None if unreadable
    mig_enabled: bool = False  # split into MIG instances: its counter is the whole GPU's, so it is refused


@dataclass(frozen=True)
class GpuProcess:
    pid: int
    description: str


def cpu_name() -> str:
    """The CPU model as the kernel names it, e.g. 'AMD EPYC 7R13 Processor'."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_hardware() -> Hardware:
    return Hardware(gpu_name=CPU_HARDWARE, gpu_count=0, cpu_name=cpu_name())


def _nvml():
    import pynvml

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as err:
        raise NoGpu(f"NVML cannot start ({err}): no NVIDIA driver or GPU is visible") from err
    return pynvml


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def visible_gpus() -> list[GpuInfo]:
    """The GPUs this process may use: NVML's, narrowed by CUDA_VISIBLE_DEVICES (NVML indices or UUIDs) and in
    its order, which is CUDA's: the i-th GPU returned is torch's device i in a child started with
    `cuda_environment` of them."""
    nvml = _nvml()
    gpus = []
    for index in range(nvml.nvmlDeviceGetCount()):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        gpus.append(
            GpuInfo(
                index=index,
                name=_text(nvml.nvmlDeviceGetName(handle)),
                uuid=_text(nvml.nvmlDeviceGetUUID(handle)),
                tdp_w=nvml.nvmlDeviceGetPowerManagementDefaultLimit(handle) / 1000.0,
                memory_bytes=nvml.nvmlDeviceGetMemoryInfo(handle).total,
                enforced_limit_w=_enforced_limit_w(nvml, handle),
                mig_enabled=_mig_enabled(nvml, handle),
            )
        )
    selection = os.environ.get("CUDA_VISIBLE_DEVICES")
    if selection is not None:
        wanted = [item.strip() for item in selection.split(",") if item.strip()]
        chosen = [[g for g in gpus if str(g.index) == w or g.uuid.startswith(w)] for w in wanted]
        gpus = list(dict.fromkeys(g for matches in chosen for g in matches[:1]))
    if not gpus:
        raise NoGpu(f"NVML sees no usable GPU (CUDA_VISIBLE_DEVICES={selection!r})")
    return gpus


def _enforced_limit_w(nvml, handle) -> float | None:
    try:
        return nvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000.0
    except nvml.NVMLError as err:
        logger.warning("NVML cannot read the enforced power limit: %s", err)
        return None


def _mig_enabled(nvml, handle) -> bool:
    try:
        current, _pending = nvml.nvmlDeviceGetMigMode(handle)
    except nvml.NVMLError:  # Not Supported: a GPU without MIG
        return False
    return current == nvml.NVML_DEVICE_MIG_ENABLE


def cuda_environment(gpus: Iterable[GpuInfo]) -> dict[str, str]:
    """The variables that pin a child's CUDA devices to `gpus`, by UUID and in their order, before it starts
    CUDA: its device i is then `gpus[i]` whatever CUDA's own enumeration order, and torch's availability check
    reads NVML instead of starting CUDA, so an import that asks (diffusers does) cannot fix the devices early."""
    return {
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
        "CUDA_VISIBLE_DEVICES": ",".join(g.uuid for g in gpus),
        "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
    }


def gpu_hardware(gpus: list[GpuInfo]) -> Hardware:
    """The record of the GPUs a run uses, with the driver and the CUDA version the driver supports."""
    nvml = _nvml()
    cuda = nvml.nvmlSystemGetCudaDriverVersion()
    names = {g.name for g in gpus}
    return Hardware(
        gpu_name=" + ".join(sorted(names)),
        gpu_count=len(gpus),
        gpu_uuids=tuple(g.uuid for g in gpus),
        driver=_text(nvml.nvmlSystemGetDriverVersion()),
        cuda=f"{cuda // 1000}.{cuda % 1000 // 10}",
        cpu_name=cpu_name(),
    )


class EnergyCounter:
    """Direct reads of NVML's cumulative energy counter and process list, summed over the run's GPUs.

    Opened by UUID: an index means another GPU under another enumeration order or CUDA_VISIBLE_DEVICES."""

    def __init__(self, uuids: list[str]) -> None:
        self._nvml = _nvml()
        self._handles = [self._nvml.nvmlDeviceGetHandleByUUID(uuid) for uuid in uuids]

    def energy_j(self) -> float | None:
        """Total energy since the driver loaded, in J; None when a GPU has no counter (pre-Volta, some vGPUs)."""
        try:
            return sum(self._nvml.nvmlDeviceGetTotalEnergyConsumption(h) for h in self._handles) / 1000.0
        except self._nvml.NVMLError as err:
            logger.warning("NVML energy counter unreadable: %s", err)
            return None

    def power_w(self) -> float:
        return sum(self._nvml.nvmlDeviceGetPowerUsage(h) for h in self._handles) / 1000.0

    def processes(self) -> list[GpuProcess]:
        """Every compute or graphics process on the run's GPUs, as NVML reports them (host pids)."""
        found: dict[int, GpuProcess] = {}
        for handle in self._handles:
            for query in (
                self._nvml.nvmlDeviceGetComputeRunningProcesses,
                self._nvml.nvmlDeviceGetGraphicsRunningProcesses,
            ):
                try:
                    running = query(handle)
                except self._nvml.NVMLError as err:
                    raise ProcessListUnavailable(f"NVML cannot list the GPU's processes: {err}") from err
                for process in running:
                    try:
                        name = _text(self._nvml.nvmlSystemGetProcessName(process.pid))
                    except self._nvml.NVMLError:
                        name = "name unknown"
                    found[process.pid] = GpuProcess(pid=process.pid, description=f"pid {process.pid} ({name})")
        return list(found.values())

    def idle_power_w(self, duration_s: float = IDLE_BASELINE_S) -> float:
        """Average power over `duration_s` of idling: from the counter, or from 10 Hz power samples without one."""
        start_j, start_s = self.energy_j(), time.perf_counter()
        if start_j is not None:
            time.sleep(duration_s)
            end_j = self.energy_j()
            if end_j is not None:
                return (end_j - start_j) / (time.perf_counter() - start_s)
        samples, start_s = [], time.perf_counter()
        while time.perf_counter() - start_s < duration_s:
            samples.append(self.power_w())
            time.sleep(0.1)
        return sum(samples) / len(samples)


def foreign_processes(before: Iterable[GpuProcess], during: Iterable[GpuProcess], own_pid: int) -> tuple[str, ...]:
    """Processes on the run's GPUs that are not ours.

    `before` is a snapshot taken before our process started CUDA: all of it is foreign. NVML reports host
    pids, so inside a container our own pid may not appear; then the single process that appeared after
    our start is taken as ours, and if several did, none can be told apart and all are reported.
    """
    before_by_pid = {p.pid: p for p in before}
    during_by_pid = {p.pid: p for p in during}
    new = set(during_by_pid) - set(before_by_pid)
    if own_pid in during_by_pid:
        ours = {own_pid}
    elif len(new) == 1:
        ours = new
    else:
        ours = set()
    foreign = {**before_by_pid, **{pid: p for pid, p in during_by_pid.items() if pid not in ours}}
    return tuple(p.description for _, p in sorted(foreign.items()))
