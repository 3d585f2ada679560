"""Records on top of a store: one JSON file per request or result, plus a compact parquet index.

The index is a cache of each record's summary (derived figures included), rewritten in the same
atomic commit as the record, so it is always exactly as new as the records; `rebuild_index` remakes
it from the records. Page views read the index once per head, never the 10,000 record files.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Generic, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from core.catalog import Precision, SizeClass, TaskId
from core.fingerprint import fingerprint, measured_values
from core.models import Release, Request, RequestStatus, Result, ReviewStatus, Source
from core.store import NotFound, Operation, Put, Store
from core.store.base import check_path

logger = logging.getLogger(__name__)

RecordT = TypeVar("RecordT", bound=BaseModel)


class RecordError(ValueError):
    """A stored record that cannot be read; the message names the file and the field."""


class DuplicateRecord(ValueError):
    """A record with this id already exists."""


class StaleRecord(ValueError):
    """The record changed between read and write."""


def new_record_id(now: datetime) -> str:
    """A unique, time-sortable id such as '20261122T120000Z-1a2b3c4d'; `now` must be timezone-aware."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S}Z-{secrets.token_hex(4)}"


def parse_record(model: type[RecordT], data: bytes, *, path: str) -> RecordT:
    """Validate one stored record; the error names the file and every bad field."""
    try:
        return model.model_validate_json(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(record)'}: {error['msg']}" for error in err.errors()
        )
        raise RecordError(f"{path}: {problems}") from None


def dump_record(record: BaseModel) -> bytes:
    return record.model_dump_json(indent=2).encode()


@dataclass
class Table:
    """The index as a data frame, with the rows that could not be used and why."""

    frame: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    head: str | None = None  # the commit it was read at


@dataclass
class Loaded(Generic[RecordT]):
    records: list[RecordT]
    problems: list[str]


class _RecordRepo(Generic[RecordT]):
    """Shared machinery: record files under `records/`, one parquet index, cached per head."""

    model: ClassVar[type]
    index_path: ClassVar[str]
    columns: ClassVar[dict[str, pa.DataType]]
    # Columns a row cannot be shown or served without, and the values each may take (None: any but null;
    # a set holding None: null too).
    required: ClassVar[dict[str, frozenset[str | None] | None]] = {"id": None, "path": None}

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: tuple[str | None, Table] | None = None

    # Subclasses say where a record lives and what its index row holds.

    @classmethod
    def record_path(cls, record: RecordT) -> str:
        raise NotImplementedError

    @classmethod
    def index_row(cls, record: RecordT, path: str) -> dict:
        raise NotImplementedError

    @classmethod
    def frame_of(cls, records: Iterable[RecordT]) -> pd.DataFrame:
        """The index rows of these records, as `table()` would show them once stored."""
        return cls._frame_of([cls.index_row(record, cls.record_path(record)) for record in records])

    # Reading

    def table(self) -> Table:
        """The index at the current head (inside a transaction, its parent); read only when that moved."""
        head = self.store.pinned() or self.store.head()
        if self._cache is None or self._cache[0] != head:
            with self.store.at(head):  # the index of that very commit, which the cache is keyed by
                table = self._validated(self._read_index())
            table.head = head
            self._cache = (head, table)
        return self._cache[1]

    def _read_index(self) -> pd.DataFrame:
        try:
            data = self.store.read(self.index_path)
        except NotFound:
            return self._empty_frame()
        return pq.read_table(io.BytesIO(data)).to_pandas()

    def _empty_frame(self) -> pd.DataFrame:
        return pa.schema(self.columns).empty_table().to_pandas()

    def _validated(self, frame: pd.DataFrame) -> Table:
        """The usable rows; a row that lacks an id or a path, or has a value no view knows, is skipped and
        reported (logged with its path): one bad row never stops the queue or a page."""
        missing = set(self.columns) - set(frame.columns)
        if missing:
            problem = f"{self.index_path}: missing columns {sorted(missing)}; run `python -m leaderboard rebuild-index`"
            return Table(self._empty_frame(), [problem])
        bad = pd.Series(False, index=frame.index)
        problems = []
        for column, allowed in self.required.items():
            values = frame[column]
            if allowed is None:
                wrong = values.isna()
            else:
                wrong = ~values.isin([value for value in allowed if value is not None])
                if None in allowed:
                    wrong &= values.notna()
            if column == "path":
                wrong |= ~values.map(_is_repo_path).astype(bool)
            for row, value in values.loc[wrong & ~bad].items():
                where = frame.at[row, "path"] if _is_repo_path(frame.at[row, "path"]) else f"row {row}"
                problems.append(f"{self.index_path}: {where}: {column} is {value!r}, not a usable value")
            bad |= wrong
        for problem in problems:
            logger.warning("skipping index row: %s", problem)
        return Table(frame.loc[~bad].reset_index(drop=True), problems)

    def get(self, record_id: str) -> RecordT:
        table = self.table()
        rows = table.frame.loc[table.frame["id"] == record_id, "path"]
        if rows.empty:
            raise NotFound(f"no record with id {record_id!r}")
        path = rows.iloc[0]
        with self.store.at(table.head):  # the record as of the index that named it
            data = self.store.read(path)
        return parse_record(self.model, data, path=path)

    def load(self, paths: Iterable[str]) -> Loaded[RecordT]:
        """Read record files; a bad one is reported and skipped, never breaks the others."""
        records: list[RecordT] = []
        problems: list[str] = []
        for path in paths:
            try:
                records.append(parse_record(self.model, self.store.read(path), path=path))
            except (RecordError, NotFound) as err:
                logger.warning("skipping record: %s", err)
                problems.append(str(err))
        return Loaded(records, problems)

    # Writing

    @classmethod
    def _frame_of(cls, rows: Sequence[dict]) -> pd.DataFrame:
        return pa.Table.from_pylist(list(rows), schema=pa.schema(cls.columns)).to_pandas()

    def encode_index(self, frame: pd.DataFrame) -> bytes:
        """The index file's bytes: zstd-compressed parquet with the fixed column types."""
        buffer = io.BytesIO()
        table = pa.Table.from_pandas(frame, schema=pa.schema(self.columns), preserve_index=False)
        pq.write_table(table, buffer, compression="zstd")
        return buffer.getvalue()

    def _upsert_operations(
        self,
        records: Sequence[RecordT],
        *,
        allow_existing: bool,
        extra: Sequence[Operation] = (),
        guard: Callable[[pd.DataFrame], None] | None = None,
    ) -> Callable[[], list[Operation]]:
        def build() -> list[Operation]:
            frame = self._read_index()
            if guard is not None:
                guard(frame)
            ids = [record.id for record in records]  # type: ignore[attr-defined]
            if len(set(ids)) != len(ids):
                raise DuplicateRecord("the same id appears twice in one write")
            existing = frame["id"].isin(ids)
            if not allow_existing and existing.any():
                raise DuplicateRecord(f"records already exist: {sorted(frame.loc[existing, 'id'])}")
            operations: list[Operation] = list(extra)
            rows = []
            for record in records:
                path = self.record_path(record)
                operations.append(Put(path, dump_record(record)))
                rows.append(self.index_row(record, path))
            new_frame = pd.concat([frame.loc[~existing], self._frame_of(rows)], ignore_index=True)
            operations.append(Put(self.index_path, self.encode_index(new_frame)))
            return operations

        return build

    def add(
        self,
        *records: RecordT,
        extra: Sequence[Operation] = (),
        guard: Callable[[pd.DataFrame], None] | None = None,
    ) -> str:
        """Store new records (and any extra files) in one atomic commit; ids must be new.

        `guard` sees the index as it is inside the commit and may raise to refuse the write: a check
        against the other records (a duplicate, a rate limit) that no concurrent writer can slip past.
        """
        kind = self.model.__name__.lower()
        return self.store.transact(
            self._upsert_operations(records, allow_existing=False, extra=extra, guard=guard),
            message=f"Add {len(records)} {kind}(s)",
        )

    def replace(self, record: RecordT, *, expected: RecordT) -> str:
        """Overwrite a record, provided it still equals `expected` (another writer may have won)."""

        if record.id != expected.id:  # type: ignore[attr-defined]
            raise ValueError(f"cannot replace {expected.id} with a record of another id")  # type: ignore[attr-defined]

        def check_then_build() -> list[Operation]:
            current = self.get(record.id)  # type: ignore[attr-defined]
            if current != expected:
                raise StaleRecord(f"{record.id} changed since it was read")  # type: ignore[attr-defined]
            return self._upsert_operations([record], allow_existing=True)()

        return self.store.transact(check_then_build, message=f"Update {record.id}")  # type: ignore[attr-defined]

    def rebuild_index(self) -> list[str]:
        """Remake the index from every record file; returns the problems of the skipped ones."""
        problems: list[str] = []

        def build() -> list[Operation]:  # reads inside the transaction, so no concurrent add is dropped
            loaded = self.load(p for p in self.store.list("records") if p.endswith(".json"))
            problems[:] = loaded.problems
            return [Put(self.index_path, self.encode_index(self.frame_of(loaded.records)))]

        self.store.transact(build, message="Rebuild index")
        return problems


_TIMESTAMP = pa.timestamp("us", tz="UTC")


def _is_repo_path(path: object) -> bool:
    try:
        check_path(path)  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def _values(*enums: type) -> frozenset[str | None]:
    return frozenset(member.value for enum in enums for member in enum)  # type: ignore[attr-defined]


class RequestsRepo(_RecordRepo[Request]):
    model = Request
    index_path = "index/requests.parquet"
    columns: ClassVar[dict[str, pa.DataType]] = {
        "id": pa.string(),
        "path": pa.string(),
        "model_id": pa.string(),
        "revision": pa.string(),
        "task": pa.string(),
        "precision": pa.string(),
        "submitter": pa.string(),
        "source": pa.string(),
        "status": pa.string(),
        "submitted_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
        "attempts": pa.int64(),
        "failure_reason": pa.string(),
        "result_id": pa.string(),
        "worker_id": pa.string(),
        "lease_expires_at": _TIMESTAMP,
    }
    required: ClassVar[dict[str, frozenset[str | None] | None]] = {
        "id": None,
        "path": None,
        "model_id": None,
        "submitted_at": None,
        "status": _values(RequestStatus),
        "task": _values(TaskId),
        "precision": _values(Precision),
        "source": _values(Source),
    }

    @classmethod
    def record_path(cls, record: Request) -> str:
        return f"records/{record.model_id}/{record.id}.json"

    @classmethod
    def index_row(cls, record: Request, path: str) -> dict:
        return {
            "id": record.id,
            "path": path,
            "model_id": record.model_id,
            "revision": record.revision,
            "task": record.task.value,
            "precision": record.precision.value,
            "submitter": record.submitter,
            "source": record.source.value,
            "status": record.status.value,
            "submitted_at": record.submitted_at,
            "updated_at": record.updated_at,
            "attempts": record.attempts,
            "failure_reason": record.failure_reason,
            "result_id": record.result_id,
            "worker_id": record.worker_id,
            "lease_expires_at": record.lease_expires_at,
        }


class ResultsRepo(_RecordRepo[Result]):
    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._releases: dict[str, Release] = {}

    model = Result
    index_path = "index/results.parquet"
    columns: ClassVar[dict[str, pa.DataType]] = {
        "id": pa.string(),
        "path": pa.string(),
        "request_id": pa.string(),
        "model_id": pa.string(),
        "revision": pa.string(),
        "provider": pa.string(),
        "task": pa.string(),
        "size_class": pa.string(),
        "parameters": pa.int64(),
        "hardware": pa.string(),
        "gpu_count": pa.int64(),
        "precision": pa.string(),
        "random_weights": pa.bool_(),
        "source": pa.string(),
        "review": pa.string(),
        "valid": pa.bool_(),
        "failed_checks": pa.string(),
        "rateable": pa.bool_(),
        "measured_at": _TIMESTAMP,
        "repetitions": pa.int64(),
        "score_component": pa.string(),
        "score_wh": pa.float64(),
        "score_std_wh": pa.float64(),
        "score_cv": pa.float64(),
        "duration_s": pa.float64(),
        "throughput_qps": pa.float64(),
        "gpu_wh": pa.float64(),
        "cpu_wh": pa.float64(),
        "ram_wh": pa.float64(),
        "gpu_method": pa.string(),
        "cpu_method": pa.string(),
        "ram_method": pa.string(),
        "logs_path": pa.string(),
        # core.fingerprint's keys of the measured windows, and who attested a vendor upload, when: what the
        # upload checks compare with every stored result, from the index alone.
        "fingerprint": pa.string(),
        "measured_values": pa.string(),
        "attested_by": pa.string(),
        "attested_at": _TIMESTAMP,
    }
    # Columns added after indexes were first written: an older index reads with them empty (its writes keep
    # working) until `python -m leaderboard rebuild-index` or `python -m submission move-vendor-logs`.
    added_columns: ClassVar[tuple[str, ...]] = ("fingerprint", "measured_values", "attested_by", "attested_at")
    required: ClassVar[dict[str, frozenset[str | None] | None]] = {
        "id": None,
        "path": None,
        "model_id": None,
        "hardware": None,
        "measured_at": None,
        "task": _values(TaskId),
        "precision": _values(Precision),
        "source": _values(Source),
        "review": _values(ReviewStatus),
        "size_class": _values(SizeClass) | {None},
        "valid": frozenset({True, False}),  # masks of the views and of a release cut: never missing
        "rateable": frozenset({True, False}),
    }

    @classmethod
    def record_path(cls, record: Result) -> str:
        return f"records/{record.model_id}/{record.task.value}/{record.id}.json"

    @classmethod
    def index_row(cls, record: Result, path: str) -> dict:
        def mean(component: str) -> float:
            values = record.energy_wh_per_1k(component)  # type: ignore[arg-type]
            return sum(values) / len(values)

        return {
            "id": record.id,
            "path": path,
            "request_id": record.request_id,
            "model_id": record.model_id,
            "revision": record.revision,
            "provider": record.provider,
            "task": record.task.value,
            "size_class": record.size_class.value if record.size_class else None,
            "parameters": record.parameters,
            "hardware": record.hardware.gpu_name,
            "gpu_count": record.hardware.gpu_count,
            "precision": record.settings.precision.value,
            "random_weights": record.settings.random_weights,
            "source": record.source.value,
            "review": record.review.value,
            "valid": record.is_valid,
            "failed_checks": "; ".join(f"{c.name}: {c.detail}" for c in record.checks if not c.passed),
            "rateable": record.is_rateable,
            "measured_at": record.measured_at,
            "repetitions": len(record.repetitions),
            "score_component": record.score_component,
            "score_wh": record.score_wh,
            "score_std_wh": record.score_std_wh,
            "score_cv": record.score_cv,
            "duration_s": record.duration_s,
            "throughput_qps": record.throughput_qps,
            "gpu_wh": mean("gpu"),
            "cpu_wh": mean("cpu"),
            "ram_wh": mean("ram"),
            "gpu_method": record.energy_methods.gpu.value,
            "cpu_method": record.energy_methods.cpu.value,
            "ram_method": record.energy_methods.ram.value,
            "logs_path": record.logs_path,
            "fingerprint": fingerprint(record),
            "measured_values": measured_values(record),
            "attested_by": record.attestation.attested_by if record.attestation else None,
            "attested_at": record.attestation.attested_at if record.attestation else None,
        }

    def _read_index(self) -> pd.DataFrame:
        frame = super()._read_index()
        missing = [column for column in self.added_columns if column not in frame.columns]
        if missing:
            logger.warning(
                "%s predates columns %s; run `python -m leaderboard rebuild-index`", self.index_path, missing
            )
            empty = pa.schema({column: self.columns[column] for column in missing}).empty_table().to_pandas()
            frame = frame.assign(
                **{column: pd.Series([None] * len(frame), dtype=empty[column].dtype) for column in missing}
            )
        return frame

    def _validated(self, frame: pd.DataFrame) -> Table:
        table = super()._validated(frame)
        scores = table.frame["score_wh"]
        bad = ~(scores.notna() & (scores >= 0) & scores.abs().ne(float("inf")))
        if bad.any():
            table.problems.extend(
                f"{path}: score_wh is not a finite non-negative number" for path in table.frame.loc[bad, "path"]
            )
            table.frame = table.frame.loc[~bad].reset_index(drop=True)
        return table

    # Releases: one frozen file each, beside the records.

    @staticmethod
    def release_path(release_id: str) -> str:
        return f"releases/{release_id}.json"

    def release_ids(self) -> list[str]:
        """The cut releases, oldest first by cut time: names like "2026-5" and "2026-11" do not sort as text.

        An unreadable release file is skipped and logged: the others, and every page, stay served."""
        cut_at = {}
        for path in self.store.list("releases"):
            release_id = path.removeprefix("releases/").removesuffix(".json")
            try:
                cut_at[release_id] = self.release(release_id).cut_at
            except (RecordError, NotFound) as err:
                logger.warning("skipping release: %s", err)
        return sorted(cut_at, key=lambda release_id: (cut_at[release_id], release_id))

    def release(self, release_id: str) -> Release:
        """A cut release; kept once read, since a cut release never changes (labels ask for it often)."""
        cached = self._releases.get(release_id)
        if cached is not None:
            return cached
        path = self.release_path(release_id)
        try:
            data = self.store.read(path)
        except NotFound:
            raise NotFound(f"no release {release_id!r}; known releases: {self.release_ids()}") from None
        release = self._releases[release_id] = parse_record(Release, data, path=path)
        return release
