"""Vendor log archives: a proprietary model's own benchmark run, zipped and uploaded with the attestation.

Nothing is stored until the whole archive has passed: safe extraction (core.archive), a recognised run
folder, records that parse, a GPU run whose power limit and idle baseline fit its model (core.gpus),
repetitions that are not copies, and every gate recomputed from the raw windows (runner.validate:
settings, positive energies, power between idle and TDP, spread, tokens, repetitions), then compared
by meaning with every stored result (core.fingerprint): a copy of stored logs is refused, a near-copy
flagged for the reviewer. An accepted archive becomes a vendor Result pending maintainer review. Raw logs
are never public (methodology §5): the zip as uploaded and the full report go to the private uploads
store, under `vendor/<result id>/`; the public results repo gets the result, the published figures.
A rejected upload writes nothing and says what failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import tempfile
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core.archive import ArchiveError, ArchiveLimits, extract_zip
from core.catalog import SizeClass
from core.fingerprint import NEAR_COPY_SHARE, SIGNIFICANT_DIGITS, fingerprint, measured_values, shared_share
from core.gpus import DEFAULT_POWER_LIMIT_W, idle_floor_w, power_limit_w
from core.markup import md_code, md_message, md_text
from core.models import REFERENCE_GPU, Attestation, Result, ReviewStatus, Source, ValidityCheck
from core.repos import ResultsRepo, new_record_id
from core.store import Delete, Put, Store, StoreError
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


logger = logging.getLogger(__name__)

DEFAULT_LIMITS = ArchiveLimits()
DAY = timedelta(hours=24)
UPLOADS_FOLDER = "vendor"
FLAG = "⚠ near-copy:"
H100_FAMILY = "NVIDIA H100"  # NVML names: "NVIDIA H100 80GB HBM3", "NVIDIA H100 PCIe", "NVIDIA H100 NVL"


class VendorReport(BaseModel):
    """The verdict on one upload: every check in order; `result` is set only when all passed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    archive: str
    archive_sha256: str
    fingerprint: str = Field(default="", description="core.fingerprint's key of the measured windows.")
    checks: tuple[ValidityCheck, ...]
    result: Result | None = None

    @property
    def accepted(self) -> bool:
        return self.result is not None

    def failures(self) -> list[str]:
        return [f"{check.name}: {check.detail}" for check in self.checks if not check.passed]

    def markdown(self) -> str:
        """The report for the page; the archive's name and what the checks quote from it are shown literally."""
        if self.accepted:
            archive, result = md_code(self.archive), md_code(self.result.id)
            head = f"**Accepted** {archive} as result {result}, pending maintainer review."
        else:
            head = f"**Rejected** {md_code(self.archive)}: nothing was stored."
        lines = [head, ""]
        lines += [f"- {'✅' if c.passed else '❌'} **{md_text(c.name)}**: {md_message(c.detail)}" for c in self.checks]
        return "\n".join(lines)


def _now() -> datetime:
    return datetime.now(UTC)


def check_name(text: str, what: str) -> str:
    """A name as typed or logged, checked and never cleaned: no control or format characters (refused, not
    stripped), and the same ASCII string after Unicode NFKC, so that a look-alike of a known name (Cyrillic
    `а`, full-width `ａ`) or one with an invisible character is refused instead of becoming a new one."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise Refused("model", f"The {what} contains the control character U+{ord(char):04X}; type it plainly.")
    folded = unicodedata.normalize("NFKC", text)
    odd = next((char for char in folded if not char.isascii()), None)
    if odd is not None or folded != text:
        char = odd or next(c for c in text if unicodedata.normalize("NFKC", c) != c)
        raise Refused(
            "model", f"The {what} contains U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')}): use plain ASCII."
        )
    return text


def check_provider(model_id: str, memberships: frozenset[str] | None) -> None:
    """On a Space an upload is made for an organisation its uploader belongs to (or their own account);
    `memberships` is None where anything goes (no login, locally)."""
    provider = model_id.partition("/")[0]
    if memberships is not None and provider not in memberships:
        known = ", ".join(sorted(memberships)) or "none"
        raise Refused(
            "model",
            f"You can upload only for an organisation you belong to on the Hub (yours: {known}), not {provider}.",
        )


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
    model_id = check_model_id(check_name(model_id, "model name"))
    if "/" not in model_id:
        raise Refused("model", f"Name the model as `provider/model` (e.g. `acme/{model_id}`): the label shows both.")
    digest = ""
    if archive.is_file():
        with archive.open("rb") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
    checks: list[ValidityCheck] = []

    def verdict(result: Result | None = None) -> VendorReport:
        return VendorReport(
            archive=archive.name,
            archive_sha256=digest,
            fingerprint=fingerprint(result) if result else "",
            checks=tuple(checks),
            result=result,
        )

    with tempfile.TemporaryDirectory() as tmp:
        try:
            extract_zip(archive, Path(tmp), limits)
        except ArchiveError as err:
            checks.append(ValidityCheck(name="archive_safe", passed=False, detail=str(err)))
            return verdict()
        checks.append(ValidityCheck(name="archive_safe", passed=True, detail="a zip within every size and path rule"))
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
            "logs_path": None,  # raw vendor logs are never public: they are in the uploads store
        }
    )
    return verdict(vendor)


def _gpu_run(result: Result) -> ValidityCheck:
    """Methodology §5: a vendor runs the benchmark on an H100, so that its result is comparable."""
    hardware = result.hardware
    where = f"{hardware.gpu_count} × {hardware.gpu_name}"
    if hardware.gpu_count == 0:
        return ValidityCheck(name="hardware", passed=False, detail="a CPU run: vendor results must be measured on GPUs")
    if hardware.gpu_name not in DEFAULT_POWER_LIMIT_W:  # exact: a look-alike would be a population of its own
        try:
            check_name(hardware.gpu_name, "GPU name")
            why = "not exactly the NVML name of a GPU we know"
        except Refused as err:
            why = str(err)
        known = ", ".join(DEFAULT_POWER_LIMIT_W)
        return ValidityCheck(name="hardware", passed=False, detail=f"GPU {hardware.gpu_name!r}: {why} (known: {known})")
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
    floor = idle_floor_w(hardware.gpu_name, hardware.gpu_count) or 0.0
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


def _closest(result: Result, key: str, stored: pd.DataFrame) -> tuple[str, int, int] | None:
    """The stored result these measurements are closest to: (id, shared values, the upload's values); shared
    equals total for the same fingerprint, or for every measured value shared (core.fingerprint)."""
    same = stored.loc[stored["fingerprint"] == key, "id"]
    values = measured_values(result)
    total = len(values.split()) - 1  # after the format
    if not same.empty:
        return str(same.iloc[0]), total, total
    return shared_share(values, zip(stored["id"], stored["measured_values"].fillna(""), strict=True))


def _copy_of(closest: tuple[str, int, int] | None) -> str | None:
    """The stored result an upload copies, if it shares every measured value with it."""
    return closest[0] if closest is not None and closest[1] == closest[2] else None


def compare_with_stored(report: VendorReport, stored: pd.DataFrame) -> VendorReport:
    """The upload against every stored result, open ones included, by the index's keys: the same measurements
    (every measured value shared with one result, in any order) are refused (a failed `logs_unique` check);
    a near-copy is accepted, flagged for the reviewer."""
    if report.result is None:
        return report
    closest = _closest(report.result, report.fingerprint, stored)
    copied = _copy_of(closest)
    if closest is not None and copied is not None:
        total = closest[2]
        why = (
            f"they measure exactly what result {copied} measured"
            if (stored["fingerprint"] == report.fingerprint).any()
            else f"every one of their {total} measured values equals one of result {copied}'s "
            f"(to {SIGNIFICANT_DIGITS} significant digits, in any order)"
        )
        check = ValidityCheck(name="logs_unique", passed=False, detail=f"these logs are already stored: {why}")
        return report.model_copy(update={"checks": (*report.checks, check), "result": None})
    if closest is not None and closest[1] > NEAR_COPY_SHARE * closest[2]:
        result_id, shared, total = closest
        detail = f"{FLAG} {shared} of {total} measured values equal those of result {result_id}: check before approving"
    else:
        detail = "no stored result measured the same windows"
    check = ValidityCheck(name="logs_unique", passed=True, detail=detail)
    result = report.result.model_copy(update={"validation": (*report.result.validation, check)})
    return report.model_copy(update={"checks": (*report.checks, check), "result": result})


def uploads_folder(result_id: str) -> str:
    """Where an upload's zip and full report are, in the uploads store."""
    return f"{UPLOADS_FOLDER}/{result_id}"


def store_accepted(
    results: ResultsRepo, uploads: Store, report: VendorReport, archive: Path, *, daily_limit: int, now: datetime
) -> str:
    """Store an accepted upload: the zip as uploaded and the full report in the private uploads store, then
    the result in the results repo, its guard re-checking inside that commit that the same windows are not
    stored and the uploader's daily limit is not reached. A refused result leaves no upload behind.
    Raises Refused for repeated logs and for the limit."""
    if report.result is None or not report.fingerprint:
        raise ValueError("only an accepted archive is stored")
    result = report.result
    uploader = result.attestation.attested_by if result.attestation else ""

    def guard(index: pd.DataFrame) -> None:
        copied = _copy_of(_closest(result, report.fingerprint, index))
        if copied is not None:
            raise Refused("model", f"These logs were already uploaded: they are result `{copied}`. Nothing was stored.")
        mine = index.loc[(index["attested_by"] == uploader) & (index["attested_at"] > now - DAY), "attested_at"]
        if len(mine) >= daily_limit:
            after = f"{min(mine) + DAY:%Y-%m-%d %H:%M} UTC"
            raise Refused(
                "submitter", f"Each user may upload {daily_limit} archives a day; the next one after {after}."
            )

    guard(results.table().frame)  # refused before the upload is written, in the common case
    folder = uploads_folder(result.id)
    report_json = json.dumps(report.model_dump(mode="json"), indent=2).encode()
    files = [Put(f"{folder}/archive.zip", archive.read_bytes()), Put(f"{folder}/validation.json", report_json)]
    uploads.transact(lambda: files, message=f"Upload for {result.id}")
    try:
        return results.add(result, guard=guard)
    except BaseException:
        try:
            uploads.transact(lambda: [Delete(put.path) for put in files], message=f"Drop the upload for {result.id}")
        except StoreError:
            logger.exception("the upload of refused result %s stays in the uploads store", result.id)
        raise


def receive(
    archive: Path,
    *,
    model_id: str,
    attestation: Attestation,
    results: ResultsRepo,
    uploads: Store,
    daily_limit: int,
    memberships: frozenset[str] | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    clock: Callable[[], datetime] = _now,
) -> VendorReport:
    """One upload, as the Submit tab takes it: checked, compared with every stored result, stored if accepted."""
    if model_id.strip():  # before the archive is read: a name refused costs nothing
        check_provider(check_model_id(check_name(model_id, "model name")), memberships)
    report = validate_archive(archive, model_id=model_id, attestation=attestation, limits=limits, clock=clock)
    report = compare_with_stored(report, results.table().frame)
    if report.accepted:
        store_accepted(results, uploads, report, archive, daily_limit=daily_limit, now=attestation.attested_at)
    return report
