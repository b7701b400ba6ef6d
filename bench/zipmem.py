"""Subprocess: stream one unit's zip (1 GiB) through the app and read the same files from disk; print the peak
RSS growth (MB) during the downloads, the median times (s) of 5 alternated rounds from disk (these files evicted
from the page cache first) and from the page cache, and the zip's size.

Usage: python -m bench.zipmem DB_PATH INSTANCE_DIR COOKIE UNIT_ID YEAR
"""
import os
import statistics
import sys
import time
from pathlib import Path

CHUNK = 1024 * 1024
ROUNDS = 5


def status_mb(field):
    """VmRSS / VmHWM of this process in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def evict(paths):
    """Drop these files (only these) from the page cache, so the next read comes from the disk."""
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def read_files(paths):
    """The floor: read every file in 1 MiB chunks; returns seconds."""
    started = time.perf_counter()
    for path in paths:
        with open(path, "rb") as handle:
            while handle.read(CHUNK):
                pass
    return time.perf_counter() - started


def main():
    """One warm-up, then floor, zip, floor; the zip's peak RSS growth is measured from a reset high-water mark."""
    from bench.setup import make_app
    from app.core.extensions import db
    from app.models import StoredFile

    db_path, instance, cookie, unit_id, year = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    app = make_app(db_path, instance)
    with app.app_context():
        names = db.session.execute(db.select(StoredFile.stored_name).where(StoredFile.stored_name.like("zip-%"))
                                   ).scalars().all()
    paths = [instance / "uploads" / name for name in names]
    client = app.test_client()
    name, _, value = cookie.partition("=")
    client.set_cookie(name, value)
    url = f"/admin/declarations/units/{unit_id}/download.zip?year={year}"

    def download():
        response = client.get(url, buffered=False)
        assert response.status_code == 200, response.status_code
        size = 0
        for chunk in response.response:
            size += len(chunk)
        response.close()
        assert size == int(response.headers["Content-Length"])
        return size

    def timed(action):
        started = time.perf_counter()
        action()
        return time.perf_counter() - started

    cold_floors, cold_zips, warm_floors, warm_zips, growths = [], [], [], [], []
    for _ in range(ROUNDS):  # alternated, so a burst of load elsewhere hits both sides alike
        evict(paths)
        cold_floors.append(read_files(paths))
        evict(paths)
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # reset the peak RSS (VmHWM) to the current RSS
        baseline = status_mb("VmRSS")
        cold_zips.append(timed(download))
        growths.append(status_mb("VmHWM") - baseline)
        warm_floors.append(read_files(paths))  # now in the page cache: the zip's own cost shows (copying)
        warm_zips.append(timed(download))
    size = download()
    growth = max(growths)
    cold_zip, cold_floor = statistics.median(cold_zips), statistics.median(cold_floors)
    warm_zip, warm_floor = statistics.median(warm_zips), statistics.median(warm_floors)
    print(f"{growth:.1f} {cold_zip:.3f} {cold_floor:.3f} {warm_zip:.3f} {warm_floor:.3f} {size}")


if __name__ == "__main__":
    main()
