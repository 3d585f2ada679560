"""bench/gpu_check.py --dry-run: every step of the GPU check runs on CPU against bench/fake_nvml.py and
evaluates its pass criteria, so the one prepared GPU run measures instead of debugging the script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import fake_nvml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "gpu_check.py"
ENV = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def check(out: Path, *extra: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=600,
    )
    figures = out / "figures.jsonl"
    records = [json.loads(line) for line in figures.read_text().splitlines()] if figures.exists() else []
    return done, records


def criteria(records: list[dict]) -> dict[str, bool]:
    return {r["name"]: r["passed"] for r in records if r["kind"] == "criterion"}


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, list[dict], Path]:
    out = tmp_path_factory.mktemp("gpu-check")
    done, records = check(out)
    return done, records, out


def test_every_step_runs_and_writes_its_figures(dry_run):
    done, records, out = dry_run
    assert done.returncode in (0, 1), done.stderr[-3000:]
    steps = {r["step"]: r for r in records if r["kind"] == "step"}
    assert sorted(steps) == [0, 1, 2, 3]
    assert [steps[n]["error"] for n in range(4)] == [None] * 4, [r for r in records if r["kind"] == "error"]
    names = {(r["step"], r["name"]) for r in records if r["kind"] == "figure"}
    for expected in [(0, "nvml_device"), (0, "torch"), (1, "counter"), (1, "window_error"), (2, "codecarbon_window")]:
        assert expected in names
    runs = [r["value"] for r in records if r["kind"] == "figure" and r["name"] == "runner"]
    assert len(runs) == 2 and all(run["wh_per_1k"] > 0 and run["parameters"] > 0 for run in runs)
    summary = [r for r in records if r["kind"] == "summary"]
    assert len(summary) == 1 and summary[0]["passed"] == (done.returncode == 0)
    markdown = (out / "gpu_check.md").read_text()
    assert all(f"### Step {n}:" in markdown for n in range(4)) and "criteria passed" in markdown


def test_the_fake_counters_period_and_step_are_recovered(dry_run):
    _, records, _ = dry_run
    counters = {r["state"]: r["value"] for r in records if r["kind"] == "figure" and r["name"] == "counter"}
    assert set(counters) == {"idle", "context", "load"}
    for state, figures in counters.items():
        assert figures["update_period_s"] == pytest.approx(fake_nvml.PERIOD_S, abs=0.01), state
        assert figures["counter_power_w"] == pytest.approx(fake_nvml.POWER_W[state], rel=0.03), state
    # 420 W published every 0.1 s in whole joules: steps of 42 J (41 or 43 as the rounding falls)
    assert counters["load"]["energy_step_j"] == pytest.approx(fake_nvml.POWER_W["load"] * fake_nvml.PERIOD_S, abs=1)


def test_the_pass_criteria_are_evaluated(dry_run):
    _, records, _ = dry_run
    passed = criteria(records)
    assert passed["uuids_match"] and passed["no_mig"]
    assert passed["counter_vs_integral_idle"] and passed["counter_vs_integral_context"]
    assert passed["counter_vs_integral_load"] and passed["update_period_measured"]
    # CodeCarbon really ran against the fake: it reads the same counter, so it agrees within one update
    assert passed["codecarbon_within_one_update"]
    windows = [r["value"] for r in records if r["kind"] == "figure" and r["name"] == "codecarbon_window"]
    assert windows and all(w["codecarbon_j"] > 0 for w in windows)
    for kind in ("bert", "gpt2"):
        assert {f"cv_{kind}", f"plausible_{kind}"} <= set(passed)
        assert passed[f"plausible_{kind}"]


def test_a_torch_uuid_that_is_not_nvmls_fails_step_0(tmp_path):
    done, records = check(tmp_path, "--steps", "0", "--fake-uuid-mismatch")
    assert done.returncode == 1, done.stderr[-3000:]
    assert criteria(records)["uuids_match"] is False
    (step,) = [r for r in records if r["kind"] == "step"]
    assert step["step"] == 0 and step["passed"] is False and step["error"] is None


def test_the_fake_mismatch_is_refused_outside_a_dry_run(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--fake-uuid-mismatch", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=120,
    )
    assert done.returncode == 2 and "--dry-run only" in done.stderr
    assert not (tmp_path / "out").exists()
