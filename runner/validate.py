"""Re-checks a run's log folder (or a zip of one): recomputes the gates from the raw windows and
compares the result's recorded energies with them, so a result can be audited without re-running it.

Light: reads JSON only. Reads this runner's folders and the reference runner's (runner.reference_logs).
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from core.archive import ArchiveError, extract_zip
from core.catalog import TASKS
from core.models import Result, ValidityCheck
from core.repos import RecordError, parse_record
from runner import gates, reference_logs
from runner.hardware import GpuProcess, foreign_processes

REQUIRED_FILES = (
    "summary.json",
    "measurements.json",
    "hardware.json",
    "benchmark_config.json",
    "benchmark_report.json",
)


class LogError(ValueError):
    """A log folder or archive that cannot be checked; the message says what is wrong with it."""


@dataclass
class GateReport:
    result: Result
    recomputed: tuple[ValidityCheck, ...]
    problems: list[str] = field(default_factory=list)  # mismatches between the record and the raw windows
    origin: str = "this project's runner"

    @property
    def ok(self) -> bool:
        return not self.problems and all(check.passed for check in self.recomputed)

    def lines(self) -> list[str]:
        recorded = {check.name: check.passed for check in self.result.checks}
        out = [f"{self.result.model_id} on {self.result.task.value}: {self.result.score_wh!r} Wh / 1,000 queries"]
        for check in self.recomputed:
            agrees = "" if recorded.get(check.name) == check.passed else "  (recorded differently!)"
            out.append(f"  {'pass' if check.passed else 'FAIL'} {check.name}: {check.detail}{agrees}")
        out += [f"  MISMATCH {problem}" for problem in self.problems]
        out.append("valid" if self.ok else "NOT valid")
        return out


def _extract(archive: Path, into: Path) -> None:
    try:
        extract_zip(archive, into)
    except ArchiveError as err:
        raise LogError(str(err)) from None


def find_run_folder(root: Path, label: str) -> Path:
    """The folder holding summary.json (ours) or benchmark_report.json (the reference runner's)."""
    summaries = sorted(root.rglob("summary.json")) or sorted(root.rglob("benchmark_report.json"))
    if not summaries:
        raise LogError(f"{label} holds no run folder (no summary.json or benchmark_report.json)")
    return summaries[0].parent


# What a malformed log file raises while it is read and checked: each becomes a LogError naming the folder.
_MALFORMED = (RecordError, ValueError, KeyError, TypeError, AttributeError, ArithmeticError)


def check_folder(folder: Path) -> GateReport:
    """Recompute the gates of one of our run folders and compare its summary with its raw windows."""
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise LogError(f"{folder} is missing {', '.join(missing)}")
    try:
        result = parse_record(Result, (folder / "summary.json").read_bytes(), path="summary.json")
        raw = json.loads((folder / "measurements.json").read_text())
        machine = json.loads((folder / "hardware.json").read_text())
        if not isinstance(raw, dict) or not isinstance(machine, dict):
            raise ValueError("measurements.json and hardware.json must each hold a JSON object")
        windows = tuple(gates.Window.model_validate(window) for window in raw["windows"])
        on_gpu = result.hardware.gpu_count > 0
        recomputed = gates.evaluate(
            gates.GateInput(
                task=result.task,
                on_gpu=on_gpu,
                settings=result.settings,
                windows=windows,
                idle_power_w=machine.get("idle_power_w"),
                tdp_w=machine.get("tdp_w"),
                enforced_limit_w=machine.get("enforced_power_limit_w"),
                foreign_processes=_foreign_processes(raw, machine) if on_gpu else (),
                gpu_name=result.hardware.gpu_name if on_gpu else None,
                gpu_count=result.hardware.gpu_count,
                parameters=result.parameters,
                counter_update_s=machine.get("counter_update_s"),
                counter_step_j=machine.get("counter_step_j"),
            )
        )
        problems = _hardware_mismatches(result, machine) + _mismatches(result, windows)
        problems += _codecarbon_mismatches(folder, windows) + _report_mismatches(folder, result, windows)
    except _MALFORMED as err:
        raise LogError(f"{folder}: {err}") from None
    return GateReport(result, recomputed, problems)


def _foreign_processes(raw: dict, machine: dict) -> tuple[str, ...]:
    """The gpu_exclusive verdict recomputed from the process lists the run recorded, not copied from it."""
    if "gpu_processes_before_start" not in machine or "gpu_processes" not in raw:
        return ("no GPU process lists in hardware.json and measurements.json",)
    before = [GpuProcess(**process) for process in machine["gpu_processes_before_start"]]
    during = [GpuProcess(**process) for process in raw["gpu_processes"]]
    errors = [*(machine.get("process_list_errors") or ()), *(raw.get("process_list_errors") or ())]
    return foreign_processes(before, during, int(machine.get("runner_pid") or -1)) + tuple(map(str, errors))


def _hardware_mismatches(result: Result, machine: dict) -> list[str]:
    """hardware.json (what the power gate reads) must say what the summary's hardware says."""
    return [
        f"hardware.json {key} {machine.get(key)!r}, summary {getattr(result.hardware, key)!r}"
        for key in ("tdp_w", "idle_power_w")
        if machine.get(key) != getattr(result.hardware, key)
    ]


def _mismatches(result: Result, windows: tuple[gates.Window, ...]) -> list[str]:
    """Every measured value of the summary, compared with what the raw windows give (energies to 1e-12)."""
    try:
        derived = gates.phase_values(result.task, windows)
    except ValueError as err:
        return [str(err)]
    if len(derived) != len(result.repetitions):
        return [f"{len(result.repetitions)} repetitions recorded, {len(derived)} in the raw windows"]
    problems = []
    for index, (recorded, raw) in enumerate(zip(result.repetitions, derived, strict=True), start=1):
        for phase, values in raw.items():
            measurement = recorded.phases.get(phase)
            for field_name in ("gpu_kwh", "cpu_kwh", "ram_kwh", "duration_s", "queries", "tokens"):
                stored = getattr(measurement, field_name) if measurement else None
                raw_value = getattr(values, field_name)
                if isinstance(raw_value, float):
                    same = stored is not None and math.isclose(stored, raw_value, rel_tol=1e-12, abs_tol=0)
                else:
                    same = stored == raw_value
                if not same:
                    problems.append(f"repetition {index} {phase.value} {field_name}: summary {stored}, raw {raw_value}")
    return problems


_COMPONENTS = ("gpu", "cpu", "ram")


def _codecarbon_mismatches(folder: Path, windows: tuple[gates.Window, ...]) -> list[str]:
    """Every window's energies must be the ones its CodeCarbon file recorded: editing measurements.json and
    summary.json together, and not the raw files, must not go unseen."""
    problems = []
    for window in windows:
        name = f"{window.target}_codecarbon.json"
        relative = name if window.repetition is None else f"repetition-{window.repetition:02d}/{name}"
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative} is missing: the {window.target} window has no CodeCarbon record")
            continue
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError(f"{relative} must hold a JSON object")
        for component in _COMPONENTS:
            # The GPU's scored figure is our counter read; the file holds CodeCarbon's, recorded beside it.
            field_name = "codecarbon_gpu_kwh" if component == "gpu" else f"{component}_kwh"
            recorded, measured = data.get(f"{component}_energy"), getattr(window, field_name)
            if not isinstance(recorded, (int, float)) or not math.isclose(recorded, measured, rel_tol=1e-12):
                problems.append(f"{relative} {component}_energy {recorded!r}, measurements.json {measured!r}")
    return problems


def _report_mismatches(folder: Path, result: Result, windows: tuple[gates.Window, ...]) -> list[str]:
    """benchmark_report.json holds each scored target's mean over the repetitions: it must be the windows'."""
    try:
        derived = gates.phase_values(result.task, windows)
    except ValueError:
        return []  # already reported by _mismatches
    report = json.loads((folder / "benchmark_report.json").read_text())
    if not isinstance(report, dict):
        raise ValueError("benchmark_report.json must hold a JSON object")
    problems = []
    for phase in TASKS[result.task].phases:
        target = gates.PHASE_TARGETS[phase]
        energy = (report.get(target) or {}).get("energy") or {}
        for component in _COMPONENTS:
            mean = statistics.fmean(getattr(values[phase], f"{component}_kwh") for values in derived)
            recorded = energy.get(component)
            # decode's mean is mean(generate) − mean(prefill) there: equal to the mean of the differences
            # up to rounding, hence a tolerance of a few units in the last place, not exact equality.
            if not isinstance(recorded, (int, float)) or not math.isclose(recorded, mean, rel_tol=1e-9, abs_tol=1e-18):
                problems.append(f"benchmark_report.json {target} {component} {recorded!r}, the windows' mean {mean!r}")
    return problems


def check_root(root: Path, label: str) -> GateReport:
    """The run under `root`: one of our run folders, or the reference runner's run folders (one per repetition)."""
    folder = find_run_folder(root, label)
    if not reference_logs.is_reference_folder(folder):
        return check_folder(folder)
    try:
        result, checks = reference_logs.read(root, label=label)
    except _MALFORMED as err:  # ReferenceLogError is a ValueError
        raise LogError(
            f"{label}: {err}" if not isinstance(err, reference_logs.ReferenceLogError) else str(err)
        ) from None
    return GateReport(result, checks, origin=f"the reference runner ({result.settings.repetitions} run folders)")


def check_logs(path: Path) -> GateReport:
    """A run folder (ours, or a folder of the reference runner's run folders), or a zip of one."""
    if path.is_dir():
        return check_root(path, path.name)
    if not path.is_file():
        raise LogError(f"{path} does not exist")
    with tempfile.TemporaryDirectory() as tmp:
        _extract(path, Path(tmp))
        return check_root(Path(tmp), path.name)
