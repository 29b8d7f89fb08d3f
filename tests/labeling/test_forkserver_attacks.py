"""Attacks on the warm sandbox (labeling/sandbox/warm.py), each with the real server: a child that
tries to leave code for the next one, to read what the previous one had, or to stall the server.
Each either fails or retires the server, and the next submission then gives exactly what it
gives in a sandbox of its own (its output byte for byte, exit status 0)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from labeling import sandbox
from labeling.sandbox import memwatch
from tests.labeling.factories import seed_files
from tests.labeling.test_forkserver import LIMITS, processes_with, run_in
from tests.labeling.test_sandbox import majority

pytestmark = pytest.mark.django_db

# The next submission: the majority vote (vectorized), which also prints what it sees.
NEXT = (
    "import os, sys\n"
    "print('ENV', sorted(os.environ))\n"
    "print('TMP', sorted(os.listdir('/tmp')), sorted(os.listdir('/dev/shm')), sorted(os.listdir('.')))\n" + majority()
)


@pytest.fixture(scope="module")
def alone():
    """What NEXT gives in a sandbox of its own: (stdout, the output file)."""
    raw, _ = seed_files()
    tools = sandbox.check_available()
    with sandbox.Scratch() as scratch:
        scratch.add_bytes("submission.py", NEXT.encode())
        scratch.add_bytes("raw_data.csv", raw)
        result = sandbox.run(
            scratch, code="submission.py", output="summarized_data.csv", inputs=["raw_data.csv"], limits=LIMITS,
            tools=tools,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr[-2000:]
        return result.stdout, (scratch.path / "summarized_data.csv").read_bytes()


@pytest.fixture
def server(sandbox_tools, scratch_parent):
    servers = [sandbox.ForkServer(sandbox_tools, LIMITS)]
    yield servers
    for one in servers:
        one.close()
    assert list(scratch_parent.iterdir()) == []


def attack_then_next(servers: list, code: str, files: dict[str, bytes] | None = None):
    """Run the attack in the server, then NEXT in it or, if the attack retired it, in a new one
    (as the worker would). Returns (the attack's result, whether it retired the server, NEXT's
    result and output file)."""
    attacked = servers[-1]
    result, _ = run_in(attacked, code, files)
    retired = attacked.broken is not None
    if retired:
        servers.append(sandbox.ForkServer(attacked.tools, LIMITS))
    raw, _ = seed_files()
    current = servers[-1]
    with current.job() as scratch:
        scratch.add_bytes("submission.py", NEXT.encode())
        scratch.add_bytes("raw_data.csv", raw)
        after = current.run(code="submission.py", output="summarized_data.csv", inputs=["raw_data.csv"])
        output = (scratch.path / "summarized_data.csv").read_bytes() if after.exit_code == 0 else b""
    return result, retired, after, output


def assert_as_if_alone(after, output, alone):
    assert after.exit_code == 0, after.stderr[-2000:]
    assert (after.stdout, output) == alone


class TestLeavingCodeForTheNext:
    def test_a_forked_grandchild_does_not_survive_to_tamper_with_the_next_run(self, server, alone):
        marker = f"lurker-{os.getpid()}-{time.monotonic_ns()}"
        lurker = (
            "import os, time\n"
            "for _ in range(600):\n"
            "    for name in ('summarized_data.csv', 'submission.py', 'raw_data.csv'):\n"
            "        try:\n            open(name, 'w').write('attr_id,adj,label\\n')\n"
            "        except OSError:\n            pass\n"
            "    time.sleep(0.05)\n"
        )
        code = (
            "import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            f"        os.execv(sys.executable, [sys.executable, '-c', {lurker!r}, {marker!r}])\n"
            "    os._exit(0)\nprint('left')\n"
        )
        result, _, after, output = attack_then_next(server, code)
        assert result.exit_code == 0 and b"left" in result.stdout
        assert processes_with(marker.encode()) == []
        assert_as_if_alone(after, output, alone)

    def test_files_in_every_writable_place_are_gone(self, server, alone):
        # It looks for every folder it may write to, and leaves a module that shadows the ones
        # NEXT imports, a .pth and a sitecustomize in each.
        code = """
import os
written = []
for folder, dirs, files in os.walk('/'):
    if folder.startswith(('/proc', '/sys')):
        dirs[:] = []
        continue
    if os.access(folder, os.W_OK):
        for name in ('pandas.py', 'os.py', 'sitecustomize.py', 'planted.pth', '.hidden'):
            try:
                with open(os.path.join(folder, name), 'w') as f:
                    f.write('import sys; print("PLANTED"); sys.exit(3)\\n')
                written.append(folder)
            except OSError:
                pass
print('WROTE', sorted(set(written)))
"""
        result, _, after, output = attack_then_next(server, code)
        assert result.exit_code == 0
        places = eval(result.stdout.decode().split("WROTE ", 1)[1])
        assert places == ["/dev/shm", "/scratch", "/tmp"]  # every writable place there is
        assert b"PLANTED" not in after.stdout
        assert_as_if_alone(after, output, alone)

    def test_environment_tricks_do_not_reach_the_server_or_the_next(self, server, alone):
        code = """
import os
open('/tmp/evil.so', 'wb').write(b'\\x7fELF')
for name, value in [('LD_PRELOAD', '/tmp/evil.so'), ('LD_LIBRARY_PATH', '/tmp'), ('PYTHONPATH', '/tmp'),
                    ('PYTHONSTARTUP', '/tmp/x.py'), ('PYTHONINSPECT', '1')]:
    os.environ[name] = value
    os.putenv(name, value)
for path in ('/proc/1/environ', '/proc/1/mem'):
    try:
        open(path, 'r+b').write(b'LD_PRELOAD=/tmp/evil.so\\0')
        print('WROTE', path)
    except OSError as exc:
        print('refused', path, type(exc).__name__)
"""
        result, _, after, output = attack_then_next(server, code)
        assert b"WROTE" not in result.stdout and result.stdout.count(b"refused") == 2
        assert b"LD_PRELOAD" not in after.stdout and b"PYTHONPATH" not in after.stdout
        assert_as_if_alone(after, output, alone)

    def test_exit_and_fork_hooks_end_with_the_child(self, server, alone):
        code = """
import atexit, os, sys, threading
atexit.register(lambda: print('HOOK atexit', flush=True))
os.register_at_fork(before=lambda: print('HOOK before'), after_in_parent=lambda: print('HOOK parent'),
                    after_in_child=lambda: print('HOOK child'))
sys.addaudithook(lambda event, args: print('HOOK audit') if event == 'os.fork' else None)
threading.setprofile(lambda *a: None)
sys.excepthook = lambda *a: print('HOOK except')
"""
        result, retired, after, output = attack_then_next(server, code)
        assert result.exit_code == 0 and result.stdout.strip() == b"HOOK atexit"  # its own ran, at its end
        assert b"HOOK" not in after.stdout and not retired
        assert_as_if_alone(after, output, alone)

    def test_a_module_changed_in_memory_stays_in_the_child(self, server, alone):
        # pandas as the server imported it is shared with every child, copy-on-write; the child
        # patches its copy, then tries to reach the server's pages and the library files.
        code = """
import ctypes, mmap, os, pandas, numpy
pandas.DataFrame.to_csv = lambda self, *a, **k: open(a[0], 'w').write('attr_id,adj,label\\n')
numpy.sum = lambda *a, **k: 0
import sys
sys.modules['pandas'].read_csv = None
libc = ctypes.CDLL(None, use_errno=True)
data = ctypes.create_string_buffer(b'x' * 16)
here = (ctypes.c_size_t * 2)(ctypes.addressof(data), 16)
print('VM_WRITEV', libc.process_vm_writev(1, here, 1, here, 1, 0), ctypes.get_errno())
try:
    open('/proc/1/mem', 'r+b')
    print('OPENED mem')
except OSError as exc:
    print('refused mem', type(exc).__name__)
library = pandas._libs.lib.__file__
try:
    with open(library, 'r+b') as f:
        mmap.mmap(f.fileno(), 0, flags=mmap.MAP_SHARED)[0:4] = b'\\0\\0\\0\\0'
    print('WROTE', library)
except OSError as exc:
    print('refused library', type(exc).__name__)
"""
        result, _, after, output = attack_then_next(server, code)
        # The only pages a child shares with the server and the next child are copy-on-write:
        # the server maps nothing shared and writable (seen from outside, as root).
        pid = memwatch.pidfd_pid(server[-1].inner)
        maps = [line.split() for line in Path(f"/proc/{pid}/maps").read_text().splitlines()]
        assert len(maps) > 100 and [m for m in maps if m[1][1] == "w" and m[1][3] == "s"] == []
        out = result.stdout.decode()
        assert "VM_WRITEV -1 1" in out  # EPERM: the system-call filter
        assert "refused mem" in out and "refused library" in out and "WROTE" not in out, out
        assert_as_if_alone(after, output, alone)


SEEKER = """
import os
part1, part2 = {part1!r}, {part2!r}  # never put together here, so its own memory does not hold it
def holds(data):
    at = data.find(part1)
    while at >= 0:
        if data[at + len(part1):at + len(part1) + len(part2)] == part2:
            return True
        at = data.find(part1, at + 1)
    return False
found = []
for top in ('/tmp', '/dev/shm', '.'):
    for folder, _, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            if name != 'submission.py' and holds(open(path, 'rb').read()):
                found.append(path)
# Its own memory: everything it inherited from the server, which it shares with every child.
scanned = 0
with open('/proc/self/maps') as maps, open('/proc/self/mem', 'rb', buffering=0) as mem:
    for line in maps:
        fields = line.split()
        if 'r' not in fields[1] or (len(fields) > 5 and fields[5] in ('[vvar]', '[vsyscall]')):
            continue
        start, end = (int(x, 16) for x in fields[0].split('-'))
        try:
            mem.seek(start)
            data = mem.read(end - start)
        except OSError:
            continue
        scanned += len(data)
        if holds(data):
            found.append(fields[0])
for path in ('/proc/1/mem', '/proc/1/environ', '/proc/1/cmdline'):
    try:
        if holds(open(path, 'rb').read()):
            found.append(path)
    except OSError:
        pass
print('SCANNED', scanned // (1 << 20), 'MB')
print('FOUND' if found else 'CLEAN', found)
"""


class TestReadingThePrevious:
    def test_nothing_of_the_previous_inputs_outputs_or_memory_is_left(self, server):
        secret = "secret-" + os.urandom(8).hex()
        holder = (
            "import pandas, os\n"
            "raw = pandas.read_csv('raw_data.csv')\n"
            "kept = [open('raw_data.csv').read() for _ in range(20)]\n"
            "raw.to_csv('summarized_data.csv', index=False)\n"
            "open('/tmp/copy.csv', 'w').write(kept[0])\n"
            "print(len(kept))\n"
        )
        first, _ = run_in(server[-1], holder, {"raw_data.csv": f"attr_id,adj,label\n{secret},x,1\n".encode()})
        assert first.exit_code == 0, first.stderr[-2000:]
        half = len(secret) // 2
        second, _ = run_in(server[-1], SEEKER.format(part1=secret[:half].encode(), part2=secret[half:].encode()))
        out = second.stdout.decode()
        assert second.exit_code == 0, second.stderr[-2000:]
        assert "CLEAN []" in out, out
        assert int(out.split("SCANNED ")[1].split()[0]) > 50  # it read the interpreter and pandas it shares
        assert server[-1].broken is None


class TestStallingTheServer:
    def test_stopping_its_parent_or_its_group_does_nothing(self, server, alone):
        code = (
            "import os, signal\n"
            "for target in (1, os.getppid()):\n"
            "    try:\n        os.kill(target, signal.SIGSTOP)\n    except OSError as exc:\n"
            "        print('refused', target, type(exc).__name__)\n"
            "print('still running', flush=True)\n"
        )
        started = time.monotonic()
        result, retired, after, output = attack_then_next(server, code)
        assert result.exit_code == 0 and b"still running" in result.stdout  # the server ignores it
        assert not retired and time.monotonic() - started < LIMITS.time_s
        assert_as_if_alone(after, output, alone)

    def test_a_grandchild_that_fills_the_pipes_is_ended_with_the_run(self, server, alone):
        marker = f"flood-{os.getpid()}-{time.monotonic_ns()}"
        flood = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n    sys.stderr.write('y' * 65536)\n"
        code = (
            "import os, sys\nif os.fork() == 0:\n"
            f"    os.execv(sys.executable, [sys.executable, '-c', {flood!r}, {marker!r}])\n"
            "import time\ntime.sleep(0.5)\nprint('parent done', flush=True)\n"
        )
        started = time.monotonic()
        result, _, after, output = attack_then_next(server, code)
        assert result.exit_code == 0 and result.stdout_bytes > 65536
        assert time.monotonic() - started < 15  # the run ends when the child does, not at the time limit
        assert processes_with(marker.encode()) == []
        assert_as_if_alone(after, output, alone)

    def test_locks_and_leases_held_past_the_run_are_released(self, server, alone):
        marker = f"locker-{os.getpid()}-{time.monotonic_ns()}"
        holder = (
            "import fcntl, os, time\n"
            "for path in ('/tmp/lock', '/dev/shm/lock', 'lock'):\n"
            "    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)\n"
            "    fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "    fcntl.lockf(fd, fcntl.LOCK_EX)\n"
            "    try:\n        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)\n    except OSError:\n        pass\n"
            "os.chdir('/tmp')\n"
            "time.sleep(600)\n"
        )
        code = (
            "import os, sys\nif os.fork() == 0:\n    os.setsid()\n"
            f"    os.execv(sys.executable, [sys.executable, '-c', {holder!r}, {marker!r}])\n"
            "import time\ntime.sleep(1)\n"
        )
        result, _, after, output = attack_then_next(server, code)
        assert result.exit_code == 0
        assert processes_with(marker.encode()) == []
        assert_as_if_alone(after, output, alone)

    def test_more_files_than_the_server_can_remove_in_time_retire_it(self, server, alone):
        # Empty files cost /tmp no space: 200,000 of them, for the server to remove after the run.
        code = (
            "import os\nfor i in range(400):\n    os.mkdir(f'/tmp/d{i}')\n"
            "    for j in range(500):\n        os.close(os.open(f'/tmp/d{i}/{j}', os.O_CREAT | os.O_WRONLY))\n"
        )
        result, retired, after, output = attack_then_next(server, code)
        # Either the server removed them all within its time or it was retired; the next run is clean.
        assert result.exit_code is not None or result.killed == "time"
        assert retired or server[-1].runs == 2
        assert_as_if_alone(after, output, alone)
