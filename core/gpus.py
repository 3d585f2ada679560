"""What the GPUs results may come from can physically do, as NVML names them: the physics gates' bounds.

Uploaded logs state their own power limit and idle baseline; the gates are only as good as those, so a
vendor's numbers are compared with this table instead of being trusted, and every result (ours and
uploaded) is bounded by it: its average power between the GPU's idle draw with a CUDA context and its power
limit, its passes no faster than the GPU's memory can deliver the weights (runner.gates).

Sources, per column:
- power_limit_w: NVML's default power limit (`nvmlDeviceGetPowerManagementDefaultLimit`), which is the
  board power (TDP / max TGP) of NVIDIA's datasheets: H100 SXM 700 W, PCIe 350 W, NVL 400 W; H200 SXM
  700 W, NVL 600 W; A100 SXM 400 W, 80GB PCIe 300 W, 40GB PCIe 250 W; L40S 350 W; L4 72 W; RTX 4090 450 W.
- idle_w: the least a GPU of the model draws with a CUDA context open and nothing running (it then stays in
  its P0 performance state, clocks and memory up). NVIDIA publishes no such figure; the value is a floor
  under the lowest readings reported for the model (`nvidia-smi --query-gpu=power.draw` of an idle GPU held
  by a process: H100 SXM 60–75 W, H200 ~75 W, A100 SXM ~50–60 W, A100 PCIe 35–45 W, L40S ~35 W, L4 ~16 W,
  RTX 4090 ~20–30 W), rounded down by about a third so that no real run falls under it.
- memory_bandwidth_bps: peak memory bandwidth from NVIDIA's datasheets, in bytes per second: H100 SXM
  3.35 TB/s, PCIe 2.0 TB/s, NVL 3.9 TB/s; H200 4.8 TB/s; A100 80GB SXM 2.039 TB/s, 80GB PCIe 1.935 TB/s,
  40GB 1.555 TB/s; L40S 864 GB/s; L4 300 GB/s; RTX 4090 1,008 GB/s.
"""

from __future__ import annotations

from typing import NamedTuple


class GpuSpec(NamedTuple):
    """One GPU model's bounds (or the sum over several GPUs of a run, from `gpu_spec`)."""

    power_limit_w: float
    idle_w: float
    memory_bandwidth_bps: float


GPUS: dict[str, GpuSpec] = {
    "NVIDIA H100 80GB HBM3": GpuSpec(700.0, 50.0, 3.35e12),
    "NVIDIA H100 PCIe": GpuSpec(350.0, 30.0, 2.0e12),
    "NVIDIA H100 NVL": GpuSpec(400.0, 40.0, 3.9e12),
    "NVIDIA H200": GpuSpec(700.0, 50.0, 4.8e12),
    "NVIDIA H200 NVL": GpuSpec(600.0, 40.0, 4.8e12),
    "NVIDIA A100-SXM4-80GB": GpuSpec(400.0, 35.0, 2.039e12),
    "NVIDIA A100-SXM4-40GB": GpuSpec(400.0, 35.0, 1.555e12),
    "NVIDIA A100 80GB PCIe": GpuSpec(300.0, 25.0, 1.935e12),
    "NVIDIA A100-PCIE-40GB": GpuSpec(250.0, 25.0, 1.555e12),
    "NVIDIA L40S": GpuSpec(350.0, 20.0, 864e9),
    "NVIDIA L4": GpuSpec(72.0, 10.0, 300e9),
    "NVIDIA GeForce RTX 4090": GpuSpec(450.0, 12.0, 1008e9),
}
DEFAULT_POWER_LIMIT_W: dict[str, float] = {name: spec.power_limit_w for name, spec in GPUS.items()}


def gpu_spec(gpu_name: str, gpu_count: int) -> GpuSpec | None:
    """The bounds of `gpu_count` GPUs of this exact model, summed; None for an unknown model (or no GPU)."""
    spec = GPUS.get(gpu_name)
    if spec is None or gpu_count < 1:
        return None
    return GpuSpec(*(value * gpu_count for value in spec))


def power_limit_w(gpu_name: str, gpu_count: int) -> float | None:
    """The summed default power limit of `gpu_count` GPUs of this exact model; None for an unknown model."""
    spec = gpu_spec(gpu_name, gpu_count)
    return spec.power_limit_w if spec is not None else None


def idle_floor_w(gpu_name: str, gpu_count: int) -> float | None:
    """The summed idle-with-a-context draw of `gpu_count` GPUs of this model; None for an unknown model."""
    spec = gpu_spec(gpu_name, gpu_count)
    return spec.idle_w if spec is not None else None
