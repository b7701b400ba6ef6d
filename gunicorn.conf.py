"""gunicorn settings used by `make run` and by `make bench` (one place, so the bench measures what runs).

One single-threaded worker per core plus one: a request costs ~8 ms of CPU, and threads inside one worker
only fight over the GIL (measured in `make bench`: p95 about 1.5x worse with 2 workers x 4 threads).
"""
import multiprocessing
import os
from pathlib import Path

PORT = os.environ.get("PORT", "8000")
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", Path(__file__).resolve().parent / "instance"))

bind = f"127.0.0.1:{PORT}"
workers = int(os.environ.get("WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("THREADS", "1"))
timeout = 120  # a 50,000-row export takes several seconds
accesslog = os.environ.get("ACCESS_LOG", "-")
# gunicorn (25.1+) opens a control socket for `gunicornc`. Its default ($XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl) is one path for every instance of the user: a second instance unlinks the first's
# socket and takes it over, and whichever stops first removes it. Each instance gets its own, beside its data.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", str(INSTANCE_DIR / f"gunicorn-{PORT}.ctl"))
