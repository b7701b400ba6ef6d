"""Bounded checks of ZIP containers (.xlsx, .docx, .pptx) before anything else opens them.

Declared sizes are not trusted: the directory is checked first (entry count, encryption, compression
method, declared sizes and ratios), then every entry is decompressed in chunks with a running byte count,
so a zip bomb is refused after at most `max_total` inflated bytes and one chunk of memory.
"""
import zipfile
from dataclasses import dataclass

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 1024 * 1024


class UnsafeFile(ValueError):
    """A refused file; str(self) is the Chinese message for the page."""


@dataclass(frozen=True)
class ZipLimits:
    """What one kind of container may hold; `verb` (导入/上传) and `resave` word the messages."""

    max_entries: int
    max_total: int
    max_entry: int
    max_ratio: int = 200  # inflated/compressed, for entries larger than ratio_floor
    ratio_floor: int = 1024 * 1024
    verb: str = "上传"
    resave: str = "请用Office/WPS重新保存后再试"

    def bomb(self):
        """The refusal of an oversized or over-compressed archive."""
        return UnsafeFile(f"文件解压后过大（疑似压缩炸弹），已拒绝{self.verb}。")

    def damaged(self):
        """The refusal of a stream that does not decompress."""
        return UnsafeFile(f"文件已损坏，无法读取；{self.resave}。")


def open_archive(source, limits, not_zip_message):
    """A ZipFile over bytes-like, path or file `source`, its directory checked; refuses with Chinese messages."""
    try:
        archive = zipfile.ZipFile(source)
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise UnsafeFile(not_zip_message) from exc
    check_directory(infos, limits)
    return archive


def check_directory(infos, limits):
    """Refuse by the central directory alone: too many entries, encryption, odd compression, declared bombs."""
    if len(infos) > limits.max_entries:
        raise UnsafeFile(f"文件结构异常（包含的部件过多），已拒绝{limits.verb}。")
    declared = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UnsafeFile(f"文件已加密，请去掉密码后再{limits.verb}。")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UnsafeFile(f"文件使用了不支持的压缩方式，{limits.resave}。")
        declared += info.file_size
        if info.file_size > limits.max_entry or declared > limits.max_total:
            raise limits.bomb()
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise UnsafeFile(f"文件压缩比异常（疑似压缩炸弹），已拒绝{limits.verb}。")


def inflate_entry(archive, info, limits, inflated_so_far=0, on_chunk=None):
    """Decompress one entry in chunks, counting real bytes against the limits; `on_chunk(chunk)` sees each chunk.

    `inflated_so_far` is what earlier entries inflated; returns the new total. Damaged streams become UnsafeFile.
    """
    size, total = 0, inflated_so_far
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(CHUNK):
                size += len(chunk)
                total += len(chunk)
                if size > limits.max_entry or total > limits.max_total:
                    raise limits.bomb()
                if on_chunk is not None:
                    on_chunk(chunk)
    except UnsafeFile:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, EOFError, CRC mismatch: a broken stream is a broken file
        raise limits.damaged() from exc
    return total


def inflate_all(archive, limits):
    """Decompress every entry once (bounded), to know the real sizes; returns the inflated total."""
    total = 0
    for info in archive.infolist():
        total = inflate_entry(archive, info, limits, total)
    return total
