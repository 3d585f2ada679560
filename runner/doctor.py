"""`python -m runner doctor`: what this machine lacks for a run, one OK / MISSING line each, with the fix.

Meant for a machine that came with its own stack (a GPU machine, a vendor's, a cluster image): run it after
`pip install -r runner/requirements.txt` and before the first benchmark, which would otherwise fail (or,
worse, measure 0 Wh) an hour in. It needs only the standard library and pip, so `python -m runner.doctor`
also works before anything is installed (`python -m runner` itself needs pydantic).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

try:
    from packaging.requirements import Requirement
    from packaging.version import InvalidVersion, Version
except ImportError:  # a bare interpreter: pip carries its own copy
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from runner.hardware import GpuInfo

REQUIREMENTS = Path(__file__).with_name("requirements.txt")
SUPPORTED_PYTHONS = ((3, 11), (3, 12))  # the interpreters the pins are resolved and tested on
DEVICES = {"cuda": "GPU", "cpu": "CPU"}
INSTALL_FIX = "pip install -r runner/requirements.txt (it keeps an installed torch that fits the range)"
TORCH_FIX = "install a torch>=2.6 first: a CUDA build on a GPU machine, else pip install -r runner/torch-cpu.txt"
CUDA_TORCH_FIX = "install a CUDA build of torch>=2.6 for this driver (PyTorch's own wheels), then rerun"
TORCHVISION_FIX = "install the torchvision build made for this torch (PyTorch's own wheels, the same CUDA version)"
DRIVER_FIX = "install the NVIDIA driver (NVML is its libnvidia-ml.so); in a container, expose the GPUs to it"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it is there, and what to do when it is not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        return f"{'OK' if self.ok else 'MISSING':<8} {self.name}: {self.detail}"


def render(found: list[Check]) -> list[str]:
    """One line a check; a fix follows the last of consecutive missing checks that share it (said once)."""
    lines = []
    for check, after in zip(found, [*found[1:], None], strict=True):
        lines.append(check.line())
        shared = after is not None and not after.ok and after.fix == check.fix
        if not check.ok and check.fix and not shared:
            lines.append(f"{'':<8} fix: {check.fix}")
    return lines


def python_check(version: tuple[int, int, int] | None = None) -> Check:
    major, minor, micro = version or tuple(sys.version_info[:3])
    supported = " or ".join(f"{a}.{b}" for a, b in SUPPORTED_PYTHONS)
    if (major, minor) in SUPPORTED_PYTHONS:
        return Check("python", True, f"{major}.{minor}.{micro}")
    return Check("python", False, f"{major}.{minor}.{micro}, not {supported}", f"use Python {supported}")


def requirements(path: Path = REQUIREMENTS) -> list[Requirement]:
    """The requirement lines of a pip requirements file (comments, blank lines and options skipped)."""
    found = []
    for line in path.read_text().splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            found.append(Requirement(line))
    return found


def package_check(requirement: Requirement) -> Check:
    """The installed distribution's version (its metadata, nothing imported) against the pin or range."""
    name, wanted = requirement.name, str(requirement.specifier) or "any version"
    fix = TORCH_FIX if name == "torch" else INSTALL_FIX
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Check(name, False, f"not installed, needs {wanted}", fix)
    try:
        ok = requirement.specifier.contains(Version(installed), prereleases=True)
    except InvalidVersion:
        ok = False
    if ok:
        return Check(name, True, installed if requirement.specifier else f"{installed} (any version)")
    return Check(name, False, f"{installed} installed, needs {wanted}", fix)


def package_checks(path: Path = REQUIREMENTS) -> list[Check]:
    """Every requirement of the file that applies to this interpreter (environment markers evaluated)."""
    return [package_check(r) for r in requirements(path) if r.marker is None or r.marker.evaluate()]


def torch_build_check(device: str) -> Check:
    """CUDA or CPU build, and whether it sees a GPU: a GPU run on a CPU build cannot start."""
    try:
        import torch

        cuda, available = torch.version.cuda, torch.cuda.is_available()
    except Exception as err:  # a CUDA build whose libraries do not load raises more than ImportError
        return Check("torch build", False, f"torch does not load: {err}", TORCH_FIX)
    detail = f"{f'CUDA {cuda}' if cuda else 'CPU'} build, torch.cuda.is_available() = {available}"
    if device == "cpu":
        return Check("torch build", True, detail)
    if cuda is None:
        return Check("torch build", False, detail, CUDA_TORCH_FIX)
    fix = f"check the driver (nvidia-smi) and CUDA_VISIBLE_DEVICES: the driver must support CUDA {cuda}"
    return Check("torch build", available, detail, "" if available else fix)


def torchvision_check() -> Check:
    """transformers 5 processes images with torchvision and falls back to PIL without it (another
    preprocessing, so other preprocess energy), and some processors need it (Qwen3-VL's, which Qwen-Image 2.1
    uses). So a GPU run needs it. A torchvision built for another torch fails on import (torchvision::nms)."""
    try:
        import torchvision
    except Exception as err:  # not installed, or built for another torch or CUDA
        reason = next(iter(str(err).splitlines()), "") or type(err).__name__
        return Check("torchvision", False, f"does not load: {reason}", TORCHVISION_FIX)
    return Check("torchvision", True, torchvision.__version__)


def nvidia_smi_check() -> Check:
    """CodeCarbon and optimum-benchmark tell an NVIDIA machine by running nvidia-smi: without it, no GPU energy."""
    found = shutil.which("nvidia-smi")
    if found:
        return Check("nvidia-smi", True, found)
    return Check("nvidia-smi", False, "not on PATH", "install the NVIDIA driver's utilities, or put them on PATH")


def nvml_checks() -> list[Check]:
    """NVML, then every GPU this process may use, as the runner sees them (runner.hardware, CUDA_VISIBLE_DEVICES)."""
    try:
        import pynvml

        from runner.hardware import NoGpu, visible_gpus
    except ImportError as err:
        return [Check("NVML", False, f"cannot check: {err}", INSTALL_FIX)]
    try:
        gpus = visible_gpus()
        driver = pynvml.nvmlSystemGetDriverVersion()
    except (NoGpu, pynvml.NVMLError) as err:
        return [Check("NVML", False, str(err), DRIVER_FIX)]
    driver = driver.decode() if isinstance(driver, bytes) else driver
    checks = [Check("NVML", True, f"driver {driver}, {len(gpus)} GPU(s) visible")]
    for gpu in gpus:
        checks.extend(gpu_checks(pynvml, gpu))
    return checks


def gpu_checks(nvml, gpu: GpuInfo) -> Iterator[Check]:
    """What the runner's gates need of one GPU: the energy counter it scores from, MIG off, the default limit."""
    from runner.gates import POWER_LIMIT_TOLERANCE_W

    label = f"GPU {gpu.index} ({gpu.name})"
    handle = nvml.nvmlDeviceGetHandleByUUID(gpu.uuid)  # as the runner opens it (runner.hardware.EnergyCounter)
    try:
        nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        yield Check(f"{label} energy counter", True, "nvmlDeviceGetTotalEnergyConsumption is supported")
    except nvml.NVMLError as err:
        fix = "use a Volta or newer GPU, not a virtual GPU: without the counter every run measures 0 Wh"
        yield Check(f"{label} energy counter", False, f"nvmlDeviceGetTotalEnergyConsumption: {err}", fix)
    mig_on = gpu.mig_enabled
    fix = f"nvidia-smi -i {gpu.index} -mig 0 (as root, GPU idle): the energy counter is the whole GPU's"
    yield Check(f"{label} MIG mode", not mig_on, "on" if mig_on else "off", fix if mig_on else "")
    limit = f"nvidia-smi -i {gpu.index} -pl {gpu.tdp_w:g} (as root): a result off the default limit is never rated"
    if gpu.enforced_limit_w is None:
        yield Check(f"{label} power limit", False, "the limit in force is unreadable", limit)
    elif abs(gpu.enforced_limit_w - gpu.tdp_w) > POWER_LIMIT_TOLERANCE_W:
        detail = f"{gpu.enforced_limit_w:g} W in force, the default is {gpu.tdp_w:g} W"
        yield Check(f"{label} power limit", False, detail, limit)
    else:
        yield Check(f"{label} power limit", True, f"{gpu.enforced_limit_w:g} W, the default")


def checks(device: str, requirements_file: Path = REQUIREMENTS) -> list[Check]:
    """A CPU run needs the Python and the packages; a GPU run also a CUDA torch, the driver and usable GPUs."""
    found = [python_check(), *package_checks(requirements_file)]
    if any(c.name == "torch" and c.ok for c in found):
        found.append(torch_build_check(device))
    if device == "cuda":
        if any(c.name == "torch" and c.ok for c in found):
            found.append(torchvision_check())
        found.extend([nvidia_smi_check(), *nvml_checks()])
    return found


def report(device: str, requirements_file: Path = REQUIREMENTS) -> tuple[list[str], bool]:
    """The printed lines, and whether everything a run on `device` needs is there."""
    found = checks(device, requirements_file)
    missing = sum(not c.ok for c in found)
    what = f"a {DEVICES[device]} run"
    lines = [f"What {what} needs (requirements: {requirements_file}):"]
    lines += render(found)
    lines.append(f"ready for {what}" if not missing else f"NOT ready for {what}: {missing} missing")
    return lines, not missing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=list(DEVICES), default="cuda", help="the run to check for")
    parser.add_argument(
        "--requirements", type=Path, default=REQUIREMENTS, help="the pins to check (default: runner/requirements.txt)"
    )


def run(args: argparse.Namespace) -> int:
    """Exit status 0 when everything is there, 1 otherwise."""
    lines, ready = report(args.device, args.requirements)
    print("\n".join(lines))
    return 0 if ready else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m runner.doctor", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
