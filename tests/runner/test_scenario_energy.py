"""How a measured window's energies are obtained: GPU from our NVML counter read, CPU and RAM from CodeCarbon,
with no PUE whatever CodeCarbon's environment variables and config files say."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.models import EnergySource
from runner.gates import KWH_TO_J, Window
from runner.scenario import measured_window, offline_tracker


def _window(tracker, counter_j: float | None) -> tuple[Window, object]:
    tracker.start_task("forward_1")
    emissions = tracker.stop_task()
    reading = {"counter_j": counter_j, "duration_s": emissions.duration}
    return measured_window("forward", 1, reading, emissions, queries=1000, new_tokens=None), emissions


@pytest.fixture
def clean_config(tmp_path, monkeypatch) -> None:
    """No CODECARBON_* variable and no .codecarbon.config in $HOME or the working folder."""
    for name in [n for n in os.environ if n.upper().startswith("CODECARBON_")]:
        monkeypatch.delenv(name)
    home, work = tmp_path / "clean-home", tmp_path / "clean-work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)


def _pue_everywhere(tmp_path: Path, monkeypatch) -> None:
    """A PUE in each place CodeCarbon 3.3.2 reads its config: ~/.codecarbon.config, ./.codecarbon.config and
    CODECARBON_PUE (the variable wins over the files), and a forced RAM power in the working folder's file."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (home / ".codecarbon.config").write_text("[codecarbon]\npue = 1.5\n")
    (work / ".codecarbon.config").write_text("[codecarbon]\npue = 3\nforce_ram_power = 500\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CODECARBON_PUE", "2")
    monkeypatch.chdir(work)


def test_the_gpu_energy_is_the_counter_s_times_one_whatever_codecarbon_s_config(clean_config, tmp_path, monkeypatch):
    _, clean = _window(offline_tracker("USA", []), counter_j=None)
    _pue_everywhere(tmp_path, monkeypatch)
    window, emissions = _window(offline_tracker("USA", []), counter_j=1234.5)

    assert window.gpu_kwh == 1234.5 / KWH_TO_J  # the counter's reading, × 1.0
    assert window.gpu_source is EnergySource.COUNTER
    assert window.codecarbon_gpu_kwh == emissions.gpu_energy  # kept as the cross-check
    assert (window.cpu_kwh, window.ram_kwh) == (emissions.cpu_energy, emissions.ram_energy)
    # CodeCarbon's own figures carry no PUE either: it records the one it applied, and its RAM power (a constant
    # from the machine's memory size, × its PUE) is the clean environment's, neither multiplied nor forced.
    assert emissions.pue == clean.pue == 1.0
    assert emissions.ram_power == clean.ram_power


def test_without_a_counter_read_the_gpu_figure_is_codecarbon_s_estimate(clean_config):
    window, emissions = _window(offline_tracker("USA", []), counter_j=None)
    assert window.gpu_source is EnergySource.ESTIMATE
    assert window.gpu_kwh == window.codecarbon_gpu_kwh == emissions.gpu_energy
