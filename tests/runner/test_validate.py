"""runner.validate on run folders written before GPU energy was scored from the NVML counter (issue 12), and on
folders whose scored GPU energy and CodeCarbon's cross-check disagree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.catalog import TaskId
from core.models import EnergySource
from runner.gates import Window
from runner.validate import LogError, check_logs
from tests.submission import run_logs


def _edit_windows(folder: Path, edit) -> None:
    path = folder / "measurements.json"
    data = json.loads(path.read_text())
    for window in data["windows"]:
        edit(window)
    path.write_text(json.dumps(data))


def _legacy(window: dict, *, on_gpu: bool) -> None:
    """The window as the runner wrote it before: gpu_kwh CodeCarbon's, counter_gpu_kwh our read (None on CPU)."""
    del window["gpu_source"]
    window["gpu_kwh"] = window.pop("codecarbon_gpu_kwh")
    window["counter_gpu_kwh"] = window["gpu_kwh"] * 1.001 if on_gpu else None


def test_a_good_folder_validates(tmp_path):
    report = check_logs(run_logs.write_run(tmp_path / "run", TaskId.TEXT_CLASSIFICATION))
    assert report.ok, report.lines()


def test_a_folder_from_before_the_counter_scored_is_refused_with_the_reason(tmp_path):
    folder = run_logs.write_run(tmp_path / "run", TaskId.TEXT_CLASSIFICATION)
    _edit_windows(folder, lambda window: _legacy(window, on_gpu=True))
    with pytest.raises(LogError, match="recorded before GPU energy was scored from the NVML counter"):
        check_logs(folder)


def test_a_cpu_window_from_before_keeps_its_meaning():
    """Without a counter read the old gpu_kwh was, and stays, CodeCarbon's estimate."""
    window = {"target": "forward", "repetition": 1, "duration_s": 2.0, "gpu_kwh": 0.0, "cpu_kwh": 1e-5}
    window |= {"ram_kwh": 1e-6, "counter_gpu_kwh": None, "queries": 1000}
    parsed = Window.model_validate(window)
    assert parsed.gpu_source is EnergySource.ESTIMATE and parsed.codecarbon_gpu_kwh == parsed.gpu_kwh == 0.0


def test_a_scored_gpu_energy_that_codecarbon_does_not_back_fails_the_gate(tmp_path):
    """Halving the scored (counter) figure in measurements.json and summary.json alike, and not CodeCarbon's,
    leaves the CodeCarbon files consistent: the cross-check gate is what sees it."""
    folder = run_logs.write_run(tmp_path / "run", TaskId.TEXT_CLASSIFICATION)

    def halve(window: dict) -> None:
        window["gpu_kwh"] /= 2

    _edit_windows(folder, halve)
    summary = json.loads((folder / "summary.json").read_text())
    for repetition in summary["repetitions"]:
        for phase in repetition["phases"].values():
            phase["gpu_kwh"] /= 2
    (folder / "summary.json").write_text(json.dumps(summary))
    report = check_logs(folder)
    failed = {check.name: check.detail for check in report.recomputed if not check.passed}
    assert "CodeCarbon and the counter differ" in failed["gpu_energy_from_counter"]
    assert not report.ok
