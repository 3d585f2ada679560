"""The requirement files: the Space's stays light, the pins both files share agree, and the runner's installs on top
of an existing CUDA torch (a GPU machine, a vendor's, a cluster image) without replacing it, on Python 3.11 and 3.12.

The install test runs pip's real resolver against the package index, in dry-run mode (metadata only, about 20 s a
Python), in a fresh virtual environment holding a stand-in for the GPU machine's torch: a tiny wheel named torch at
version 2.11.0+cu128. A real CUDA torch is gigabytes; to pip only the installed distribution's name, version and
requirements matter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from runner.doctor import requirements

ROOT = Path(__file__).resolve().parents[1]
SPACE, RUNNER, TORCH_CPU = ROOT / "requirements.txt", ROOT / "runner/requirements.txt", ROOT / "runner/torch-cpu.txt"
HEAVY = {"torch", "transformers", "optimum-benchmark", "codecarbon", "accelerate", "diffusers"}
GPU_MACHINE_TORCH = "2.11.0+cu128"  # the GPU machine's, with the local label PyTorch's CUDA wheels carry
# What the stand-in declares: the real CUDA torch's pure-Python requirements (its nvidia-* libraries are left out:
# they are installed beside a real one, and a dry run would otherwise list them for the stand-in).
TORCH_REQUIRES = [
    "filelock",
    "typing-extensions>=4.10.0",
    'setuptools; python_version >= "3.12"',
    "sympy>=1.13.3",
    "networkx>=2.5.1",
    "jinja2",
    "fsspec>=0.8.5",
]
# Sdist-only on the index (a hydra-core requirement, pure Python): a machine without network needs a wheel built
# for it. Any other sdist in the install set is news for whoever carries wheels to such a machine.
SDIST_ONLY = {"antlr4-python3-runtime"}


def pins(path: Path) -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in requirements(path)}


def test_the_pins_both_files_share_are_the_same():
    space, runner = pins(SPACE), pins(RUNNER)
    shared = sorted(space.keys() & runner.keys())
    assert {"huggingface-hub", "datasets", "pandas", "numpy", "pyarrow", "pydantic"} <= set(shared)
    assert {n: str(space[n].specifier) for n in shared} == {n: str(runner[n].specifier) for n in shared}


def test_the_space_lists_nothing_heavy():
    assert not HEAVY & pins(SPACE).keys()


def test_every_runner_requirement_is_an_exact_pin_but_torch_a_lower_bound():
    runner = pins(RUNNER)
    torch = runner.pop("torch")
    operators = {name: [s.operator for s in r.specifier] for name, r in runner.items()}
    assert {name: ops for name, ops in operators.items() if ops != ["=="]} == {}
    assert [(s.operator, s.version) for s in torch.specifier] == [(">=", "2.6")]  # transformers 5 needs 2.6


def test_the_torch_range_takes_the_cpu_pin_and_the_gpu_machines_cuda_torch_but_not_an_older_one():
    (cpu,) = requirements(TORCH_CPU)
    assert cpu.name == "torch" and [s.operator for s in cpu.specifier] == ["=="]
    torch = pins(RUNNER)["torch"].specifier
    cpu_version = next(iter(cpu.specifier)).version
    assert all(v in torch for v in (cpu_version, f"{cpu_version}+cpu", GPU_MACHINE_TORCH))
    assert "2.5.1+cu124" not in torch


def interpreter(version: str) -> str | None:
    """A Python `version` interpreter on this machine: this one, one on PATH, or one under pyenv."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    candidates = [f"python{version}", *map(str, sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python")))]
    for candidate in candidates:
        try:
            found = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True)
        except OSError:
            continue
        if found.returncode == 0 and found.stdout.decode().strip() == str(tuple(map(int, version.split(".")))):
            return candidate
    return None


def stand_in_torch(folder: Path, version: str) -> Path:
    """A wheel named torch at `version` (and a CUDA build's torch.version.cuda): to pip, an installed CUDA torch."""
    dist_info = f"torch-{version}.dist-info"
    requires = "".join(f"Requires-Dist: {r}\n" for r in TORCH_REQUIRES)
    files = {
        "torch/__init__.py": f"from torch import version\n__version__ = {version!r}\n",
        "torch/version.py": f"__version__ = {version!r}\ncuda = '12.8'\n",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n{requires}",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }

    def digest(text: str) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()

    record = [f"{name},sha256={digest(text)},{len(text.encode())}" for name, text in files.items()]
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    wheel = folder / f"torch-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    """This environment's pip acting on another interpreter's environment (pip >= 22.3 `--python`)."""
    command = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the target's own sys.path only
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


def unmet_requirements(dists: dict[str, tuple[str, list[str]]], environment: dict[str, str]) -> list[str]:
    """What `pip check` would report for these distributions (name -> version, Requires-Dist): extras aside."""
    unmet = []
    for name, (_, requires) in sorted(dists.items()):
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate({**environment, "extra": ""}):
                continue
            have = dists.get(canonicalize_name(requirement.name))
            if have is None or not requirement.specifier.contains(Version(have[0]), prereleases=True):
                unmet.append(f"{name} requires {line}, has {have[0] if have else 'nothing'}")
    return unmet


@pytest.mark.parametrize("version", ["3.11", "3.12"])
def test_the_runner_requirements_install_on_top_of_a_cuda_torch_without_replacing_it(version, tmp_path):
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine")
    subprocess.run([python, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    venv = tmp_path / "venv" / "bin" / "python"
    installed = pip(venv, "install", "--no-deps", "--no-index", str(stand_in_torch(tmp_path, GPU_MACHINE_TORCH)))
    assert installed.returncode == 0, installed.stderr

    report = tmp_path / "report.json"
    resolved = pip(venv, "install", "--dry-run", "--quiet", "--report", str(report), "-r", str(RUNNER))
    assert resolved.returncode == 0, resolved.stderr[-4000:]
    result = json.loads(report.read_text())
    assert result["environment"]["python_version"] == version
    install = {canonicalize_name(i["metadata"]["name"]): i for i in result["install"]}

    assert "torch" not in install  # the installed CUDA torch stays
    for name, pin in pins(RUNNER).items():
        if name != "torch":
            assert install[name]["metadata"]["version"] in pin.specifier, name
    dists = {n: (i["metadata"]["version"], i["metadata"].get("requires_dist", [])) for n, i in install.items()}
    dists["torch"] = (GPU_MACHINE_TORCH, TORCH_REQUIRES)
    assert unmet_requirements(dists, result["environment"]) == []  # `pip check` after the install would be clean
    assert {n for n, i in install.items() if not i["download_info"]["url"].endswith(".whl")} <= SDIST_ONLY


def test_the_pip_check_stand_in_sees_an_unmet_requirement():
    dists = {"a": ("1.0", ["b>=2", 'c; python_version < "3"', "d; extra == 'x'"]), "b": ("1.5", [])}
    assert unmet_requirements(dists, default_environment()) == ["a requires b>=2, has 1.5"]
