"""GPU identity through NVML (runner/hardware.py), with the fake NVML of conftest: GPUs named by UUID, in
CUDA_VISIBLE_DEVICES's order, counters opened by UUID, MIG mode read."""

from __future__ import annotations

import pytest

from runner.hardware import EnergyCounter, cuda_environment, visible_gpus

GPU_0, GPU_1 = "GPU-00000000-aaaa", "GPU-00000001-aaaa"


@pytest.mark.parametrize(("selection", "indices"), [(f"{GPU_1},{GPU_0}", [1, 0]), ("1,0", [1, 0]), ("1,1", [1])])
def test_visible_gpus_keep_cuda_visible_devices_order(nvml, monkeypatch, selection, indices):
    """CUDA numbers its devices in CUDA_VISIBLE_DEVICES's order: so must the runner, or device i is another GPU."""
    nvml()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", selection)
    assert [g.index for g in visible_gpus()] == indices


def test_the_energy_counter_opens_its_gpus_by_uuid(nvml):
    fake = nvml()
    fake.nvmlDeviceGetHandleByIndex = None  # an index names another GPU under another order: never used
    counter = EnergyCounter([GPU_1])
    assert fake.opened_by_uuid == [GPU_1]
    assert counter.power_w() == pytest.approx(70.0)


def test_an_unknown_uuid_is_an_nvml_error(nvml):
    fake = nvml()
    with pytest.raises(fake.NVMLError, match="Not Found"):
        EnergyCounter(["GPU-ffffffff"])


def test_the_cuda_environment_pins_the_gpus_by_uuid_in_order(nvml, monkeypatch):
    nvml()
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    gpus = visible_gpus()
    assert cuda_environment(gpus[::-1]) == {
        "CUDA_DEVICE_ORDER": "PCI_BUS_ID",
        "CUDA_VISIBLE_DEVICES": f"{GPU_1},{GPU_0}",
        "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
    }


def test_mig_mode_is_read_per_gpu(nvml, monkeypatch):
    fake = nvml(mig={1})
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert [g.mig_enabled for g in visible_gpus()] == [False, True]

    def not_supported(handle):
        raise fake.NVMLError("Not Supported")

    fake.nvmlDeviceGetMigMode = not_supported  # a GPU without MIG
    assert [g.mig_enabled for g in visible_gpus()] == [False, False]
