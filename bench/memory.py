"""Memory: the peak RSS of a scoring worker process after 200 scorings against after 10.

    .venv/bin/python bench/memory.py [--scorings 200] [--early 10]

One Celery worker node with one pool process (Redis db 12, a fresh cp_bench database) scores
the seed challenge's submissions: eight in ten the majority-vote solution (each a different
file), one in ten code that crashes, one in ten code that writes the wrong table, so every
path of the pipeline runs from the start. The pool process runs every task; its peak resident
set (VmHWM in /proc) is read after the first 10 scorings and again after 200. The submitted
code itself runs in the sandbox, in other processes; this measures what the worker keeps.

The worker's warm sandbox (labeling/sandbox/warm.py) is a process of its own: its peak is read at
the same points and reported beside (it serves at most 200 submissions, then is replaced, so its
ratio compares the last reading of the same server with the one after 10).

The last line is peak(200) / peak(10); target ≤ 1.2 (no leak).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _env, _scoring

BROKER = _env.REDIS_URLS[1]
TARGET = 1.2
BATCH = 25


def code_for(i: int) -> tuple[bytes, str]:
    if i % 10 == 3:
        return _scoring.FAILING_CODE + f"# {i}\n".encode(), "failed"
    if i % 10 == 7:
        return _scoring.INVALID_CODE + f"# {i}\n".encode(), "invalid_output"
    return _scoring.reference_code(i), "scored"


def score_range(seed, start: int, stop: int) -> dict[str, int]:
    """Submit and score submissions start..stop-1 (in batches, spread over the students)."""
    outcomes: dict[str, int] = {}
    for batch in range(start, stop, BATCH):
        ids, expected = [], {}
        for i in range(batch, min(batch + BATCH, stop)):
            code, status = code_for(i)
            sub = _scoring.submit(seed.challenge, seed.students[i % len(seed.students)], code)
            ids.append(sub.pk)
            expected[sub.pk] = status
        for sub in _scoring.wait_terminal(ids, timeout=1800, interval=0.5):
            if sub.status != expected[sub.pk]:
                raise RuntimeError(f"submission {sub.pk} ended {sub.status}, not {expected[sub.pk]}: {sub.message}")
            outcomes[sub.status] = outcomes.get(sub.status, 0) + 1
    return outcomes


def warm_server(pool_pid: int) -> tuple[int, float] | None:
    """(pid, peak MB) of the warm sandbox's server, a descendant of the pool process."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    stack = list(children.get(pool_pid, []))
    while stack:
        pid = stack.pop()
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            # The server itself (the sandbox's python), not bubblewrap, whose arguments hold the same line.
            if command[0].endswith(b"/python") and b'"serve_fd"' in command[-2]:
                return pid, _scoring.peak_rss_mb(pid)
        except (OSError, RuntimeError):
            continue
        stack.extend(children.get(pid, []))
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scorings", type=int, default=200)
    parser.add_argument("--early", type=int, default=10)
    args = parser.parse_args(argv)

    _scoring.setup(BROKER)
    problem = _scoring.sandbox_ready()
    if problem:
        sys.exit(f"The sandbox cannot run here: {problem}")
    seed = _scoring.make_seed(students=4, daily_limit=1000, max_queued=BATCH)
    with _scoring.Workers(BROKER, ["memory"], concurrency=1) as nodes:
        (pid,) = nodes.pool_pids()
        main_pid = nodes.procs[0].pid
        before = {"peak_mb": _scoring.peak_rss_mb(pid), "rss_mb": _scoring.rss_mb(pid)}
        outcomes = score_range(seed, 0, args.early)
        early = {"peak_mb": _scoring.peak_rss_mb(pid), "rss_mb": _scoring.rss_mb(pid)}
        servers = [(args.early, *(warm_server(pid) or (None, None)))]
        print(f"after {args.early}: {early}; warm sandbox (pid, peak MB): {servers[-1][1:]}", flush=True)
        for part in range(args.early, args.scorings, 50):
            for status, n in score_range(seed, part, min(part + 50, args.scorings)).items():
                outcomes[status] = outcomes.get(status, 0) + n
            servers.append((min(part + 50, args.scorings), *(warm_server(pid) or (None, None))))
            print(
                f"after {servers[-1][0]}: peak {_scoring.peak_rss_mb(pid):.1f} MB; warm sandbox {servers[-1][1:]}",
                flush=True,
            )
        late = {"peak_mb": _scoring.peak_rss_mb(pid), "rss_mb": _scoring.rss_mb(pid)}
        if nodes.pool_pids() != [pid]:
            raise RuntimeError("the pool process was replaced during the run; the measurement is void")
        main_peak = _scoring.peak_rss_mb(main_pid)
    ratio = late["peak_mb"] / early["peak_mb"]
    first_server = servers[0][1]
    same = [entry for entry in servers if entry[1] == first_server and entry[2]]
    server_ratio = same[-1][2] / same[0][2] if first_server and len(same) > 1 else None
    report = {
        "warm_sandbox": {"readings": servers, "same_server_ratio": server_ratio and round(server_ratio, 3)},
        "pool_process": {"at_start": before, f"after_{args.early}": early, f"after_{args.scorings}": late},
        "node_main_process_peak_mb": round(main_peak, 1),
        "outcomes": outcomes,
    }
    print(f"machine: {_env.machine()}")
    print(json.dumps(report))
    print(
        f"peak RSS of the worker process: {early['peak_mb']:.1f} MB after {args.early} scorings, "
        f"{late['peak_mb']:.1f} MB after {args.scorings}; target ratio <= {TARGET}: "
        f"{'met' if ratio <= TARGET else 'NOT met'}"
    )
    _env.drop_database()
    _env.flush_redis(BROKER)
    shutil.rmtree(_env.VAR_DIR, ignore_errors=True)
    print(f"memory_peak_ratio: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
