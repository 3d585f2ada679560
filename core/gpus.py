"""Board power limits of the GPUs results may come from, as NVML names them.

Uploaded logs state their own power limit and idle baseline; the power gate is only as good as those, so a
vendor's numbers are compared with this table instead of being trusted. Values: NVML's default power
limit (`nvmlDeviceGetPowerManagementDefaultLimit`) of each model, in watts.
"""

from __future__ import annotations

DEFAULT_POWER_LIMIT_W: dict[str, float] = {
    "NVIDIA H100 80GB HBM3": 700.0,
    "NVIDIA H100 PCIe": 350.0,
    "NVIDIA H100 NVL": 400.0,
    "NVIDIA H200": 700.0,
    "NVIDIA H200 NVL": 600.0,
    "NVIDIA A100-SXM4-80GB": 400.0,
    "NVIDIA A100-SXM4-40GB": 400.0,
    "NVIDIA A100 80GB PCIe": 300.0,
    "NVIDIA A100-PCIE-40GB": 250.0,
    "NVIDIA L40S": 350.0,
    "NVIDIA L4": 72.0,
    "NVIDIA GeForce RTX 4090": 450.0,
}
# A GPU that runs a model draws more than this share of its power limit; every listed GPU idles above it
# (an idle H100 draws 60–75 W, 9–11 %), so only a broken reading falls below.
IDLE_FLOOR_SHARE = 0.04


def power_limit_w(gpu_name: str, gpu_count: int) -> float | None:
    """The summed default power limit of `gpu_count` GPUs of this exact model; None for an unknown model."""
    per_gpu = DEFAULT_POWER_LIMIT_W.get(gpu_name.strip())
    return per_gpu * gpu_count if per_gpu is not None else None


def idle_floor_w(power_limit: float) -> float:
    return IDLE_FLOOR_SHARE * power_limit
