"""The benchmark process's side of GPU identity (runner/gpus.py, runner/child.py), with a fake NVML and fake
torch devices: the devices it runs on are the engine's GPUs, by UUID and in order, or the run fails."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.catalog import TASKS, TaskId
from runner import child, machine  # before the fake NVML: optimum-benchmark looks for the real module on import
from runner.engine import RunFailed
from runner.gpus import check_devices, synchronize, uuids_of
from runner.hardware import visible_gpus
from runner.spec import RunSpec

GPU_0, GPU_1 = "GPU-00000000-aaaa", "GPU-00000001-aaaa"  # the fake NVML's two GPUs


class FakeCuda:
    """The part of torch.cuda that runner/gpus.py uses: devices with UUIDs as torch formats them."""

    def __init__(self, uuids: list[str]) -> None:
        self.uuids = uuids
        self.synchronized: list[int] = []

    def device_count(self) -> int:
        return len(self.uuids)

    def get_device_properties(self, index: int) -> SimpleNamespace:
        return SimpleNamespace(uuid=self.uuids[index])

    def synchronize(self, device: int) -> None:
        self.synchronized.append(device)


@pytest.mark.parametrize("torch_form", [[GPU_1, GPU_0], ["00000001-AAAA", "00000000-aaaa"]])
def test_devices_that_are_the_chosen_gpus_pass(torch_form):
    check_devices([GPU_1, GPU_0], FakeCuda(torch_form))  # with or without NVML's "GPU-" prefix


def test_a_torch_device_that_is_another_gpu_fails_the_run_as_a_measurement():
    with pytest.raises(RunFailed) as failed:
        check_devices([GPU_1], FakeCuda([GPU_0, GPU_1]))
    assert failed.value.error_class == "measurement"
    assert f"torch device 0 is {GPU_0}, not {GPU_1}" in str(failed.value)
    assert "not those whose energy counters are read" in str(failed.value)


def test_fewer_devices_than_chosen_gpus_fails_the_run():
    with pytest.raises(RunFailed, match="sees 1 CUDA device") as failed:
        check_devices([GPU_0, GPU_1], FakeCuda([GPU_0]))
    assert failed.value.error_class == "measurement"


def test_only_the_gpus_in_use_are_synchronized():
    cuda = FakeCuda([GPU_0, GPU_1])
    synchronize(1, cuda)
    assert cuda.synchronized == [0]


def test_device_ids_must_be_uuids():
    assert uuids_of(f"{GPU_1},{GPU_0}") == [GPU_1, GPU_0]
    with pytest.raises(RunFailed, match="must list the run's GPU UUIDs"):
        uuids_of("0,1")


def test_the_child_measures_the_engines_gpus_opened_by_uuid(nvml, monkeypatch):
    fake = nvml()
    monkeypatch.setattr(machine, "IDLE_BASELINE_S", 0.1)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", f"{GPU_1},{GPU_0}")  # as the engine sets it: GPU 1 first
    spec = RunSpec(model="org/model", task=TaskId.TEXT_GENERATION, device="cuda")
    chosen = machine.machine_for(spec, TASKS[TaskId.TEXT_GENERATION], 8 * 10**9, "org/model")
    assert [g.uuid for g in chosen.gpus] == [GPU_1]  # torch's device 0
    assert chosen.hardware.gpu_uuids == (GPU_1,)
    assert fake.opened_by_uuid and set(fake.opened_by_uuid) == {GPU_1}


def test_optimum_benchmark_keeps_cuda_visible_devices_on_the_chosen_gpus(nvml, monkeypatch):
    """optimum-benchmark copies device_ids into CUDA_VISIBLE_DEVICES: UUIDs keep it on the engine's GPUs,
    where local indices ("0") would mean NVML's GPU 0 under CUDA_DEVICE_ORDER=PCI_BUS_ID."""
    import optimum_benchmark.backends.config as ob_config

    nvml()
    monkeypatch.setattr(ob_config, "is_nvidia_system", lambda: True)
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", f"{GPU_1},{GPU_0}")
    task = TASKS[TaskId.TEXT_CLASSIFICATION]
    spec = RunSpec(model="/nowhere/model", task=task.id, device="cuda")
    model = child.Resolved(path=Path("/nowhere/model"), name="org/model", revision=None)
    dataset = child.Resolved(path=Path("/nowhere/data"), name="org/data", revision=None)
    config = child.benchmark_config(spec, task, model, dataset, {"model_type": "bert"}, visible_gpus()[:1])
    assert config.backend.device_ids == GPU_1
    assert os.environ["CUDA_VISIBLE_DEVICES"] == GPU_1 and os.environ["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
