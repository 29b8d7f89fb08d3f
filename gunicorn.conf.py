"""gunicorn's settings, read from the working directory by `make run`, `bench/pages.py`, the
browser tests and the systemd unit of docs/operations.md. Sizes come from the environment.

A worker accepts only as many connections as it has threads, and closes each one after its
answer (no keep-alive). A new connection then waits in the kernel's queue until a worker has a
free thread, instead of being taken by a worker that is busy and queued behind its requests: the
two workers share the load by pulling it. With keep-alive and the default 1,000 connections a
worker, 20 clients split unevenly between the two workers for the life of their connections, and
the p95 of a saturated page was 1.4-1.9x its median instead of 1.2-1.4x (docs/performance.md).
Behind nginx (docs/operations.md) gunicorn sees one connection a request anyway, and browsers
keep theirs to nginx.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_connections = threads
keepalive = 0
