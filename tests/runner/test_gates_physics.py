"""Physical bounds per phase, the derived decode included (issue 11, item 10).

Each crafted run below passed every check before: an H100 averaging 30 W, 1,000 diffusion images in 1.2 s,
9,000 decode tokens in 0.1 s, 100,000 speech-recognition tokens in 1.5 s, a decode phase at 40 kW. Each is
now refused by `runner.validate` (what re-checks our own results) and by the vendor upload's validation,
with a detail that names the number and the bound.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.catalog import TaskId
from core.gpus import GPUS, gpu_spec, idle_floor_w, power_limit_w
from runner import gates
from runner.validate import check_logs
from submission import vendor
from tests.factories import T0, standard_settings
from tests.submission import run_logs

H100 = "NVIDIA H100 80GB HBM3"


def _failed(folder: Path) -> dict[str, str]:
    """The failed gates of a run folder, recomputed by runner.validate, by name."""
    return {check.name: check.detail for check in check_logs(folder).recomputed if not check.passed}


def _set_idle(folder: Path, idle_w: float) -> None:
    """Edit the run's recorded idle baseline (hardware.json and the summary) consistently."""
    hardware = json.loads((folder / "hardware.json").read_text())
    hardware["idle_power_w"] = idle_w
    (folder / "hardware.json").write_text(json.dumps(hardware))
    summary = json.loads((folder / "summary.json").read_text())
    summary["hardware"]["idle_power_w"] = idle_w
    (folder / "summary.json").write_text(json.dumps(summary))


def _decode_in(raw: list[dict], *, prefill_s: float, decode_s: float, decode_w: float) -> list[dict]:
    """Each repetition's generate window = its prefill window + a decode of `decode_s` at `decode_w`."""
    out = []
    for window in raw:
        window = dict(window)
        if window["target"] == "prefill":
            window["duration_s"] = prefill_s
            window["gpu_kwh"] = window["codecarbon_gpu_kwh"] = 300.0 * prefill_s / 3.6e6
        elif window["target"] == "generate":
            window["duration_s"] = prefill_s + decode_s
            window["gpu_kwh"] = window["codecarbon_gpu_kwh"] = (300.0 * prefill_s + decode_w * decode_s) / 3.6e6
        out.append(window)
    return out


def _ten_repetitions_spread(raw: list[dict]) -> list[dict]:
    """Keep the repetitions' 1 % spread after an edit that made them identical (copies are refused)."""
    for window in raw:
        scale = 1 + (window["repetition"] - 5.5) * 0.002
        for key in ("duration_s", "gpu_kwh", "codecarbon_gpu_kwh", "cpu_kwh", "ram_kwh"):
            window[key] *= scale
    return raw


def test_a_healthy_run_of_every_crafted_task_passes_the_physics_gates(tmp_path):
    for task in (TaskId.TEXT_CLASSIFICATION, TaskId.TEXT_GENERATION, TaskId.IMAGE_GENERATION):
        failed = _failed(run_logs.write_run(tmp_path / task.value, task))
        assert not failed, failed


def test_an_h100_averaging_30_w_is_refused(tmp_path):
    """The old floor was 4 % of the TDP (28 W); an H100 with a context draws over 50 W doing nothing."""
    folder = run_logs.write_run(
        tmp_path / "run", raw_windows=run_logs.windows(TaskId.TEXT_CLASSIFICATION, power_w=30.0)
    )
    _set_idle(folder, 29.0)
    failed = _failed(folder)
    assert "idle 50.0 W (the GPU model's draw with a context;" in failed["average_power_in_range"]
    assert "repetition 1 forward: 30 W" in failed["average_power_in_range"]


def test_reference_logs_at_30_w_are_refused(tmp_path):
    """The reference runner's logs carry no idle baseline: the GPU model's idle draw bounds them."""
    root = run_logs.write_reference_runs(tmp_path / "ref", power_w=30.0)
    checks = {check.name: check for check in check_logs(root).recomputed}
    power = checks["average_power_in_range"]
    assert not power.passed and "idle 50.0 W" in power.detail and "repetition 1 forward: 30 W" in power.detail
    assert checks["speed_within_bounds"].passed  # 20 s for 1,000 forward passes is slow enough


def test_1000_diffusion_images_in_1_2_s_are_refused(tmp_path):
    raw = run_logs.windows(TaskId.IMAGE_GENERATION, seconds=1.2)
    failed = _failed(run_logs.write_run(tmp_path / "run", TaskId.IMAGE_GENERATION, raw_windows=raw))
    detail = failed["speed_within_bounds"]
    assert "repetition 1 call: 30,000 denoising steps in 1.146 s" in detail
    assert f"under the bound of {gates.MIN_DENOISING_STEP_S:.3g} s" in detail


def test_9000_decode_tokens_in_0_1_s_are_refused(tmp_path):
    raw = _decode_in(run_logs.windows(TaskId.TEXT_GENERATION), prefill_s=5.0, decode_s=0.1, decode_w=300.0)
    raw = _ten_repetitions_spread(raw)
    failed = _failed(run_logs.write_run(tmp_path / "run", TaskId.TEXT_GENERATION, raw_windows=raw))
    detail = failed["speed_within_bounds"]
    assert "repetition 1 decode: 9,000 decode tokens in 0.09" in detail and "under the bound of 2e-05 s" in detail
    assert "average_power_in_range" not in failed  # 300 W: only the speed is impossible


def test_the_bandwidth_bound_grows_with_the_weights(tmp_path):
    """A 7 B model in FP16 (14 GB) cannot decode a token faster than 14 GB / 3.35 TB/s ÷ 5 = 0.84 ms."""
    raw = _ten_repetitions_spread(
        _decode_in(run_logs.windows(TaskId.TEXT_GENERATION), prefill_s=5.0, decode_s=2.0, decode_w=300.0)
    )
    small = run_logs.write_run(tmp_path / "small", TaskId.TEXT_GENERATION, raw_windows=raw)
    big = run_logs.write_run(tmp_path / "big", TaskId.TEXT_GENERATION, raw_windows=raw, parameters=7_000_000_000)
    assert "speed_within_bounds" not in _failed(small)
    detail = _failed(big)["speed_within_bounds"]
    assert "weights 14 GB at 3.35 TB/s ÷ 5 = 0.000836 s per pass" in detail
    assert "9,000 decode tokens in 2" in detail and "under the bound of 0.000836 s" in detail


def test_100000_asr_tokens_in_1_5_s_are_refused(tmp_path):
    task = TaskId.AUTOMATIC_SPEECH_RECOGNITION
    raw = [dict(w) for w in run_logs.windows(task, seconds=1.5)]
    failed = _failed(run_logs.write_run(tmp_path / "run", task, raw_windows=raw))
    detail = failed["speed_within_bounds"]
    # 124 M parameters in FP32 at 3.35 TB/s: 29.6 µs a token at least; 99,000 decode tokens in ~1.07 s.
    assert "repetition 1 decode: 99,000 decode tokens in 1.07" in detail
    assert "under the bound of 2.96e-05 s" in detail


def test_a_decode_phase_at_40_kw_is_refused_though_its_windows_look_fine(tmp_path):
    """prefill 200 s at 300 W, generate 201 s at ~500 W: each window within the limit, decode at 40 kW."""
    raw = _ten_repetitions_spread(
        _decode_in(run_logs.windows(TaskId.TEXT_GENERATION), prefill_s=200.0, decode_s=1.0, decode_w=40_000.0)
    )
    failed = _failed(run_logs.write_run(tmp_path / "run", TaskId.TEXT_GENERATION, raw_windows=raw))
    detail = failed["average_power_in_range"]
    assert "≤ power limit 700.0 W" in detail and "repetition 1 decode: 40000 W" in detail
    assert "speed_within_bounds" not in failed  # 9,000 tokens in 1 s is possible; 40 kW is not


@pytest.mark.parametrize("power_w", [1e-6, 50_000.0])
def test_a_preprocess_phase_at_no_power_or_at_50_kw_is_refused(tmp_path, power_w):
    """The score sums every phase's energy, preprocess included: its power is bounded too."""
    raw = [dict(window) for window in run_logs.windows(TaskId.TEXT_CLASSIFICATION)]
    for window in raw:
        if window["target"] == "preprocess_dataset":
            window["gpu_kwh"] = window["codecarbon_gpu_kwh"] = power_w * window["duration_s"] / 3.6e6
    failed = _failed(run_logs.write_run(tmp_path / "run", TaskId.TEXT_CLASSIFICATION, raw_windows=raw))
    assert "repetition 1 preprocess: " in failed["average_power_in_range"]
    assert "(floor 50.0 W)" in failed["average_power_in_range"]


def test_vendor_uploads_are_refused_by_the_same_bounds(tmp_path):
    raw = _ten_repetitions_spread(
        _decode_in(run_logs.windows(TaskId.TEXT_GENERATION), prefill_s=5.0, decode_s=0.1, decode_w=300.0)
    )
    folder = run_logs.write_run(tmp_path / "run", TaskId.TEXT_GENERATION, raw_windows=raw)
    archive = run_logs.zip_folder(folder, tmp_path / "logs.zip")
    report = vendor.validate_archive(
        archive,
        model_id="acme/fast-model",
        attestation=vendor.attestation_for("acme-admin", dict.fromkeys(vendor.ATTESTATION_CLAUSES, True), T0),
        clock=lambda: T0,
    )
    assert not report.accepted
    speed = next(check for check in report.checks if check.name == "speed_within_bounds")
    assert not speed.passed and "9,000 decode tokens" in speed.detail


def test_our_own_run_is_bounded_by_its_gpu_model_and_a_cpu_run_is_exempt():
    """gates.evaluate, as runner.child calls it: the GPU's name and count and the parameter count."""
    settings = standard_settings(TaskId.TEXT_CLASSIFICATION)
    windows = [
        gates.Window.model_validate(w) for w in run_logs.windows(TaskId.TEXT_CLASSIFICATION, power_w=30.0, seconds=0.01)
    ]
    run = gates.GateInput(
        task=TaskId.TEXT_CLASSIFICATION,
        on_gpu=True,
        settings=settings,
        windows=tuple(windows),
        idle_power_w=20.0,
        tdp_w=2 * 700.0,
        enforced_limit_w=2 * 700.0,
        gpu_name=H100,
        gpu_count=2,
        parameters=124_000_000,
    )
    checks = {check.name: check for check in gates.evaluate(run)}
    assert not checks["average_power_in_range"].passed and "idle 100.0 W" in checks["average_power_in_range"].detail
    assert "≤ power limit 1400.0 W" in checks["average_power_in_range"].detail
    assert "1,000 forward passes in 0.00955 s" in checks["speed_within_bounds"].detail  # 10 µs each: under 20 µs
    cpu = gates.evaluate(run.model_copy(update={"on_gpu": False, "gpu_name": None, "gpu_count": 0}))
    exempt = {check.name: check for check in cpu}
    assert exempt["average_power_in_range"].detail == exempt["speed_within_bounds"].detail == gates.NOT_APPLICABLE_CPU


def test_the_gpu_table_is_consistent():
    for name, spec in GPUS.items():
        assert 0 < spec.idle_w < spec.power_limit_w / 4, name  # a real idle draw, well under the limit
        assert 1e11 < spec.memory_bandwidth_bps < 1e13, name
    assert gpu_spec(H100, 8) == (5600.0, 400.0, 8 * 3.35e12)
    assert (power_limit_w(H100, 2), idle_floor_w(H100, 2)) == (1400.0, 100.0)
    assert gpu_spec(H100 + " ", 1) is None and gpu_spec(H100, 0) is None and idle_floor_w("RTX 3090", 1) is None


@pytest.mark.parametrize("idle_w", [29.0, 700.0])
def test_a_vendor_idle_baseline_outside_the_gpu_models_range_is_refused(tmp_path, idle_w):
    folder = run_logs.write_run(tmp_path / "run")
    _set_idle(folder, idle_w)
    archive = run_logs.zip_folder(folder, tmp_path / "logs.zip")
    report = vendor.validate_archive(
        archive,
        model_id="acme/model",
        attestation=vendor.attestation_for("acme-admin", dict.fromkeys(vendor.ATTESTATION_CLAUSES, True), T0),
        clock=lambda: T0,
    )
    limits = next(check for check in report.checks if check.name == "power_limits")
    assert not limits.passed and "is not between 50 W and 700 W" in limits.detail
