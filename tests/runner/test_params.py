"""Parameter counts from safetensors headers, and the rule that refuses a model its hardware cannot hold."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from core.catalog import TASKS, Precision, TaskId, size_class_for
from runner.engine import RunFailed
from runner.hardware import GpuProcess
from runner.params import (
    DoesNotFit,
    check_fits_in_ram,
    count_safetensors_parameters,
    gpus_to_use,
    memory_needed_bytes,
)
from runner.spec import RunSpec
from tests.runner.conftest import FAKE_IDLE_W

GB = 10**9
H100_BYTES = 80 * GB


def write_safetensors(file: Path, shapes: dict[str, list[int]]) -> Path:
    """A safetensors file with these tensor shapes (float32 zeros), written by hand: length, header, data."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in shapes.items():
        size = 4
        for dim in shape:
            size *= dim
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))
    return file


def test_a_single_file_counts_every_tensor(tmp_path):
    write_safetensors(tmp_path / "model.safetensors", {"embed": [10, 4], "bias": [4], "scalar": []})
    assert count_safetensors_parameters(tmp_path) == 40 + 4 + 1


def test_sharded_weights_count_the_shards_of_the_index(tmp_path):
    write_safetensors(tmp_path / "model-00001-of-00002.safetensors", {"a": [3, 3]})
    write_safetensors(tmp_path / "model-00002-of-00002.safetensors", {"b": [2]})
    write_safetensors(tmp_path / "consolidated.safetensors", {"a": [3, 3], "b": [2]})  # the same weights again
    weight_map = {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    assert count_safetensors_parameters(tmp_path) == 11


def test_a_pipeline_counts_each_model_once(tmp_path):
    write_safetensors(tmp_path / "unet" / "diffusion_pytorch_model.safetensors", {"w": [5, 5]})
    write_safetensors(tmp_path / "unet" / "diffusion_pytorch_model.fp16.safetensors", {"w": [5, 5]})
    write_safetensors(tmp_path / "text_encoder" / "model.fp16.safetensors", {"w": [7]})  # only a variant here
    assert count_safetensors_parameters(tmp_path) == 25 + 7


def test_no_safetensors_means_no_count(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"\0" * 16)
    assert count_safetensors_parameters(tmp_path) is None


def test_a_truncated_file_is_an_error(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\x01\x02")
    with pytest.raises(ValueError, match="too short"):
        count_safetensors_parameters(tmp_path)


def test_the_count_matches_the_loaded_model(assets):
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(assets.bert_classifier)
    assert count_safetensors_parameters(assets.bert_classifier) == model.num_parameters()


@pytest.mark.parametrize(
    ("parameters", "precision", "expected_bytes"),
    [(10**9, Precision.FP16, 2.4 * GB), (10**9, Precision.FP32, 4.8 * GB), (10**9, Precision.BF16, 2.4 * GB)],
)
def test_memory_needed_is_the_weights_plus_a_fifth(parameters, precision, expected_bytes):
    assert memory_needed_bytes(parameters, precision) == pytest.approx(expected_bytes)


@pytest.mark.parametrize(
    ("parameters", "precision", "gpus", "expected"),
    [
        (8 * 10**9, Precision.FP16, [H100_BYTES], 1),  # class A on one H100
        (8 * 10**9, Precision.FP16, [H100_BYTES] * 4, 1),  # class A uses one GPU even when there are more
        (30 * 10**9, Precision.FP16, [H100_BYTES], 1),  # class B: 72 GB fits one H100
        (70 * 10**9, Precision.FP16, [H100_BYTES] * 4, 3),  # class C: 168 GB needs 3, not all 4
        (150 * 10**9, Precision.FP16, [H100_BYTES] * 8, 5),  # class C: 360 GB needs 5 of 8
        (70 * 10**9, Precision.FP16, [192 * GB], 1),  # class C on one GPU that holds it: no idle GPU added
    ],
    ids=[
        "class-A",
        "class-A-several-gpus",
        "class-B",
        "class-C-fewest-of-four",
        "class-C-fewest-of-8",
        "class-C-big-gpu",
    ],
)
def test_the_fewest_gpus_that_fit_are_used(parameters, precision, gpus, expected):
    assert gpus_to_use(parameters, precision, gpus, size_class_for(parameters)) == expected


def test_a_task_without_size_classes_runs_on_one_gpu():
    with pytest.raises(DoesNotFit, match="this task run on one GPU only"):
        gpus_to_use(70 * 10**9, Precision.FP16, [H100_BYTES] * 4, None)


@pytest.mark.parametrize(
    ("parameters", "precision", "gpus", "message"),
    [
        (70 * 10**9, Precision.FP16, [H100_BYTES], "more than the 80.0 GB of all 1 GPU(s) here"),
        (70 * 10**9, Precision.FP16, [H100_BYTES] * 2, "need about 168.0 GB by the memory rule"),
        (30 * 10**9, Precision.FP32, [H100_BYTES], "(class B) need about 144.0 GB by the memory rule, 4.8 bytes"),
        (12 * 10**9, Precision.FP16, [24 * GB], "more than the 24.0 GB of one GPU here"),
        (40 * 10**9, Precision.FP16, [H100_BYTES] * 8, "class A and B models run on one GPU only"),
    ],
    ids=["class-C-on-one-gpu", "class-C-too-big-for-two", "class-B-in-fp32", "class-A-on-a-small-gpu", "class-B-40B"],
)
def test_a_model_that_cannot_fit_is_refused_with_the_rule(parameters, precision, gpus, message):
    with pytest.raises(DoesNotFit) as refused:
        gpus_to_use(parameters, precision, gpus, size_class_for(parameters))
    assert message in str(refused.value)
    assert "the memory rule" in str(refused.value)


def test_a_cpu_run_must_fit_in_ram():
    check_fits_in_ram(10**9, Precision.FP32, 16 * GB)
    with pytest.raises(DoesNotFit, match=r"more than the 16\.0 GB of RAM"):
        check_fits_in_ram(8 * 10**9, Precision.FP32, 16 * GB)


# --- The rule applied to the machine at hand (two fake H100s through NVML) ----------------------

GENERATION = TASKS[TaskId.TEXT_GENERATION]


def _machine(parameters: int):
    from runner.machine import machine_for

    spec = RunSpec(model="org/model", task=TaskId.TEXT_GENERATION, device="cuda")
    return machine_for(spec, GENERATION, parameters, "org/model")


@pytest.fixture
def two_gpus(nvml, monkeypatch):
    monkeypatch.setattr("runner.machine.IDLE_BASELINE_S", 0.2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return nvml(processes=[4242])


def test_a_class_a_model_runs_on_one_gpu_after_an_idle_baseline(two_gpus):
    machine = _machine(8 * 10**9)
    assert [g.index for g in machine.gpus] == [0]
    assert machine.tdp_w == 700.0
    assert machine.idle_power_w == pytest.approx(FAKE_IDLE_W, rel=0.05)
    assert (machine.hardware.tdp_w, machine.hardware.idle_power_w) == (700.0, machine.idle_power_w)  # on the Result
    assert machine.processes_before == [GpuProcess(pid=4242, description="pid 4242 (python)")]
    record = machine.record()
    assert record["hardware"]["gpu_name"] == "NVIDIA H100 80GB HBM3" and record["idle_baseline_s"] == 0.2
    assert record["enforced_power_limit_w"] == 700.0 and record["runner_pid"] > 0


def test_a_power_cap_is_recorded_for_the_gate(nvml, monkeypatch):
    monkeypatch.setattr("runner.machine.IDLE_BASELINE_S", 0.1)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    nvml(enforced_mw=450_000)
    machine = _machine(70 * 10**9)  # class C: 168 GB needs both GPUs, each capped at 450 W
    assert (machine.tdp_w, machine.enforced_limit_w) == (1400.0, 900.0)


@pytest.fixture
def eight_gpus(nvml, monkeypatch):
    monkeypatch.setattr("runner.machine.IDLE_BASELINE_S", 0.1)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    return nvml(count=8)


def test_a_class_c_model_takes_the_fewest_gpus_that_fit_not_all(eight_gpus):
    machine = _machine(150 * 10**9)  # 360 GB by the rule, 85.9 GB (80 GiB) a GPU: 5 of the 8
    assert [g.index for g in machine.gpus] == [0, 1, 2, 3, 4]
    assert machine.hardware.gpu_count == 5 and len(machine.hardware.gpu_uuids) == 5  # recorded on the Result
    assert machine.tdp_w == 5 * 700.0


def test_a_7b_model_runs_on_one_of_eight_gpus(eight_gpus):
    assert _machine(7 * 10**9).hardware.gpu_count == 1


def test_a_class_b_model_over_one_gpu_is_refused_with_the_rule(eight_gpus):
    """Decision: classes A and B run on one GPU only (methodology §4), as the population they are rated in."""
    with pytest.raises(RunFailed) as refused:
        _machine(40 * 10**9)  # class B; 96 GB in FP16 by the rule, more than one 80 GiB GPU
    assert refused.value.error_class == "refused"
    message = str(refused.value)
    assert "org/model: 40,000,000,000 parameters (class B) need about 96.0 GB by the memory rule" in message
    assert "2.4 bytes a parameter in float16" in message and "run on one GPU only" in message


def test_a_class_c_model_is_refused_on_one_gpu(two_gpus, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    with pytest.raises(RunFailed) as refused:
        _machine(70 * 10**9)
    assert refused.value.error_class == "refused"
    assert "(class C) need about 168.0 GB by the memory rule" in str(refused.value)
    assert "of all 1 GPU(s) here" in str(refused.value)


def test_an_unreadable_process_list_is_recorded_for_the_exclusivity_gate(nvml, monkeypatch):
    monkeypatch.setattr("runner.machine.IDLE_BASELINE_S", 0.2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    nvml(listing=False)
    machine = _machine(10**9)
    assert machine.processes_before == []
    assert machine.process_list_errors == ["NVML cannot list the GPU's processes: Insufficient Permissions"]
