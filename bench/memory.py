"""Subprocess: import one file through the app's endpoint and print the peak RSS (MB) and seconds.

Usage: python -m bench.memory DB_PATH INSTANCE_DIR XLSX_PATH
"""
import resource
import sys
import time
from pathlib import Path


def main():
    """Run one import in this fresh process and report its peak memory."""
    from bench.setup import make_app, make_unit

    db_path, instance, xlsx = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    app = make_app(db_path, instance)
    unit_id, cookie, csrf = make_unit(app)
    data = xlsx.read_bytes()
    import io

    client = app.test_client()
    name, _, value = cookie.partition("=")
    client.set_cookie(name, value)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    response = client.post("/groups/import", data={"file": (io.BytesIO(data), "big.xlsx")},
                           headers={"X-CSRFToken": csrf, "HX-Request": "true"},
                           content_type="multipart/form-data")
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ok = response.status_code == 200 and "导入成功" in response.get_data(as_text=True)
    print(f"{peak:.1f} {baseline:.1f} {elapsed:.3f} {int(ok)} {unit_id}")


if __name__ == "__main__":
    main()
