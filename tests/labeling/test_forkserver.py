"""The warm sandbox Celery workers use (labeling/sandbox/warm.py): one bubblewrap sandbox whose PID 1
imports numpy and pandas once and forks a child per submission. What must hold: each child is
as isolated from the next as two sandboxes are (nothing it starts, writes or creates survives
it), it cannot touch the server, its limits and exit behave as in a run of its own, and the
worker replaces a server a run has retired. The whole malicious-submission suite also runs
through it: test_malicious_warm.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from labeling import pipeline, sandbox, services
from labeling.models import Status
from tests.labeling.factories import STARTER_CODE, make_challenge, seed_files

pytestmark = pytest.mark.django_db

LIMITS = sandbox.Limits(time_s=10, memory_mb=1024)


@pytest.fixture
def server(sandbox_tools, scratch_parent):
    server = sandbox.ForkServer(sandbox_tools, LIMITS)
    yield server
    server.close()
    assert list(scratch_parent.iterdir()) == [], "the server's scratch directory was not removed"


def run_in(server: sandbox.ForkServer, code: str, files: dict[str, bytes] | None = None):
    with server.job() as scratch:
        assert os.listdir(scratch.path) == []
        scratch.add_bytes("submission.py", code.encode())
        for name, data in (files or {}).items():
            scratch.add_bytes(name, data)
        result = server.run(code="submission.py", output="summarized_data.csv", inputs=["raw_data.csv"])
        written = sorted(os.listdir(scratch.path))
    return result, written


def processes_with(marker: bytes) -> list[int]:
    """Processes on this machine whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_one_server_runs_one_submission_after_another_with_pandas_imported(server, scratch_parent):
    raw, _ = seed_files()
    probe = "import sys\nprint('pandas' in sys.modules, flush=True)\n" + STARTER_CODE.decode()
    pid = server.proc.pid
    for _ in range(3):
        result, written = run_in(server, probe, {"raw_data.csv": raw})
        assert result.exit_code == 0, result.stderr[-2000:]
        assert result.stdout.strip() == b"True" and "summarized_data.csv" in written
    assert server.runs == 3 and server.proc.pid == pid and server.proc.poll() is None
    assert server.usable_for(server.tools, LIMITS)
    # A quick run costs milliseconds, not an interpreter start and imports.
    result, _ = run_in(server, "pass\n")
    assert result.exit_code == 0 and result.runtime_s < 0.5


SECRET_KEEPER = """
import ctypes, os, sys, time
secret = {secret!r}
os.makedirs('/tmp/deep/er', exist_ok=True)
open('/tmp/deep/er/s.txt', 'w').write(secret)
os.chmod('/tmp/deep/er', 0)
os.chmod('/tmp/deep', 0)
open('/dev/shm/s.txt', 'w').write(secret)
open('kept.txt', 'w').write(secret)
os.mkdir('locked'); os.chmod('locked', 0)
libc = ctypes.CDLL(None, use_errno=True)
print('SHM', libc.shmget(0x5ec, 4096, 0o1666), ctypes.get_errno())  # refused by the system-call filter
print('SEM', libc.semget(0x5ec, 1, 0o1666))
libc.mq_open.restype = ctypes.c_int
print('MQ', libc.mq_open(b'/kept', os.O_CREAT | os.O_RDWR, 0o600, None), ctypes.get_errno())
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])
    os._exit(0)
os.chmod('.', 0)
print('LEFT', flush=True)
"""

SECRET_SEEKER = """
import os, stat
print('PIDS', sorted(p for p in os.listdir('/proc') if p.isdigit() and p != str(os.getpid())))
print('TMP', os.listdir('/tmp'), oct(stat.S_IMODE(os.stat('/tmp').st_mode)))
print('SHMDIR', os.listdir('/dev/shm'))
print('HERE', sorted(os.listdir('.')))
print('SYSV', [line.split()[1] for kind in ('shm', 'sem') for line in list(open(f'/proc/sysvipc/{kind}'))[1:]])
"""


def test_nothing_a_submission_leaves_reaches_the_next(server, sandbox_tools):
    secret = "secret-" + os.urandom(6).hex()
    marker = f"kept-{os.getpid()}-{time.monotonic_ns()}"
    first, _ = run_in(server, SECRET_KEEPER.format(secret=secret, marker=marker))
    assert first.exit_code == 0, first.stderr[-2000:]
    assert b"LEFT" in first.stdout and b"SEM -1" not in first.stdout  # it did leave all that behind
    assert b"SHM -1 1" in first.stdout  # EPERM: System V shared memory is refused
    assert b"MQ -1 24" in first.stdout  # POSIX message queues refused (EMFILE: RLIMIT_MSGQUEUE is 0)
    assert processes_with(marker.encode()) == []  # its daemon was killed when it exited
    second, written = run_in(server, SECRET_SEEKER)
    assert second.exit_code == 0, second.stderr[-2000:]
    out = second.stdout.decode()
    assert "PIDS ['1']" in out  # only the server
    assert "TMP [] 0o1777" in out and "SHMDIR []" in out and "SYSV []" in out
    assert "HERE ['submission.py']" in out
    assert secret not in out and server.runs == 2 and server.broken is None


def test_a_submission_cannot_touch_the_server(server):
    code = """
import ctypes, os, signal
for sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM, signal.SIGINT, signal.SIGSEGV):
    os.kill(1, sig)
libc = ctypes.CDLL(None, use_errno=True)
print('PTRACE', libc.ptrace(16, 1, None, None), ctypes.get_errno())  # PTRACE_ATTACH
for name in ('mem', 'environ', 'fd', 'maps'):
    try:
        os.listdir('/proc/1/fd') if name == 'fd' else open(f'/proc/1/{name}', 'rb').read(1)
        print('OPEN', name)
    except PermissionError:
        print('DENIED', name)
print('CAPS', open('/proc/self/status').read().split('CapEff:')[1].split()[0])
print('FDS', sorted(os.listdir('/proc/self/fd')))
"""
    result, _ = run_in(server, code)
    out = result.stdout.decode()
    assert result.exit_code == 0, result.stderr[-2000:]
    assert "PTRACE -1 1" in out  # EPERM
    assert "OPEN" not in out and out.count("DENIED") == 4
    assert "CAPS 0000000000000000" in out
    assert "FDS ['0', '1', '2', '3']" in out  # stdin, its own stdout and stderr (3: the listing itself)
    again, _ = run_in(server, "print('still serving')\n")
    assert again.stdout.strip() == b"still serving" and server.runs == 2


def test_a_run_ends_as_python_would_end_it(server):
    code = """
import atexit, sys, threading, time
atexit.register(lambda: print('atexit ran', flush=True))
threading.Thread(target=lambda: (time.sleep(0.3), print('thread finished', flush=True))).start()
sys.exit(7)
"""
    result, _ = run_in(server, code)
    assert result.exit_code == 7
    assert result.stdout.decode().split() == ["thread", "finished", "atexit", "ran"]
    result, _ = run_in(server, "import sys\nsys.exit('a message')\n")
    assert result.exit_code == 1 and b"a message" in result.stderr
    result, _ = run_in(server, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    assert result.signal == 11 and result.exit_code is None
    result, _ = run_in(server, "raise ValueError('broken')\n")
    assert result.exit_code == 1 and b"ValueError: broken" in result.stderr


def test_limits_are_each_runs_own(server):
    probe = (
        "import numpy, resource\n"
        "u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(u.ru_utime + u.ru_stime, resource.getrlimit(resource.RLIMIT_CPU)[0], numpy.random.rand())\n"
    )
    first, _ = run_in(server, probe)
    second, _ = run_in(server, probe)
    used, cpu_limit, random_first = first.stdout.split()
    assert float(used) < 0.1  # the imports were the server's, not this process's
    assert int(cpu_limit) == LIMITS.rlimits()["cpu"][0]
    assert second.stdout.split()[2] != random_first  # numpy's random state is not the server's copy


def test_a_run_stopped_for_time_retires_the_server_and_leaves_nothing(server, scratch_parent):
    marker = f"endless-{os.getpid()}-{time.monotonic_ns()}"
    limits = sandbox.Limits(time_s=2, memory_mb=1024)
    short = sandbox.ForkServer(server.tools, limits)
    try:
        code = (
            "import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'while True: pass', {marker!r}])\n"
            "while True:\n    pass\n"
        )
        result, _ = run_in(short, code)
        assert result.killed == "time" and limits.time_s <= result.runtime_s < limits.time_s + 2
        assert short.broken and not short.usable_for(short.tools, limits)
        assert short.proc.poll() is not None  # the whole sandbox is gone
        assert processes_with(marker.encode()) == []
    finally:
        short.close()


def test_the_worker_pipeline_scores_through_one_warm_server(people, sandbox_tools, scratch_parent, monkeypatch):
    monkeypatch.setattr(pipeline.warm_sandbox, "enabled", True)
    challenge = make_challenge(people.course, time_limit_s=5)
    submissions = [services.submit(challenge, people.member, STARTER_CODE, "starter.py") for _ in range(2)]
    endless = services.submit(challenge, people.member, b"while True:\n    pass\n", "endless.py")
    try:
        for submission in submissions:
            assert pipeline.score(submission.pk, worker="w") == Status.SCORED
        last = services.submit(challenge, people.member, STARTER_CODE, "starter.py")
        server = pipeline.warm_sandbox.server
        assert server.runs == 2 and server.usable_for(sandbox_tools, sandbox.Limits.for_challenge(challenge))
        assert pipeline.score(endless.pk, worker="w") == Status.TIMED_OUT
        assert server.broken and pipeline.warm_sandbox.server is not server  # replaced right after the run
        assert pipeline.score(last.pk, worker="w") == Status.SCORED
        assert pipeline.warm_sandbox.server.runs == 1
    finally:
        pipeline.warm_sandbox.discard()
    last.refresh_from_db()
    assert last.score == 406 / 440
    assert list(scratch_parent.iterdir()) == []


# Settings of the server (PID 1, same uid) a child can change from outside, and marks it can
# leave on the shared folders themselves: each must retire the server before another child runs.
TAMPERING = {
    "rlimit": "import resource\nresource.prlimit(1, resource.RLIMIT_DATA, (300 << 20, 300 << 20))\n",
    "hard rlimit": "import resource\nresource.prlimit(1, resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))\n",
    "nice": "import os\nos.setpriority(os.PRIO_PROCESS, 1, 19)\n",
    "scheduler": "import os\nos.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0))\n",
    "affinity": "import os\nos.sched_setaffinity(1, {min(os.sched_getaffinity(1))})\n",
    "ioprio": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "assert libc.syscall(251, 1, 1, (3 << 13)) == 0, ctypes.get_errno()\n"  # ioprio_set: idle class
    ),
    "xattr on /tmp": "import os\nos.setxattr('/tmp', 'user.note', b'was here')\n",
    "xattr on /dev/shm": "import os\nos.setxattr('/dev/shm', 'user.note', b'was here')\n",
    "default ACL on /tmp": (
        "import os, struct\n"
        "acl = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', t, 0, 0xFFFFFFFF) for t in (1, 4, 0x20))\n"
        "os.setxattr('/tmp', 'system.posix_acl_default', acl)\n"
    ),
    "xattr on the scratch directory": "import os\nos.setxattr('.', 'user.note', b'was here')\n",
}


@pytest.mark.parametrize("code", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_run_that_marks_the_server_or_its_folders_retires_it(server, code):
    result, _ = run_in(server, "print('first')\n")
    assert result.exit_code == 0 and server.broken is None
    result, _ = run_in(server, code + "print('done')\n")
    assert result.exit_code == 0 and result.stdout.strip() == b"done", result.stderr[-2000:]
    assert server.broken and not server.usable_for(server.tools, LIMITS)
    assert server.proc.poll() is not None  # the whole sandbox is gone: no later child inherits it


def test_keys_in_the_keyrings_do_not_reach_the_next_submission(server):
    # The system-call filter refuses add_key, keyctl and request_key to the children and the server.
    add = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.syscall.restype = ctypes.c_long\n"
        "for ring in (-3, -4, -5):\n"
        "    key = libc.syscall(248, b'user', b'note%d' % -ring, b'secret', 6, ctypes.c_long(ring))\n"
        "    print(key, ctypes.get_errno(), end=' ')\n"
    )
    look = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.syscall.restype = ctypes.c_long\n"
        "for ring in (-3, -4, -5):\n"
        "    print(libc.syscall(249, b'user', b'note%d' % -ring, None, ctypes.c_long(0)), end=' ')\n"
    )
    first, _ = run_in(server, add)
    assert first.stdout.split() == [b"-1", b"1"] * 3  # EPERM: no keyring takes a key
    second, _ = run_in(server, look)
    assert second.stdout.split() == [b"-1"] * 3  # request_key finds none of them
    assert server.broken is None and server.runs == 2


def test_a_run_interrupted_by_the_worker_retires_the_server(server):
    marker = f"interrupted-{os.getpid()}-{time.monotonic_ns()}"

    def heartbeat():
        raise RuntimeError("the database went away")

    code = f"import sys, time\nsys.argv.append({marker!r})\ntime.sleep(30)\n"
    with pytest.raises(RuntimeError), server.job() as scratch:
        scratch.add_bytes("submission.py", code.encode())
        server.run(code="submission.py", output="out.csv", inputs=[], heartbeat=heartbeat, heartbeat_every=0.5)
    assert server.broken and server.proc.poll() is not None
    assert os.listdir(server.scratch.path) == []
