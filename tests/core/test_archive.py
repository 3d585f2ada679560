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


def _zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        for name in names:
            zipped.writestr(name, b"" if name.endswith("/") else b"{}")
    return path


@pytest.mark.parametrize(
    ("names", "said"),
    [
        (["run/A/b", "run/a"], "'run/a' is a file, but 'run/A/b' needs a folder of that name"),
        (["run/a", "run/a/b"], "'run/a' is a file, but 'run/a/b' needs a folder of that name"),
        (["run/a/", "run/A"], "'run/A' is a file, but 'run/a/' needs a folder of that name"),
        (["run/\uff21/b.json", "run/a"], "'run/a' is a file, but 'run/\uff21/b.json' needs a folder of that name"),
        (["run/x/caf\u00e9/b", "run/X/cafe\u0301"], "'run/X/cafe\u0301' is a file, but 'run/x/caf\u00e9/b' needs"),
    ],
)
def test_a_file_and_a_folder_of_one_name_are_refused_naming_both(tmp_path, names, said) -> None:
    """Where case is folded or Unicode normalised (macOS, Windows), or on any system for `a` and `a/b`,
    one path would be a file and a folder: refused before a byte is written, in archive names only."""
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ArchiveError) as refused:
        extract_zip(_zip(tmp_path / "a.zip", names), target)
    assert said in str(refused.value) and "/tmp" not in str(refused.value)
    assert list(target.iterdir()) == []


def test_a_member_the_file_system_cannot_write_is_refused_without_a_server_path(tmp_path) -> None:
    """A folder name too long for the file system (255 bytes a part): its reason, the member, never the path."""
    name = "run/" + "x" * 300 + "/summary.json"
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ArchiveError) as refused:
        extract_zip(_zip(tmp_path / "a.zip", ["run/ok.json", name]), target)
    message = str(refused.value)
    assert f"member {name!r} cannot be written: File name too long" in message, message
    assert str(tmp_path) not in message and "/tmp" not in message
    assert list(target.iterdir()) == []
