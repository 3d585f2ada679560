"""The benchmark process's side of GPU identity: its CUDA devices are the GPUs the engine chose, in order.

The engine picks the GPUs through NVML and starts the child with `runner.hardware.cuda_environment` of them
(CUDA_VISIBLE_DEVICES = their UUIDs). The child passes the UUIDs it runs on to optimum-benchmark as
`device_ids`: optimum-benchmark writes `device_ids` back into CUDA_VISIBLE_DEVICES, and the UUIDs keep that a
narrowing of the engine's list (local indices would name other GPUs under CUDA_DEVICE_ORDER=PCI_BUS_ID).
Torch's device i is then the i-th UUID; `check_devices` proves it once the model is loaded, before any window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runner.engine import RunFailed


def uuids_of(device_ids: str) -> list[str]:
    """The GPU UUIDs in optimum-benchmark's `device_ids`, as the child set them."""
    uuids = [part.strip() for part in device_ids.split(",") if part.strip()]
    not_uuids = [part for part in uuids if not part.startswith("GPU-")]
    if not uuids or not_uuids:
        raise RunFailed("internal", f"device_ids {device_ids!r} must list the run's GPU UUIDs (GPU-…)")
    return uuids


def _normalised(uuid: object) -> str:
    """NVML writes 'GPU-<hex>'; torch's device properties may give the bare hex: compare the hex, lower case."""
    text = str(uuid).strip().lower()
    return text.removeprefix("gpu-")


def check_devices(expected_uuids: Sequence[str], cuda: Any = None) -> None:
    """Each torch device i is the GPU `expected_uuids[i]`: else the counters would read GPUs other than those
    doing the work, so the run fails as a measurement. `cuda` is `torch.cuda` (a stand-in in tests)."""
    if cuda is None:
        import torch

        cuda = torch.cuda
    count = cuda.device_count()
    if count < len(expected_uuids):
        raise RunFailed(
            "measurement",
            f"the benchmark process sees {count} CUDA device(s), but the engine chose {len(expected_uuids)} GPU(s) "
            f"({', '.join(expected_uuids)}): CUDA_VISIBLE_DEVICES was changed after the engine set it",
        )
    mismatches = [
        f"torch device {index} is {cuda.get_device_properties(index).uuid}, not {expected}"
        for index, expected in enumerate(expected_uuids)
        if _normalised(cuda.get_device_properties(index).uuid) != _normalised(expected)
    ]
    if mismatches:
        raise RunFailed(
            "measurement",
            "the GPUs running the model are not those whose energy counters are read: "
            + "; ".join(mismatches)
            + ". Check that nothing changes CUDA_VISIBLE_DEVICES or CUDA_DEVICE_ORDER in the benchmark process.",
        )


def synchronize(device_count: int, cuda: Any = None) -> None:
    """Wait for the work queued on the run's GPUs (devices 0..device_count-1), and only those: touching another
    visible GPU would start a CUDA context on it."""
    if cuda is None:
        import torch

        cuda = torch.cuda
    for device in range(device_count):
        cuda.synchronize(device)
