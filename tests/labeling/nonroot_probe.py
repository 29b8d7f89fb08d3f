"""Run by test_sandbox.py as an ordinary (non-root) user: the scorer's sandbox the way a
production worker runs it. Prints one JSON object describing what happened."""

import json
import os
import sys
import time

import django

django.setup()

from labeling import sandbox, scoring  # noqa: E402

IDENTITY = """
import os, resource, sys
print(os.getuid(), os.getgid(), os.getgroups())
print(open("/proc/self/status").read().split("CapEff:")[1].split()[0])
print(resource.getrlimit(resource.RLIMIT_NPROC)[0], resource.getrlimit(resource.RLIMIT_AS)[0])
kids = 0
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        import time
        time.sleep(3)
        os._exit(0)
    kids += 1
print("forked", kids)
open("out.csv", "w").write("attr_id,adj,label\\na,x,True\\n")
"""
SLEEPER = "import time\ntime.sleep(600)\n"


def run(code: str, time_s: float):
    with sandbox.Scratch() as scratch:
        scratch.add_bytes("submission.py", code.encode())
        started = time.monotonic()
        result = sandbox.run(
            scratch, code="submission.py", output="out.csv", inputs=[], limits=sandbox.Limits(time_s, 512, nproc=32)
        )
        try:
            output = scoring.open_output(scratch.fd, "out.csv").decode()
        except scoring.TableError as exc:
            output = exc.problems[0]
        path = str(scratch.path)
    return {
        "exit_code": result.exit_code,
        "signal": result.signal,
        "killed": result.killed,
        "setup_error": result.setup_error,
        "stdout": result.stdout.decode(),
        "stderr": result.stderr.decode()[-2000:],
        "output": output,
        "elapsed": time.monotonic() - started,
        "scratch_left": os.path.exists(path),
    }


tools = sandbox.check_available()
print(
    json.dumps(
        {
            "worker_uid": os.getuid(),
            "setpriv": tools.setpriv,
            "identity": run(IDENTITY, 20),
            "sleeper": run(SLEEPER, float(sys.argv[1]) if len(sys.argv) > 1 else 2.0),
        }
    )
)
