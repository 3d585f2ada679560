"""Vendor log archives: a proprietary model's own benchmark run, zipped and uploaded with the attestation.

Nothing is stored until the whole archive has passed: safe extraction (core.archive), a recognised run
folder, records that parse, a GPU run whose power limit and idle baseline fit its model (core.gpus),
repetitions that are not copies, and every gate recomputed from the raw windows (runner.validate:
settings, positive energies, power between idle and TDP, spread, tokens, repetitions). An accepted
archive becomes a vendor Result pending maintainer review, stored in one commit with the original zip
and the validation report; a rejected one writes nothing and says what failed.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.archive import ArchiveError, ArchiveLimits, extract_zip
from core.catalog import SizeClass
from core.gpus import DEFAULT_POWER_LIMIT_W, idle_floor_w, power_limit_w
from core.models import REFERENCE_GPU, Attestation, Result, ReviewStatus, Source, ValidityCheck
from core.repos import ResultsRepo, new_record_id
from core.store import NotFound, Put
from runner.validate import LogError, check_root
from submission.open_model import Refused, check_model_id

ATTESTATION_CLAUSES = {
    "public_data_sharing": (
        "**Public data sharing.** The energy data derived from this submission may be published; no other "
        "information about the model or its proprietary configuration is disclosed."
    ),
    "data_integrity": (
        "**Data integrity.** The log files are accurate, unaltered and generated directly by the specified "
        "benchmark procedure."
    ),
    "model_representation": (
        "**Model representation.** The tested model is representative of the production version, including its "
        "quantization and anything else that affects energy."
    ),
}


DEFAULT_LIMITS = ArchiveLimits()
H100_FAMILY = "NVIDIA H100"  # NVML names: "NVIDIA H100 80GB HBM3", "NVIDIA H100 PCIe", "NVIDIA H100 NVL"


class VendorReport(BaseModel):
    """The verdict on one upload: every check in order; `result` is set only when all passed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    archive: str
    archive_sha256: str
    logs_digest: str = Field(
        default="", description="sha256 over the measurement files' hashes: the same logs, however they are zipped."
    )
    checks: tuple[ValidityCheck, ...]
    result: Result | None = None

    @property
    def accepted(self) -> bool:
        return self.result is not None

    def failures(self) -> list[str]:
        return [f"{check.name}: {check.detail}" for check in self.checks if not check.passed]

    def markdown(self) -> str:
        if self.accepted:
            head = f"**Accepted** `{self.archive}` as result `{self.result.id}`, pending maintainer review."
        else:
            head = f"**Rejected** `{self.archive}`: nothing was stored."
        lines = [head, ""]
        lines += [f"- {'✅' if c.passed else '❌'} **{c.name}**: {c.detail}" for c in self.checks]
        return "\n".join(lines)


def _now() -> datetime:
    return datetime.now(UTC)


def attestation_for(submitter: str, ticked: dict[str, bool], now: datetime) -> Attestation:
    """The attestation, if every clause is ticked; Refused naming the missing ones otherwise."""
    missing = [name for name in ATTESTATION_CLAUSES if not ticked.get(name)]
    if missing:
        names = ", ".join(name.replace("_", " ") for name in missing)
        raise Refused("submitter", f"Agree to all three attestation clauses first; missing: {names}.")
    return Attestation(
        public_data_sharing=True,
        data_integrity=True,
        model_representation=True,
        attested_by=submitter,
        attested_at=now,
    )


def validate_archive(
    archive: Path,
    *,
    model_id: str,
    attestation: Attestation,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    clock: Callable[[], datetime] = _now,
) -> VendorReport:
    """Check an uploaded zip completely; the report's result is the vendor Result to store, if accepted."""
    if not model_id.strip():
        raise Refused("model", "Enter the model's name as `provider/model`: the label prints both.")
    model_id = check_model_id(model_id)
    if "/" not in model_id:
        raise Refused("model", f"Name the model as `provider/model` (e.g. `acme/{model_id}`): the label shows both.")
    digest = ""
    if archive.is_file():
        with archive.open("rb") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
    checks: list[ValidityCheck] = []

    logs_digest = ""

    def verdict(result: Result | None = None) -> VendorReport:
        return VendorReport(
            archive=archive.name, archive_sha256=digest, logs_digest=logs_digest, checks=tuple(checks), result=result
        )

    with tempfile.TemporaryDirectory() as tmp:
        try:
            extract_zip(archive, Path(tmp), limits)
        except ArchiveError as err:
            checks.append(ValidityCheck(name="archive_safe", passed=False, detail=str(err)))
            return verdict()
        checks.append(ValidityCheck(name="archive_safe", passed=True, detail="a zip within every size and path rule"))
        logs_digest = measurements_digest(Path(tmp))
        try:
            report = check_root(Path(tmp), archive.name)
        except LogError as err:
            detail = str(err).replace(tmp, archive.name)
            checks.append(ValidityCheck(name="run_folder", passed=False, detail=detail))
            return verdict()
    result = report.result
    checks.append(
        ValidityCheck(
            name="run_folder", passed=True, detail=f"{result.task.value}: logs of {report.origin}, records parse"
        )
    )
    checks.append(_gpu_run(result))
    checks.append(_power_limits(result))
    checks.append(_distinct_repetitions(result))
    checks += report.recomputed
    checks.append(
        ValidityCheck(
            name="records_match_raw",
            passed=not report.problems,
            detail="; ".join(report.problems) or "the recorded values agree with the raw windows to full precision",
        )
    )
    if not all(check.passed for check in checks):
        return verdict()
    now = clock()
    result_id = new_record_id(now)
    vendor = Result.model_validate(
        result.model_dump()
        | {
            "id": result_id,
            "request_id": None,
            "model_id": model_id,
            "revision": None,
            "source": Source.VENDOR,
            "attestation": attestation,
            "review": ReviewStatus.PENDING,
            "review_note": None,  # a decision is ours to record, whatever the upload says
            "reviewed_by": None,
            "reviewed_at": None,
            "checks": report.recomputed,  # what we recomputed, not what the upload claims
            "validation": tuple(checks),
            "logs_path": f"logs/{result_id}",
        }
    )
    return verdict(vendor)


def _gpu_run(result: Result) -> ValidityCheck:
    """Methodology §5: a vendor runs the benchmark on an H100, so that its result is comparable."""
    hardware = result.hardware
    where = f"{hardware.gpu_count} × {hardware.gpu_name}"
    if hardware.gpu_count == 0:
        return ValidityCheck(name="hardware", passed=False, detail="a CPU run: vendor results must be measured on GPUs")
    if hardware.gpu_count > 1 and result.size_class is not SizeClass.C:
        return ValidityCheck(
            name="hardware",
            passed=False,
            detail=f"{where}: only class C text generation runs on several GPUs; every other benchmark on one",
        )
    if hardware.is_reference:
        return ValidityCheck(name="hardware", passed=True, detail=f"{where}: the reference hardware")
    if hardware.gpu_name.startswith(H100_FAMILY):
        return ValidityCheck(
            name="hardware",
            passed=True,
            detail=f"{where}: an H100 other than the reference {REFERENCE_GPU}, rated only against results on it",
        )
    return ValidityCheck(
        name="hardware",
        passed=False,
        detail=f"{where}: vendor results must be measured on an NVIDIA H100 (the reference is the {REFERENCE_GPU})",
    )


def _power_limits(result: Result) -> ValidityCheck:
    """The power gate's bounds are the upload's own: they must be the GPU model's, from our table."""
    hardware = result.hardware
    expected = power_limit_w(hardware.gpu_name, hardware.gpu_count) if hardware.gpu_count else None
    if expected is None:
        known = ", ".join(DEFAULT_POWER_LIMIT_W)
        return ValidityCheck(
            name="power_limits",
            passed=False,
            detail=f"unknown GPU {hardware.gpu_name!r}: its power limit cannot be verified (known: {known})",
        )
    problems = []
    if hardware.tdp_w is None or not math.isclose(hardware.tdp_w, expected, rel_tol=0.01):
        problems.append(f"recorded power limit {hardware.tdp_w!r} W, the {hardware.gpu_name}'s is {expected:g} W")
    floor = idle_floor_w(expected)
    idle = hardware.idle_power_w
    if idle is not None and not floor < idle < expected:
        problems.append(f"idle baseline {idle!r} W is not between {floor:g} W and {expected:g} W")
    if problems:
        return ValidityCheck(name="power_limits", passed=False, detail="; ".join(problems))
    baseline = f"idle baseline {idle:g} W" if idle is not None else f"no idle baseline in the logs (floor {floor:g} W)"
    return ValidityCheck(
        name="power_limits",
        passed=True,
        detail=f"power limit {expected:g} W and {baseline} fit the {hardware.gpu_name}",
    )


def _distinct_repetitions(result: Result) -> ValidityCheck:
    """Copies of one measurement are not repetitions: any two identical ones are refused."""
    seen: dict[str, int] = {}
    copies = []
    for index, repetition in enumerate(result.repetitions, start=1):
        key = repetition.model_dump_json()
        if key in seen:
            copies.append(f"repetition {index} equals repetition {seen[key]}")
        seen.setdefault(key, index)
    if copies:
        return ValidityCheck(name="repetitions_distinct", passed=False, detail="; ".join(copies))
    return ValidityCheck(name="repetitions_distinct", passed=True, detail="every repetition is its own measurement")


def measurements_digest(root: Path) -> str:
    """sha256 over the sorted hashes of the measurement files (ours, or the reference runner's reports):
    the same logs zipped again, under another folder name or with files added, give the same digest."""
    hashes = sorted(
        hashlib.sha256(path.read_bytes()).hexdigest()
        for name in ("measurements.json", "benchmark_report.json")
        for path in root.rglob(name)
        if path.is_file()
    )
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest() if hashes else ""


def store_accepted(results: ResultsRepo, report: VendorReport, archive: Path) -> str:
    """Store an accepted upload: the result, the zip as uploaded and the report, in one commit.

    Logs are stored once: a marker named by their measurements' digest is written in the same commit, and
    checked inside it, so the same logs cannot become two results. Raises Refused for repeated logs.
    """
    if report.result is None or not report.logs_digest:
        raise ValueError("only an accepted archive is stored")
    folder = report.result.logs_path
    marker = f"archives/{report.logs_digest}.json"
    report_json = json.dumps(report.model_dump(mode="json", exclude={"result"}), indent=2).encode()

    def stored_once(_index: object) -> None:
        try:
            earlier = json.loads(results.store.read(marker))["result_id"]
        except NotFound:
            return
        raise Refused("model", f"These logs were already uploaded: they are result `{earlier}`. Nothing was stored.")

    return results.add(
        report.result,
        extra=[
            Put(f"{folder}/archive.zip", archive.read_bytes()),
            Put(f"{folder}/validation.json", report_json),
            Put(marker, json.dumps({"result_id": report.result.id}).encode()),
        ],
        guard=stored_once,
    )
