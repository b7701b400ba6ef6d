"""The streamed zip of stored files: readable by zipfile and Info-ZIP, Zip64 when forced, CRC from the upload."""
import io
import os
import shutil
import subprocess
import zipfile
from datetime import datetime

import pytest

from app.core.storedzip import SizeChanged, StoredZip, file_crc32


@pytest.fixture
def files(tmp_path):
    paths = []
    for n, size in enumerate((0, 1, 100_003, 2 * 1024 * 1024 + 7)):
        path = tmp_path / f"f{n}"
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


@pytest.mark.parametrize("force_zip64", [False, True])
def test_the_archive_reads_back_with_its_announced_length(tmp_path, files, force_zip64):
    archive = StoredZip(datetime(2027, 4, 3, 10, 20, 31), force_zip64=force_zip64)
    archive.add_bytes("清单.xlsx", b"manifest")
    for n, path in enumerate(files):
        crc = None if n == 1 else file_crc32(path)  # a file stored before the CRC was recorded is read for it
        archive.add_file(f"单位（北京）/QCSB-2027-000{n}-成果/文件{n}.pdf", str(path), path.stat().st_size, crc)
    body = b"".join(archive)
    assert len(body) == len(archive)
    read = zipfile.ZipFile(io.BytesIO(body))
    assert read.testzip() is None  # every CRC checked against the bytes
    assert read.namelist()[0] == "清单.xlsx" and read.read("清单.xlsx") == b"manifest"
    for n, path in enumerate(files):
        info = read.getinfo(f"单位（北京）/QCSB-2027-000{n}-成果/文件{n}.pdf")
        assert info.compress_type == zipfile.ZIP_STORED and info.flag_bits & 0x800  # UTF-8 names
        assert read.read(info) == path.read_bytes()
    assert read.infolist()[0].date_time == (2027, 4, 3, 10, 20, 30)
    if shutil.which("unzip"):  # Info-ZIP, as a clerk's tools would read it
        target = tmp_path / "out.zip"
        target.write_bytes(body)
        result = subprocess.run(["unzip", "-t", str(target)], capture_output=True, text=True)
        assert result.returncode == 0 and "No errors detected" in result.stdout


def test_a_wrong_crc_is_caught_by_a_reader(files):
    archive = StoredZip(datetime(2027, 4, 3))
    archive.add_file("a.pdf", str(files[2]), files[2].stat().st_size, crc=1234)
    read = zipfile.ZipFile(io.BytesIO(b"".join(archive)))
    assert read.testzip() == "a.pdf"


def test_a_file_that_shrank_on_disk_stops_the_stream(files):
    archive = StoredZip(datetime(2027, 4, 3))
    archive.add_file("a.pdf", str(files[3]), files[3].stat().st_size, crc=file_crc32(files[3]))
    files[3].write_bytes(b"short")
    with pytest.raises(SizeChanged):
        b"".join(archive)


def test_an_upload_records_its_crc(app, tmp_path):
    import zlib

    from werkzeug.datastructures import FileStorage

    from app.core import uploads
    data = os.urandom(3 * 1024 * 1024 + 5)
    with app.test_request_context():
        received = uploads.receive(FileStorage(io.BytesIO(data), filename="报告.pdf"), 10 * 1024 * 1024)
        assert received.crc32 == zlib.crc32(data)
        row = uploads.store(b"%PDF-1.4 small", "pdf", "小.pdf", "declaration")
        assert row.crc32 == zlib.crc32(b"%PDF-1.4 small")
        uploads.discard(received)
