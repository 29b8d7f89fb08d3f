"""gunicorn's settings, read from the working directory by `make run`, `bench/pages.py`, the
browser tests and the systemd unit of docs/operations.md. Sizes come from the environment
(`WEB_CONCURRENCY`, `WEB_THREADS`) or the command line.

A worker accepts only as many connections as it has threads, and closes each one after its
answer (no keep-alive). A new connection then waits in the kernel's queue until a worker has a
free thread, instead of being taken by a worker that is busy and queued behind its requests: the
two workers share the load by pulling it. With keep-alive and the default 1,000 connections a
worker, 20 clients split unevenly between the two workers for the life of their connections, and
the p95 of a saturated page was 1.4-1.9x its median instead of 1.2-1.5x (docs/performance.md).

Behind nginx (docs/operations.md) gunicorn sees one connection a request anyway, and browsers
keep theirs to nginx. Exposed directly, gunicorn is open to slow clients with or without these
settings: a connection that sends nothing holds a thread for 5 s, and one that ignores
"Connection: close" holds its worker's loop for up to 2 s of gunicorn's graceful close.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 0


def on_starting(server):
    """A worker takes no more connections than it has threads, however `threads` was given."""
    server.cfg.set("worker_connections", server.cfg.threads)
