"""Subprocess: stream one unit's zip (1 GiB) through the app and read the same files from disk; print the peak
RSS growth (MB) during the download, both times (s) and the zip's size.

Usage: python -m bench.zipmem DB_PATH INSTANCE_DIR COOKIE UNIT_ID YEAR
"""
import sys
import time
from pathlib import Path

CHUNK = 1024 * 1024


def status_mb(field):
    """VmRSS / VmHWM of this process in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


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

    read_files(paths)  # the files in the page cache for both measurements, as on a server that just sent them
    floor_first = read_files(paths)
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset the peak RSS (VmHWM) to the current RSS
    baseline = status_mb("VmRSS")
    started = time.perf_counter()
    size = download()
    elapsed = time.perf_counter() - started
    growth = status_mb("VmHWM") - baseline
    floor = min(floor_first, read_files(paths))
    print(f"{growth:.1f} {elapsed:.3f} {floor:.3f} {size}")


if __name__ == "__main__":
    main()
