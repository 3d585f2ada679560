"""Entry counts are taken from the central directory itself, before zipfile parses it: an end record
that lies about the count, or zip64's, cannot make the parser read a huge directory."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from core import archive as archive_module
from core.archive import ArchiveError, ArchiveLimits, extract_zip


def _many(path: Path, count: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zipped:
        for index in range(count):
            zipped.writestr(f"run/{index}.json", b"")
    return path


def _forbid_parsing(monkeypatch) -> None:
    """zipfile.ZipFile parses the whole central directory: the refusal must come before it."""

    def parse(*_args, **_kwargs):
        raise AssertionError("the central directory was parsed before the entry count was checked")

    monkeypatch.setattr(archive_module.zipfile, "ZipFile", parse)


def test_an_end_record_understating_its_entries_is_refused_before_parsing(tmp_path, monkeypatch) -> None:
    path = _many(tmp_path / "a.zip", 30)
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (1).to_bytes(2, "little") * 2  # "1 entry", on this disk and in all
    path.write_bytes(bytes(data))
    _forbid_parsing(monkeypatch)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ArchiveError, match="holds more than 20 entries"):
        extract_zip(path, target, ArchiveLimits(max_files=20))
    assert list(target.iterdir()) == []


def test_a_zip64_directory_is_counted_too(tmp_path, monkeypatch) -> None:
    path = _many(tmp_path / "a.zip", 70_000)  # over 65,535 entries: zipfile writes zip64 end records
    assert path.read_bytes().rfind(b"PK\x06\x06") > 0
    _forbid_parsing(monkeypatch)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ArchiveError, match="holds more than 2000 entries"):
        extract_zip(path, target)


def test_an_archive_within_the_count_still_extracts(tmp_path) -> None:
    path = _many(tmp_path / "a.zip", 20)
    target = tmp_path / "out"
    target.mkdir()
    extract_zip(path, target, ArchiveLimits(max_files=20))
    assert len(list((target / "run").iterdir())) == 20
