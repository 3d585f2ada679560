"""Safe extraction of an untrusted zip of a run's logs (a vendor's upload, or a folder to re-check).

Every member is checked before a byte is written, and sizes are enforced on the bytes actually
decompressed, not on the sizes the archive declares (a zip bomb lies about them). Any problem raises
ArchiveError naming the member and the rule, and leaves nothing behind in the target folder.
"""

from __future__ import annotations

import io
import lzma
import shutil
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 16
MAX_DEPTH = 32
MAX_NAME_CHARS = 1024
_CENTRAL_HEADER = struct.Struct(zipfile.structCentralDir)
_CENTRAL_SIGNATURE = zipfile.stringCentralDir
_CENTRAL_LENGTHS = (zipfile._CD_FILENAME_LENGTH, zipfile._CD_EXTRA_FIELD_LENGTH, zipfile._CD_COMMENT_LENGTH)
# Archives inside the archive are refused: they would escape every limit below.
ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".jar", ".whl")
ARCHIVE_MAGIC = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"PK\x07\x08",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x28\xb5\x2f\xfd",
)
_TAR_MAGIC_AT = 257  # "ustar" sits at this offset of a tar header
# What zipfile and its decompressors raise on bad bytes: their text names archive members, never a path.
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError)


class ArchiveError(ValueError):
    """An archive refused; the message names the member and the rule it broke."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_archive_bytes: int = 50 * 2**20
    max_total_bytes: int = 512 * 2**20  # uncompressed, all members together
    max_files: int = 2000
    max_ratio: float = 200.0  # uncompressed / compressed, per member: JSON logs compress ~10×, bombs ~1000×


def _unsafe_path(name: str) -> str | None:
    """Why a member name cannot be written under the target folder, or None."""
    if "\\" in name or "\0" in name:
        return "contains a backslash or a NUL byte"
    path = PurePosixPath(name)
    if len(name) > MAX_NAME_CHARS or len(path.parts) > MAX_DEPTH:
        return f"is nested too deep (at most {MAX_DEPTH} folders and {MAX_NAME_CHARS} characters)"
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
        return "is an absolute path"
    if ".." in path.parts:
        return "climbs out of the archive with '..'"
    return None


def _name_key(name: str) -> str:
    """One key per file a name becomes once unpacked: `./x`, `a//x`, `X` and `x`, and the composed and
    decomposed or compatibility forms of one name (`é` and `e` + U+0301, `ﬁ` and `fi`), on a file system
    that folds case or normalises Unicode (macOS, Windows)."""
    path = PurePosixPath(name).as_posix()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", path).casefold())


def check_members(archive: zipfile.ZipFile, limits: ArchiveLimits, label: str) -> list[zipfile.ZipInfo]:
    """The archive's file members, after the checks that need no decompression."""
    members = archive.infolist()
    files = [m for m in members if not m.is_dir()]
    if not files:
        raise ArchiveError(f"{label} is empty")
    if len(members) > limits.max_files:
        raise ArchiveError(f"{label} holds {len(members)} entries; at most {limits.max_files} are accepted")
    seen: dict[str, str] = {}  # file key → the file's name
    folders: dict[str, str] = {}  # key of each folder some entry needs → that entry's name
    for member in members:
        name = member.filename
        problem = _unsafe_path(name)
        if problem:
            raise ArchiveError(f"{label}: member {name!r} {problem}")
        mode = member.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ArchiveError(f"{label}: member {name!r} is a symbolic link")
        if member.flag_bits & 0x1:
            raise ArchiveError(f"{label}: member {name!r} is encrypted")
        parts = PurePosixPath(name).parts
        for depth in range(1, len(parts) + member.is_dir()):  # every folder above it; a folder entry itself
            folders.setdefault(_name_key("/".join(parts[:depth])), name)
        if member.is_dir():
            continue
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            raise ArchiveError(f"{label}: member {name!r} is an archive; upload one zip of the run folder, unnested")
        key = _name_key(name)
        if key in seen:
            raise ArchiveError(f"{label}: member {name!r} appears twice (names differing only in case or form)")
        seen[key] = name
    for key, file in seen.items():  # `a` and `a/b`, or `A/b`: one path as a file and as a folder
        if key in folders:
            raise ArchiveError(f"{label}: {file!r} is a file, but {folders[key]!r} needs a folder of that name")
    declared = sum(m.file_size for m in files)
    if declared > limits.max_total_bytes:
        raise ArchiveError(f"{label} unpacks to {declared:,} bytes; at most {limits.max_total_bytes:,} are accepted")
    return files


def extract_zip(archive: Path, into: Path, limits: ArchiveLimits | None = None) -> None:
    """Extract `archive` into the empty folder `into`; on any ArchiveError `into` is left empty."""
    limits = limits or ArchiveLimits()
    label = archive.name
    if not archive.is_file():
        raise ArchiveError(f"{label} does not exist")
    size = archive.stat().st_size
    if size > limits.max_archive_bytes:
        raise ArchiveError(f"{label} is {size:,} bytes; the limit is {limits.max_archive_bytes:,}")
    if not zipfile.is_zipfile(archive):
        raise ArchiveError(f"{label} is not a zip archive")
    if _counted_entries(archive, limits.max_files) > limits.max_files:
        raise ArchiveError(f"{label} holds more than {limits.max_files} entries, the most accepted")
    # The whole archive may expand at most max_ratio times, whatever its members declare about themselves.
    expansion_cap = max(size, 1) * limits.max_ratio
    try:
        with zipfile.ZipFile(archive) as zipped:
            files = check_members(zipped, limits, label)
            total = 0
            for member in files:
                total = _extract_member(zipped, member, into, limits, label, total, expansion_cap)
    except ArchiveError:
        _empty(into)
        raise
    except Exception as err:  # zlib, decoding, recursion...: a damaged or hostile archive, never a crash
        _empty(into)
        # Only these say what is wrong with the archive's bytes alone; any other text (an OSError's above
        # all) may name a server path, so only its type is shown.
        said = f": {err}" if isinstance(err, _ARCHIVE_ERRORS) else ""
        raise ArchiveError(
            f"{label} is damaged or uses an unsupported zip feature: {type(err).__name__}{said}"
        ) from None


def _counted_entries(archive: Path, limit: int) -> int:
    """The entries of the central directory, counted by walking it as zipfile will, and stopping at
    `limit + 1`: the end record's own count may lie, or be zip64's 0xFFFF, and parsing a million tiny
    entries costs zipfile seconds and hundreds of MB before any check could run."""
    with archive.open("rb") as stream:
        end = zipfile._EndRecData(stream)  # zipfile's own reading of the end record, zip64 included
        if not end:
            raise ArchiveError(f"{archive.name} is not a zip archive")
        size_cd, offset_cd = end[zipfile._ECD_SIZE], end[zipfile._ECD_OFFSET]
        start = end[zipfile._ECD_LOCATION] - size_cd  # where zipfile seeks, for a zip with data prepended too
        if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
            start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
        if start < 0 or offset_cd < 0:
            raise ArchiveError(f"{archive.name} is damaged: its central directory lies outside the file")
        stream.seek(start)
        count = walked = 0
        while walked < size_cd and count <= limit:
            header = stream.read(_CENTRAL_HEADER.size)
            if len(header) != _CENTRAL_HEADER.size or not header.startswith(_CENTRAL_SIGNATURE):
                break  # zipfile refuses the archive itself, with its own message
            fields = _CENTRAL_HEADER.unpack(header)
            variable = sum(fields[field] for field in _CENTRAL_LENGTHS)  # name, extra field, comment
            stream.seek(variable, 1)
            walked += _CENTRAL_HEADER.size + variable
            count += 1
    return count


def _extract_member(
    zipped: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    into: Path,
    limits: ArchiveLimits,
    label: str,
    total: int,
    expansion_cap: float,
) -> int:
    target = into / member.filename
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sink = target.open("wb")
    except OSError as err:  # a name this file system refuses (a part over 255 bytes...): strerror has no path
        raise ArchiveError(
            f"{label}: member {member.filename!r} cannot be written: {err.strerror or type(err).__name__}"
        ) from None
    written = 0
    budget = min(limits.max_total_bytes - total, expansion_cap - total, max(member.compress_size, 1) * limits.max_ratio)
    with sink, zipped.open(member) as source:
        while chunk := source.read(_CHUNK):
            if written == 0 and (chunk.startswith(ARCHIVE_MAGIC) or chunk[_TAR_MAGIC_AT:].startswith(b"ustar")):
                raise ArchiveError(f"{label}: member {member.filename!r} is an archive; upload one zip, unnested")
            written += len(chunk)
            if written > budget:
                if total + written > limits.max_total_bytes:
                    raise ArchiveError(f"{label} unpacks to more than {limits.max_total_bytes:,} bytes")
                raise ArchiveError(
                    f"{label}: member {member.filename!r} expands more than {limits.max_ratio:g}× "
                    "(a zip bomb, or data that is not logs)"
                )
            sink.write(chunk)
    return total + written


def _empty(folder: Path) -> None:
    for child in folder.iterdir() if folder.is_dir() else ():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def zip_folder(folder: Path) -> bytes:
    """A run folder as zip bytes (relative paths, regular files only): how a run's logs are stored."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                zipped.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
