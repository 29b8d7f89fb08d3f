"""What a warm sandboxed interpreter would save (the stretch goal of issue 6; not in the scorer).

    .venv/bin/python bench/warm_start.py [--runs 10]

Alternating, `--runs` times each, the majority-vote reference solution on the seed data:

- cold: labeling.sandbox.run as the scorer runs it today (a fresh bubblewrap sandbox, a fresh
  interpreter that imports numpy and pandas when the code does);
- warm: the same bubblewrap command line (same namespaces, mounts, uid, limits), started
  ahead of time with a small front runner that imports numpy and pandas and then waits on a
  pipe; the clock starts when the code and input are put in its scratch directory and the
  configuration is written to the pipe, and stops when the sandbox has exited.

The warm variant is built here from the sandbox module's own command line; it only measures.
The last line is median(warm) / median(cold).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _env

# Imports what every submission imports, then reads its configuration from the pipe and runs the
# scorer's own runner (bound read-only next to it) exactly as a cold run would.
FRONT = b"""
import os, sys
import numpy, pandas
fd = int(sys.argv[1])
chunks = []
while True:
    chunk = os.read(fd, 65536)
    if not chunk:
        break
    chunks.append(chunk)
os.close(fd)
sys.argv = ["/opt/courseproj/runner.py", b"".join(chunks).decode()]
path = "/opt/courseproj/real_runner.py"
exec(compile(open(path).read(), path, "exec"), {"__name__": "__main__"})
"""


def memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def config_for(limits) -> dict:
    return {
        "code": "submission.py",
        "output": "summarized_data.csv",
        "inputs": ["raw_data.csv"],
        "limits": {**limits.rlimits(), "nproc": (limits.nproc, limits.nproc)},
    }


def cold(sandbox, tools, limits, code: bytes, raw: Path) -> float:
    with sandbox.Scratch() as scratch:
        started = time.perf_counter()
        scratch.add_bytes("submission.py", code)
        scratch.add_file("raw_data.csv", raw)
        result = sandbox.run(
            scratch, code="submission.py", output="summarized_data.csv", inputs=["raw_data.csv"],
            limits=limits, tools=tools,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        if result.exit_code != 0 or not (scratch.path / "summarized_data.csv").is_file():
            raise RuntimeError(f"cold run failed: {result}")
    return seconds


def warm(sandbox, tools, limits, code: bytes, raw: Path, head_start: float) -> float:
    with sandbox.Scratch() as scratch:
        front = memfd("front", FRONT)
        real = memfd("runner", sandbox.RUNNER_SOURCE.read_bytes())
        status_r, status_w = os.pipe2(os.O_CLOEXEC)
        go_r, go_w = os.pipe()
        command = sandbox._command(tools, scratch, limits, status_w, front, config_for(limits))
        command[-1] = str(go_r)  # the front runner reads its configuration from this pipe
        at = command.index("--ro-bind-data")
        command[at:at] = ["--ro-bind-data", str(real), "/opt/courseproj/real_runner.py"]
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(status_w, front, real, go_r), env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            cwd="/", start_new_session=True,
        )  # fmt: skip
        for fd in (go_r, status_w, front, real):
            os.close(fd)
        time.sleep(head_start)  # the worker is between two submissions: the imports happen now
        started = time.perf_counter()
        scratch.add_bytes("submission.py", code)
        scratch.add_file("raw_data.csv", raw)
        os.write(go_w, json.dumps(config_for(limits)).encode())
        os.close(go_w)
        _, err = proc.communicate(timeout=120)
        seconds = time.perf_counter() - started
        os.close(status_r)
        if proc.returncode != 0 or not (scratch.path / "summarized_data.csv").is_file():
            raise RuntimeError(f"warm run failed ({proc.returncode}): {err[-2000:].decode(errors='replace')}")
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--head-start", type=float, default=2.0, help="seconds the warm sandbox gets before")
    args = parser.parse_args(argv)
    _env.setup_django()
    from bench import _scoring
    from labeling import sandbox
    from tests.labeling.factories import seed_dir

    problem = _scoring.sandbox_ready()
    if problem:
        sys.exit(f"The sandbox cannot run here: {problem}")
    tools = sandbox.check_available()
    limits = sandbox.Limits(time_s=60, memory_mb=1024)
    code = _scoring.reference_code()
    raw = seed_dir() / "raw_data.csv"
    colds, warms = [], []
    for i in range(args.runs + 1):
        pair = (cold, warm) if i % 2 == 0 else (warm, cold)
        for kind in pair:
            if kind is cold:
                seconds = cold(sandbox, tools, limits, code, raw)
                if i:
                    colds.append(seconds)
            else:
                seconds = warm(sandbox, tools, limits, code, raw, args.head_start)
                if i:
                    warms.append(seconds)
        if i:
            print(f"run {i:2d}: cold {colds[-1]:.3f} s, warm {warms[-1]:.3f} s", flush=True)
    print(f"machine: {_env.machine()}")
    print(json.dumps({"cold_median_s": round(_env.median(colds), 3), "warm_median_s": round(_env.median(warms), 3)}))
    print(f"warm_start_ratio: {_env.median(warms) / _env.median(colds):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
