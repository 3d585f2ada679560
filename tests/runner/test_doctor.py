"""`python -m runner doctor` on this CPU machine, and its checks against real installed metadata."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.requirements import Requirement

from runner import doctor

ROOT = Path(__file__).resolve().parents[2]


def doctor_cli(*args: str, module: str = "runner") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", module, *(["doctor"] if module == "runner" else []), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has an NVIDIA driver")
def test_on_a_machine_without_a_gpu_a_gpu_run_is_not_ready_and_the_fixes_are_named():
    done = doctor_cli()
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("What a GPU run needs (requirements: ")
    assert "MISSING  nvidia-smi: not on PATH" in lines
    assert any(line.startswith("MISSING  NVML: NVML cannot start") for line in lines)
    assert any(line.startswith("MISSING  torch build: CPU build, torch.cuda.is_available() = False") for line in lines)
    assert f"         fix: {doctor.DRIVER_FIX}" in lines
    torchvision = next(line for line in lines if line.split()[1:2] == ["torchvision:"])
    assert torchvision.startswith("MISSING  torchvision: does not load: ") or torchvision.startswith("OK ")
    assert lines[-1] == f"NOT ready for a GPU run: {3 + torchvision.startswith('MISSING')} missing"


def test_a_cpu_run_needs_only_the_python_and_the_pins_which_this_machine_has():
    done = doctor_cli("--device", "cpu")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "MISSING" not in done.stdout and "nvidia-smi" not in done.stdout
    assert f"OK       python: {'.'.join(map(str, sys.version_info[:3]))}" in lines
    assert f"OK       transformers: {metadata.version('transformers')}" in lines
    assert any(line.startswith("OK       torch build: CPU build") for line in lines)
    assert lines[-1] == "ready for a CPU run"
    assert len(lines) == 1 + 1 + len(doctor.requirements()) + 1 + 1  # header, python, packages, torch build, verdict


def test_a_package_not_installed_or_off_its_pin_is_missing_with_the_install_command(tmp_path):
    pins = tmp_path / "requirements.txt"
    pydantic = metadata.version("pydantic")
    pins.write_text(f"# a comment\naies-no-such-package==1.0  # nowhere\npydantic=={pydantic}\npsutil==0.0.1\n")
    done = doctor_cli("--device", "cpu", "--requirements", str(pins), module="runner.doctor")  # needs no pydantic
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "MISSING  aies-no-such-package: not installed, needs ==1.0" in lines
    assert f"OK       pydantic: {pydantic}" in lines
    assert f"MISSING  psutil: {metadata.version('psutil')} installed, needs ==0.0.1" in lines
    assert lines.count(f"         fix: {doctor.INSTALL_FIX}") == 2
    assert "torch build" not in done.stdout  # no torch among these pins
    assert lines[-1] == "NOT ready for a CPU run: 2 missing"


def test_the_pinned_version_is_compared_with_the_installed_distributions_metadata():
    installed = metadata.version("pydantic")
    assert doctor.package_check(Requirement(f"pydantic=={installed}")) == doctor.Check("pydantic", True, installed)
    off = doctor.package_check(Requirement("pydantic==1.0.0"))
    assert (off.ok, off.detail, off.fix) == (False, f"{installed} installed, needs ==1.0.0", doctor.INSTALL_FIX)
    assert doctor.package_check(Requirement("pydantic")).detail == f"{installed} (any version)"


def test_torch_only_needs_to_fit_the_range_and_its_fix_says_to_install_one_first():
    torch = metadata.version("torch")  # the CPU build, with its local label: 2.13.0+cpu
    assert doctor.package_check(Requirement("torch>=2.6")) == doctor.Check("torch", True, torch)
    too_old = doctor.package_check(Requirement("torch>=99"))
    assert (too_old.ok, too_old.detail, too_old.fix) == (False, f"{torch} installed, needs >=99", doctor.TORCH_FIX)


def test_requirements_skip_comments_options_and_other_interpreters(tmp_path):
    pins = tmp_path / "requirements.txt"
    pins.write_text('-r other.txt\n\n# torch==1\npsutil==7.2.2  # why\nnumpy==1.0; python_version < "3"\n')
    assert [str(r) for r in doctor.requirements(pins)] == ["psutil==7.2.2", 'numpy==1.0; python_version < "3"']
    assert [c.name for c in doctor.package_checks(pins)] == ["psutil"]
    runner_pins = {r.name: str(r.specifier) for r in doctor.requirements()}
    assert runner_pins["torch"] == ">=2.6" and runner_pins["optimum-benchmark"] == "==0.6.0"


@pytest.mark.parametrize(
    ("version", "ok"), [((3, 11, 7), True), ((3, 12, 1), True), ((3, 10, 13), False), ((3, 13, 0), False)]
)
def test_python_311_and_312_are_supported(version, ok):
    check = doctor.python_check(version)
    assert check.ok is ok
    assert check.detail == ".".join(map(str, version)) + ("" if ok else ", not 3.11 or 3.12")


def test_the_torch_build_matters_only_for_a_gpu_run():
    import torch

    if torch.version.cuda is not None:
        pytest.skip("a CUDA build of torch")
    assert doctor.torch_build_check("cpu").ok
    gpu = doctor.torch_build_check("cuda")
    assert (gpu.ok, gpu.fix) == (False, doctor.CUDA_TORCH_FIX)


def test_a_gpu_run_needs_a_torchvision_that_loads_beside_this_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # what import does for a package that is not there
    missing = doctor.torchvision_check()
    assert (missing.ok, missing.fix) == (False, doctor.TORCHVISION_FIX)
    assert missing.detail.startswith("does not load: import of torchvision halted")
    monkeypatch.setitem(sys.modules, "torchvision", SimpleNamespace(__version__="0.29.1"))
    assert doctor.torchvision_check() == doctor.Check("torchvision", True, "0.29.1")


def _with_mig(fake, mig: int):
    fake.NVML_DEVICE_MIG_ENABLE = 1
    fake.nvmlDeviceGetMigMode = lambda handle: (mig, mig)
    return fake


def test_each_visible_gpu_is_checked_for_what_the_gates_need(nvml):
    _with_mig(nvml(), 0)
    found = doctor.nvml_checks()
    assert all(c.ok for c in found), found
    checked = ("energy counter", "MIG mode", "power limit")
    per_gpu = [f"GPU {i} (NVIDIA H100 80GB HBM3) {what}" for i in (0, 1) for what in checked]
    assert [c.name for c in found] == ["NVML", *per_gpu]
    assert found[0].detail == "driver 550.54.15, 2 GPU(s) visible"


def test_no_energy_counter_a_mig_gpu_and_a_capped_limit_are_missing(nvml, monkeypatch):
    _with_mig(nvml(counter=False, enforced_mw=500_000), 1)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    found = {c.name: c for c in doctor.nvml_checks()}
    assert found["NVML"].detail == "driver 550.54.15, 1 GPU(s) visible"
    counter = found["GPU 1 (NVIDIA H100 80GB HBM3) energy counter"]
    assert not counter.ok and "0 Wh" in counter.fix
    mig = found["GPU 1 (NVIDIA H100 80GB HBM3) MIG mode"]
    assert (mig.ok, mig.detail, mig.fix.split(" (")[0]) == (False, "on", "nvidia-smi -i 1 -mig 0")
    limit = found["GPU 1 (NVIDIA H100 80GB HBM3) power limit"]
    assert (limit.ok, limit.detail) == (False, "500 W in force, the default is 700 W")
    assert limit.fix.startswith("nvidia-smi -i 1 -pl 700 ")


def test_a_gpu_without_mig_support_counts_as_mig_off(nvml):
    fake = nvml()
    fake.NVML_DEVICE_MIG_ENABLE = 1

    def not_supported(handle):
        raise fake.NVMLError("Not Supported")

    fake.nvmlDeviceGetMigMode = not_supported
    assert all(c.ok for c in doctor.nvml_checks())


def test_a_fix_is_printed_once_after_the_missing_checks_it_fixes():
    ok, a, b, c = (doctor.Check(n, n == "ok", "...", f"fix {n in 'ab'}") for n in ("ok", "a", "b", "c"))
    assert doctor.render([ok, a, b, c, a]) == [
        "OK       ok: ...",
        "MISSING  a: ...",
        "MISSING  b: ...",
        "         fix: fix True",
        "MISSING  c: ...",
        "         fix: fix False",
        "MISSING  a: ...",
        "         fix: fix True",
    ]
