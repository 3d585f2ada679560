"""A fake pynvml for `bench/gpu_check.py --dry-run`: one simulated H100 whose energy counter behaves like a real one.

The counter publishes the integral of the simulated power every `PERIOD_S` (0.1 s), rounded down to whole
joules, so the check's period and step estimators have something real to recover. Power follows the state
the check drives (idle, a CUDA context, steady load). It implements the pynvml calls that the check and
CodeCarbon 3.3.2 make; installed in `sys.modules["pynvml"]` before CodeCarbon is imported, CodeCarbon reads it.
"""

from __future__ import annotations

import math
import threading
import time
from types import SimpleNamespace

PERIOD_S = 0.1
RESOLUTION_MJ = 1000  # the published value moves in whole joules
POWER_W = {"idle": 30.0, "context": 65.0, "load": 420.0}
UUID = "GPU-5a1e0000-0000-4000-8000-00000000c0de"
NAME = "NVIDIA H100 80GB HBM3 (fake)"

NVML_TEMPERATURE_GPU = 0
NVML_DEVICE_MIG_ENABLE = 1
NVML_CLOCK_SM = 1


class NVMLError(Exception):
    pass


class NVMLError_NotSupported(NVMLError):  # pynvml's names, here and below
    pass


def c_nvmlMemory_t(total: int, free: int, used: int) -> SimpleNamespace:
    return SimpleNamespace(total=total, free=free, used=used)


class _Gpu:
    """Piecewise-constant power, integrated exactly, published on the counter's own clock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start = time.perf_counter()
        self._state = "idle"
        self._at = self._start  # time up to which `_energy_mj` is integrated
        self._energy_mj = 1e9  # the counter counts since the driver loaded
        self._next_tick = self._start + PERIOD_S
        self._published_mj = int(self._energy_mj)

    def _power_w(self, when: float) -> float:
        # a steady draw with a slow ±0.5 % ripple, as a real load has
        return POWER_W[self._state] * (1 + 0.005 * math.sin(2 * math.pi * (when - self._start) / 1.7))

    def _integrate(self, until: float) -> None:
        # the ripple is slow against the steps taken here (at most one period), so a midpoint rule is exact enough
        self._energy_mj += self._power_w((self._at + until) / 2) * (until - self._at) * 1000
        self._at = until

    def _catch_up(self, now: float) -> None:
        while self._next_tick <= now:
            self._integrate(self._next_tick)
            self._published_mj = int(self._energy_mj // RESOLUTION_MJ * RESOLUTION_MJ)
            self._next_tick += PERIOD_S
        self._integrate(now)

    def set_state(self, state: str) -> None:
        with self._lock:
            self._catch_up(time.perf_counter())
            self._state = state

    def energy_mj(self) -> int:
        with self._lock:
            self._catch_up(time.perf_counter())
            return self._published_mj

    def power_mw(self) -> int:
        with self._lock:
            now = time.perf_counter()
            self._catch_up(now)
            return int(self._power_w(now) * 1000)


GPU = _Gpu()


def nvmlInit() -> None:
    pass


def nvmlShutdown() -> None:
    pass


def nvmlSystemGetDriverVersion() -> str:
    return "550.54.15"


def nvmlSystemGetCudaDriverVersion() -> int:
    return 12040


def nvmlDeviceGetCount() -> int:
    return 1


def nvmlDeviceGetHandleByIndex(index: int) -> int:
    if index != 0:
        raise NVMLError("Invalid Argument")
    return 0


def nvmlDeviceGetHandleByUUID(uuid: str | bytes) -> int:
    if (uuid.decode() if isinstance(uuid, bytes) else uuid) != UUID:
        raise NVMLError("Not Found")
    return 0


def nvmlDeviceGetName(handle: int) -> str:
    return NAME


def nvmlDeviceGetUUID(handle: int) -> str:
    return UUID


def nvmlDeviceGetPciInfo(handle: int) -> SimpleNamespace:
    return SimpleNamespace(busId="00000000:1B:00.0")


def nvmlDeviceGetMigMode(handle: int) -> tuple[int, int]:
    return (0, 0)


def nvmlDeviceGetPowerManagementDefaultLimit(handle: int) -> int:
    return 700_000


def nvmlDeviceGetEnforcedPowerLimit(handle: int) -> int:
    return 700_000


def nvmlDeviceGetPowerManagementLimitConstraints(handle: int) -> tuple[int, int]:
    return (200_000, 700_000)


def nvmlDeviceGetMemoryInfo(handle: int) -> SimpleNamespace:
    return c_nvmlMemory_t(80 * 2**30, 79 * 2**30, 2**30)


def nvmlDeviceGetTemperature(handle: int, sensor: int) -> int:
    return 41


def nvmlDeviceGetClockInfo(handle: int, clock: int) -> int:
    return 1980


def nvmlDeviceGetUtilizationRates(handle: int) -> SimpleNamespace:
    return SimpleNamespace(gpu=100 if GPU._state == "load" else 0, memory=0)


def nvmlDeviceGetComputeMode(handle: int) -> int:
    return 0


def nvmlDeviceGetTotalEnergyConsumption(handle: int) -> int:
    return GPU.energy_mj()


def nvmlDeviceGetPowerUsage(handle: int) -> int:
    return GPU.power_mw()


def nvmlDeviceGetComputeRunningProcesses(handle: int) -> list:
    return []


def nvmlDeviceGetGraphicsRunningProcesses(handle: int) -> list:
    return []


def nvmlSystemGetProcessName(pid: int) -> str:
    return "python"
