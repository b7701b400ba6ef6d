"""A streamed zip of files whose size and CRC-32 are known before sending (the CRC is computed once, at upload).

Every entry is stored (scans, PDFs and Office files are compressed already) with its size and CRC in the local header,
so the archive needs no data descriptors and no byte of a file is inspected on the way out: the response is a few
headers plus the files' bytes, read in 1 MiB chunks when the archive reaches them, and its length is known before the
first byte. Zip64 records (APPNOTE 4.5.3, 4.3.14) are written where a size, an offset or the entry count needs them.
Files without a known CRC (stored before it was recorded) are read once more to compute it when they are added.
"""
import struct
import zlib
from dataclasses import dataclass

CHUNK = 1024 * 1024
LIMIT = 0xFFFFFFFF
UTF8 = 0x0800
VERSION = 20
VERSION_ZIP64 = 45
MADE_BY_UNIX = 3 << 8
FILE_MODE = 0o100644 << 16

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")


class SizeChanged(RuntimeError):
    """A file changed size on disk between listing and sending; the stream stops rather than lie."""


@dataclass
class _Member:
    header: bytes
    data: bytes | None
    path: str | None
    size: int


def file_crc32(path):
    """The CRC-32 of a file on disk, read in 1 MiB chunks."""
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _dos_time(moment):
    """The DOS date and time fields of a datetime (seconds halved, as the format has it)."""
    year = min(max(moment.year, 1980), 2107)
    date = (year - 1980) << 9 | moment.month << 5 | moment.day
    time = moment.hour << 11 | moment.minute << 5 | moment.second // 2
    return date, time


class StoredZip:
    """Add bytes and files, then send: iterate it for the bytes; len() is the Content-Length."""

    def __init__(self, moment, force_zip64=False):
        self._date, self._time = _dos_time(moment)
        self._force64 = force_zip64
        self._members, self._central, self._offset = [], [], 0

    def add_bytes(self, arcname, data):
        """A small member held in memory (清单.xlsx)."""
        self._add(arcname, len(data), zlib.crc32(data), data=data)

    def add_file(self, arcname, path, size, crc=None):
        """A file on disk, sent in chunks when the archive reaches it; its CRC is read now if unknown."""
        self._add(arcname, size, file_crc32(path) if crc is None else crc, path=path)

    def _add(self, arcname, size, crc, data=None, path=None):
        name = arcname.encode("utf-8")
        big = self._force64 or size >= LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, size) if big else b""
        shown = LIMIT if big else size
        version = VERSION_ZIP64 if big else VERSION
        header = _LOCAL.pack(0x04034B50, version, UTF8, 0, self._time, self._date, crc, shown, shown,
                             len(name), len(extra)) + name + extra
        self._members.append(_Member(header, data, path, size))
        self._central.append((name, size, crc, self._offset))
        self._offset += len(header) + size

    def _directory(self):
        """The central directory and the end records (Zip64 ones when needed)."""
        parts = []
        for name, size, crc, offset in self._central:
            big_size = self._force64 or size >= LIMIT
            big_offset = self._force64 or offset >= LIMIT
            fields = ([size, size] if big_size else []) + ([offset] if big_offset else [])
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
            version = VERSION_ZIP64 if fields else VERSION
            shown = LIMIT if big_size else size
            parts.append(_CENTRAL.pack(0x02014B50, MADE_BY_UNIX | version, version, UTF8, 0, self._time,
                                       self._date, crc, shown, shown, len(name), len(extra), 0, 0, 0, FILE_MODE,
                                       LIMIT if big_offset else offset) + name + extra)
        directory = b"".join(parts)
        start, count = self._offset, len(self._central)
        end = b""
        big = self._force64 or count >= 0xFFFF or start >= LIMIT or len(directory) >= LIMIT
        if big:
            end64_at = start + len(directory)
            end += _END64.pack(0x06064B50, 44, MADE_BY_UNIX | VERSION_ZIP64, VERSION_ZIP64, 0, 0, count, count,
                               len(directory), start)
            end += _LOCATOR64.pack(0x07064B50, 0, end64_at, 1)
        shown_count = 0xFFFF if big else count
        end += _END.pack(0x06054B50, 0, 0, shown_count, shown_count, LIMIT if big else len(directory),
                         LIMIT if big else start, 0)
        return directory + end

    def __len__(self):
        return self._offset + len(self._directory())

    def __iter__(self):
        for member in self._members:
            yield member.header
            if member.data is not None:
                yield member.data
                continue
            sent = 0
            with open(member.path, "rb") as handle:
                while sent < member.size and (chunk := handle.read(min(CHUNK, member.size - sent))):
                    sent += len(chunk)
                    yield chunk
            if sent != member.size:
                raise SizeChanged(member.path)
        yield self._directory()
