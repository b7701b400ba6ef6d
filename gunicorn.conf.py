"""gunicorn settings used by `make run` and by `make bench` (one place, so the bench measures what runs).

One single-threaded worker per core plus one: a request costs ~8 ms of CPU, and threads inside one worker
only fight over the GIL (measured in `make bench`: p95 about 1.5x worse with 2 workers x 4 threads).
"""
import multiprocessing
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("THREADS", "1"))
timeout = 120  # a 50,000-row export takes several seconds
accesslog = os.environ.get("ACCESS_LOG", "-")
