"""Moving raw vendor logs out of the public results repo, where earlier versions stored them.

Open-model run logs stay public by design (anyone may re-check a published measurement with
`python -m runner validate`); a vendor's raw logs are private (methodology §5). One commit in the uploads
store copies every vendor archive and report to `vendor/<result id>/`; then one commit in the results repo
deletes them and the old `archives/` markers, clears the records' `logs_path` and rebuilds the index (which
also records core.fingerprint's keys of results stored before they existed). Run again, it finds nothing to
move and only rebuilds the index; stopped between the two commits, it is simply run again.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Result, Source
from core.repos import ResultsRepo, dump_record
from core.store import Delete, Operation, Put, Store
from submission.vendor import uploads_folder

MARKERS = "archives"  # the old byte-digest markers of stored vendor logs


@dataclass(frozen=True)
class Moved:
    results: tuple[str, ...]  # the vendor results whose logs were moved
    files: int
    skipped: tuple[str, ...]  # records that could not be read, left as they are


def _vendor_logs(results: ResultsRepo, records: list[Result]) -> dict[str, list[str]]:
    """Each vendor result's files in the results repo, by result id."""
    found = {}
    for record in records:
        if record.source is Source.VENDOR and record.logs_path:
            files = results.store.list(record.logs_path)
            if files:
                found[record.id] = files
    return found


def move_vendor_logs(results: ResultsRepo, uploads: Store) -> Moved:
    """Copy the vendor logs to the uploads store (one commit), then delete them from the results repo and
    rebuild its index (one commit)."""
    loaded = results.load(path for path in results.store.list("records") if path.endswith(".json"))
    found = _vendor_logs(results, loaded.records)
    copies: list[Operation] = [
        Put(f"{uploads_folder(result_id)}/{path.rsplit('/', 1)[-1]}", results.store.read(path))
        for result_id, paths in found.items()
        for path in paths
    ]
    if copies:
        uploads.transact(
            lambda: copies, message=f"Move the logs of {len(found)} vendor result(s) from the results repo"
        )

    def build() -> list[Operation]:  # read inside the commit: nothing added meanwhile is dropped from the index
        current = results.load(path for path in results.store.list("records") if path.endswith(".json"))
        operations: list[Operation] = []
        records = []
        for record in current.records:
            if record.id in found:
                record = record.model_copy(update={"logs_path": None})
                operations.append(Put(results.record_path(record), dump_record(record)))
                operations += [Delete(path) for path in found[record.id]]
            records.append(record)
        operations += [Delete(path) for path in results.store.list(MARKERS)]
        operations.append(Put(results.index_path, results.encode_index(results.frame_of(records))))
        return operations

    results.store.transact(build, message="Vendor logs moved to the uploads store; index rebuilt")
    return Moved(tuple(sorted(found)), len(copies), tuple(loaded.problems))
