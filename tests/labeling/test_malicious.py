"""Hostile submissions, run for real through the sandbox. Each ends in the right status with a
message, reads nothing it must not (canaries are placed where the worker can see them: in the
gold, the database, the data directory, another participant's code and the worker's
environment), and leaves nothing running. The worker-level round trip is in test_faults.py."""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from labeling import pipeline, services, storage
from labeling.models import Status
from tests.conftest import make_user
from tests.labeling.factories import make_challenge, seed_files

pytestmark = pytest.mark.django_db

# Writes a valid output quickly (the majority vote, vectorized), for programs that also misbehave.
VALID_OUTPUT = """
import pandas as pd
_raw = pd.read_csv("raw_data.csv")
_first = _raw.groupby("HITId").first()
_size = _raw.groupby("HITId").size()
_rows = []
for _i in range(1, 11):
    _yes = (_raw["Answer.adj_%d" % _i] == "Yes").groupby(_raw["HITId"]).sum()
    _rows.append(pd.DataFrame({"attr_id": _first["Input.attr_id"], "adj": _first["Input.adj_%d" % _i],
                               "label": _yes > _size / 2}))
pd.concat(_rows).to_csv("summarized_data.csv", index=False)
"""


@pytest.fixture
def token():
    return "canary" + secrets.token_hex(8)


@pytest.fixture
def hostile(people, token, monkeypatch, tmp_path):
    """A short challenge whose gold, database, data directory and worker environment hold the token."""
    raw, gold = seed_files()
    challenge = make_challenge(
        people.course,
        gold=gold.rstrip(b"\n") + f"\ncanary.n.01,{token},TRUE\n".encode(),
        time_limit_s=3,
        memory_limit_mb=768,
    )
    monkeypatch.setenv("COURSEPROJ_CANARY", token)
    make_user(f"{token}@example.com", "Canary Person")
    (Path(settings.DATA_DIR) / "canary.txt").write_text(token)
    return challenge


def search_program(token: str, extra_paths: list[str]) -> str:
    """A program that hunts for the token everywhere it can read and reports what it found."""
    return f"""
import os, stat, sys
secret = {token[::-1]!r}[::-1].encode()  # reversed, so this file itself does not match
found, searched = [], 0
def check(path):
    global searched
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return  # devices and pipes (/dev/stdout is our own pipe: reading it would wait forever)
        with open(path, "rb") as f:
            data = f.read(4_000_000)
    except OSError:
        return
    searched += 1
    if secret in data:
        found.append(path)
for top in ["/"]:
    for folder, dirs, files in os.walk(top):
        if folder.startswith(("/proc", "/sys")):
            dirs[:] = []
            continue
        for name in files:
            if folder == "/scratch" and name == "submission.py":
                continue
            check(os.path.join(folder, name))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for part in ("environ", "cmdline"):
            check(f"/proc/{{pid}}/{{part}}")
for path in {extra_paths!r}:
    if os.path.exists(path):
        print("VISIBLE", path)
    check(path)
if secret in repr(dict(os.environ)).encode():
    found.append("environment")
print("SEARCHED", searched)
print("FOUND" if found else "CLEAN", found)
"""


def worker_paths(challenge) -> list[str]:
    """Places on the worker holding what the code must never read."""
    db = connection.settings_dict["NAME"]
    return [
        str(storage.absolute(challenge.gold_path)),
        str(Path(settings.DATA_DIR) / "canary.txt"),
        str(db) if str(db).startswith("/") else "/var/lib/postgresql",
        str(settings.BASE_DIR / "labeling" / "seed" / "adjectives" / "ground_truth.csv"),
        str(settings.BASE_DIR / "courseproj" / "settings.py"),
        f"/proc/{os.getpid()}/environ",
        "/etc/passwd",
        "/root/.ssh",
    ]


def assert_clean(outcome, token):
    assert token not in outcome.log_tail and token not in outcome.message


class TestReading:
    def test_it_cannot_find_the_gold_the_database_or_the_environment(self, hostile, evaluate, token):
        services.update_challenge(hostile, time_limit_s=30)  # reading everything takes a while
        outcome = evaluate(hostile, search_program(token, worker_paths(hostile)))
        assert outcome.status == Status.INVALID_OUTPUT
        assert "did not write summarized_data.csv" in outcome.message
        assert "CLEAN []" in outcome.log_tail, outcome.log_tail
        searched = int(outcome.log_tail.split("SEARCHED ")[1].split()[0])
        assert searched > 1000  # it really looked: the runtime alone has thousands of files
        assert "VISIBLE" not in outcome.log_tail
        assert_clean(outcome, token)

    def test_it_cannot_see_other_processes(self, hostile, evaluate, token):
        code = (
            "import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\nprint('PIDS', sorted(pids))\n"
            "print('PARENT', os.getppid())\n"
            "for p in pids:\n    print(p, open(f'/proc/{p}/cmdline', 'rb').read()[:60])\n"
            f"print('HOST', os.path.exists('/proc/{os.getpid()}'))\n"
        )
        outcome = evaluate(hostile, code)
        assert "PIDS ['1', '2']" in outcome.log_tail, outcome.log_tail
        assert "PARENT 1" in outcome.log_tail and "HOST False" in outcome.log_tail
        assert_clean(outcome, token)

    def test_another_participants_code_is_out_of_reach(self, hostile, people, token, sandbox_tools, scratch_parent):
        first = services.submit(
            hostile, people.member, f"SECRET = {token!r}\n".encode() + VALID_OUTPUT.encode(), "a.py"
        )
        assert pipeline.score(first.pk, worker="w") == Status.SCORED
        services.update_challenge(hostile, time_limit_s=30)
        code_file = str(storage.absolute(first.code_path))
        second = services.submit(hostile, people.outsider, search_program(token, [code_file]).encode(), "b.py")
        assert pipeline.score(second.pk, worker="w") == Status.INVALID_OUTPUT
        second.refresh_from_db()
        assert "CLEAN []" in second.log_tail and "VISIBLE" not in second.log_tail
        assert token not in second.log_tail
        assert list(scratch_parent.iterdir()) == []  # nothing of either run is left on disk


class TestNetwork:
    def test_no_network_not_even_loopback_services(self, hostile, evaluate, token):
        # The services are really there for the worker...
        for port in (5432, 6379):
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
        host_ip = socket.gethostbyname(socket.gethostname())
        code = f"""
import socket
for host, port in [("127.0.0.1", 5432), ("127.0.0.1", 6379), ("::1", 6379), ({host_ip!r}, 5432),
                   ({host_ip!r}, 6379), ("1.1.1.1", 443)]:
    try:
        socket.create_connection((host, port), timeout=2).close()
        print("CONNECTED", host, port)
    except OSError as exc:
        print("refused", host, port, type(exc).__name__)
for path in ("/var/run/postgresql/.s.PGSQL.5432", "/run/redis/redis-server.sock"):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        print("CONNECTED", path)
    except OSError as exc:
        print("refused", path, type(exc).__name__)
try:
    socket.getaddrinfo("pypi.org", 443)
    print("CONNECTED dns")
except OSError as exc:
    print("refused dns", type(exc).__name__)
"""
        outcome = evaluate(hostile, code)
        assert "CONNECTED" not in outcome.log_tail, outcome.log_tail
        assert outcome.log_tail.count("refused") == 9


def live_processes_with(marker: str) -> list[int]:
    """Host processes (not zombies) whose command line holds the marker."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(int(pid))
    return found


def relaunch_with(marker: str, body: str) -> str:
    """Code that re-executes itself with the marker on its command line, then runs `body`."""
    return (
        f"import os, sys\nif {marker!r} not in sys.argv:\n"
        f"    os.execv(sys.executable, [sys.executable, '-c', {body!r}, {marker!r}])\n"
    )


class TestProcesses:
    def test_a_fork_bomb_times_out_and_leaves_nothing(self, hostile, evaluate, token):
        marker = "bomb" + token
        body = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
        started = time.monotonic()
        outcome = evaluate(hostile, relaunch_with(marker, body))
        assert outcome.status == Status.TIMED_OUT and "time limit of 3 s" in outcome.message
        assert time.monotonic() - started < 20
        assert live_processes_with(marker) == []
        # The worker keeps serving.
        assert evaluate(hostile, VALID_OUTPUT).status == Status.SCORED

    def test_a_left_behind_daemon_is_killed_with_the_run(self, hostile, evaluate, token):
        marker = "daemon" + token
        daemon = "import time\ntime.sleep(600)\n"
        code = (
            "import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            f"        os.execv(sys.executable, [sys.executable, '-c', {daemon!r}, {marker!r}])\n"
            "    os._exit(0)\n" + VALID_OUTPUT
        )
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.SCORED, outcome
        assert live_processes_with(marker) == []

    def test_killing_its_parent_or_the_worker_has_no_effect(self, hostile, evaluate):
        code = (
            f"""
import os, signal
for pid in (os.getppid(), 1, -1, {os.getpid()}, {os.getppid()}):
    try:
        os.kill(pid, signal.SIGKILL)
        print("sent", pid)
    except OSError as exc:
        print("refused", pid, type(exc).__name__)
print("still alive")
"""
            + VALID_OUTPUT
        )
        outcome = evaluate(hostile, code)
        # PID 1 of the sandbox ignores signals from inside; the worker is not even visible.
        assert outcome.status == Status.SCORED, outcome
        assert "still alive" in outcome.log_tail
        assert f"refused {os.getpid()} ProcessLookupError" in outcome.log_tail
        assert "refused -1 ProcessLookupError" in outcome.log_tail

    def test_killing_itself_is_a_failure_with_the_signal(self, hostile, evaluate):
        outcome = evaluate(hostile, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
        assert outcome.status == Status.FAILED
        assert outcome.message.startswith("The code was killed by signal 9 (SIGKILL)")
        assert evaluate(hostile, VALID_OUTPUT).status == Status.SCORED


class TestResources:
    @pytest.mark.parametrize(
        "code",
        [
            "blocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))\n",
            "import numpy as np\nx = np.ones((60_000, 60_000))\n",
            "import pandas as pd\ndf = pd.DataFrame({'a': range(10**9)})\n",
        ],
        ids=["python", "numpy", "pandas"],
    )
    def test_a_memory_bomb_is_memory_exceeded(self, hostile, evaluate, code):
        # Time enough that only memory can stop it, even on a loaded machine.
        services.update_challenge(hostile, time_limit_s=30)
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.MEMORY_EXCEEDED, outcome
        assert "ran out of memory: the limit is 768 MB" in outcome.message
        assert "Error" in outcome.log_tail

    @pytest.mark.parametrize(
        "code",
        [
            # 8 threads share one address space: RLIMIT_AS stops them, the first MemoryError ends the run.
            "import threading, time\n"
            "def grab():\n    blocks = []\n    while True:\n        blocks.append(bytearray(20_000_000))\n"
            "threads = [threading.Thread(target=grab) for _ in range(8)]\n"
            "[t.start() for t in threads]\n[t.join() for t in threads]\n" + VALID_OUTPUT,
            # A mapping counts against the address space whether or not it is touched.
            "import mmap\nm = mmap.mmap(-1, 4 << 30, flags=mmap.MAP_SHARED)\n",
            "import mmap\nf = open('/dev/zero', 'rb')\nm = mmap.mmap(f.fileno(), 4 << 30, prot=mmap.PROT_READ)\n",
        ],
        ids=["8 threads", "a shared mapping", "a mapped file"],
    )
    def test_memory_in_threads_or_mappings_is_memory_exceeded(self, hostile, evaluate, code):
        services.update_challenge(hostile, time_limit_s=30)
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.MEMORY_EXCEEDED, outcome
        assert "768 MB" in outcome.message and "Error" in outcome.log_tail

    @pytest.mark.parametrize(
        "grab",
        [
            "block = b'x' * 300_000_000",
            "import mmap\nblock = mmap.mmap(-1, 300_000_000)\nblock.write(b'x' * 300_000_000)",
        ],
        ids=["4 children", "4 children with mappings"],
    )
    def test_memory_of_many_processes_together_is_memory_exceeded(self, hostile, evaluate, grab):
        # Each child stays under its own address-space limit; together they hold 1.2 GB of 768.
        services.update_challenge(hostile, time_limit_s=30)
        code = (
            "import os, time\nfor _ in range(4):\n    if os.fork() == 0:\n"
            + "".join(f"        {line}\n" for line in grab.splitlines())
            + "        print('holding', flush=True)\n        time.sleep(60)\n        os._exit(0)\n"
            "time.sleep(60)\n"
        )
        started = time.monotonic()
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.MEMORY_EXCEEDED, outcome
        assert "processes together used more than the memory limit of 768 MB" in outcome.message
        assert time.monotonic() - started < 25  # by memory, well before the time limit

    def test_processes_under_the_limit_together_are_not_stopped(self, hostile, evaluate):
        # 4 children of 100 MB each, forked after pandas was imported (pages they share count once).
        services.update_challenge(hostile, time_limit_s=30)
        code = (
            "import os, time\nimport pandas\nchildren = []\nfor _ in range(4):\n    pid = os.fork()\n"
            "    if pid == 0:\n        block = b'x' * 100_000_000\n        time.sleep(2)\n        os._exit(0)\n"
            "    children.append(pid)\ntime.sleep(1)\n"
            + VALID_OUTPUT
            + "for pid in children:\n    os.waitpid(pid, 0)\n"
        )
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.SCORED, outcome

    @pytest.mark.parametrize(
        "code",
        ["while True:\n    pass\n", "import time\ntime.sleep(10**6)\n", "import threading\nthreading.Event().wait()\n"],
        ids=["loop", "sleep", "wait"],
    )
    def test_endless_code_times_out(self, hostile, evaluate, code):
        started = time.monotonic()
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.TIMED_OUT
        assert 3 <= outcome.runtime_s < 6 and time.monotonic() - started < 15

    def test_a_flood_of_stdout_is_cut_to_its_tail(self, hostile, evaluate):
        outcome = evaluate(hostile, "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
        assert outcome.status == Status.TIMED_OUT
        assert "--- stdout (last 8,192 of " in outcome.log_tail
        assert len(outcome.log_tail) < 9000

    def test_a_huge_output_file_is_stopped_at_the_file_size_limit(self, hostile, evaluate):
        code = "with open('summarized_data.csv', 'w') as f:\n    while True:\n        f.write('x' * 1_000_000)\n"
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.FAILED
        assert outcome.message == "The code tried to write a file larger than 64 MB and crashed."
        assert "File too large" in outcome.log_tail

    def test_an_output_too_big_to_read_is_invalid(self, hostile, evaluate):
        code = (
            "with open('summarized_data.csv', 'w') as f:\n"
            "    f.write('attr_id,adj,label\\n' + 'a,b,True\\n' * 2_500_000)\n"
        )
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.INVALID_OUTPUT
        assert "the scorer reads at most 16.0 MB" in outcome.message

    def test_filling_the_working_directory_is_stopped(self, hostile, evaluate):
        code = "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * 10_000_000)\n    i += 1\n"
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.FAILED
        assert "wrote more than 256 MB or 10,000 files" in outcome.message

    def test_filling_tmp_hits_its_size(self, hostile, evaluate):
        code = "for i in range(100):\n    open(f'/tmp/x{i}', 'wb').write(b'x' * 1_000_000)\n"
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.FAILED
        assert "No space left on device" in outcome.log_tail


class TestWritingOutside:
    def test_nothing_outside_the_scratch_directory_can_be_written(self, hostile, evaluate, sandbox_tools, tmp_path):
        runtime_os = sandbox_tools.runtime.root / "base" / "lib" / "python3.11" / "os.py"
        before = hashlib.sha256(runtime_os.read_bytes()).hexdigest()
        host_target = Path(settings.DATA_DIR) / "written-by-submission.txt"
        targets = [
            "/x",
            "/etc/x",
            "/opt/runtime/x",
            "/opt/runtime/lib/python3.11/site-packages/numpy/__init__.py",
            "/root/.pyenv/versions/3.11.7/lib/python3.11/os.py",
            "/usr/lib/x86_64-linux-gnu/x",
            "/dev/x",
            "/proc/sys/kernel/hostname",
            "/opt/courseproj/runner.py",
            str(host_target),
            str(storage.absolute(hostile.gold_path)),
        ]
        code = f"""
for path in {targets!r}:
    try:
        with open(path, "a") as f:
            f.write("pwned")
        print("WROTE", path)
    except OSError as exc:
        print("refused", path, type(exc).__name__)
"""
        outcome = evaluate(hostile, code)
        assert "WROTE" not in outcome.log_tail, outcome.log_tail
        assert outcome.log_tail.count("refused") == len(targets)
        assert hashlib.sha256(runtime_os.read_bytes()).hexdigest() == before
        assert not host_target.exists()
        assert b"pwned" not in storage.absolute(hostile.gold_path).read_bytes()


class TestOutputTricks:
    @pytest.mark.parametrize("target", ["gold", "/etc/passwd", "raw_data.csv"])
    def test_the_output_as_a_symlink_is_refused(self, hostile, evaluate, target):
        if target == "gold":
            target = str(storage.absolute(hostile.gold_path))
        outcome = evaluate(hostile, f"import os\nos.symlink({target!r}, 'summarized_data.csv')\n")
        assert outcome.status == Status.INVALID_OUTPUT
        assert outcome.message == "summarized_data.csv is a symbolic link; write the results into a regular file."

    def test_the_output_as_a_fifo_is_refused_without_hanging(self, hostile, evaluate):
        started = time.monotonic()
        outcome = evaluate(hostile, "import os\nos.mkfifo('summarized_data.csv')\n")
        assert outcome.status == Status.INVALID_OUTPUT and "not a regular file" in outcome.message
        assert time.monotonic() - started < 10

    def test_the_output_as_a_directory_is_refused(self, hostile, evaluate):
        outcome = evaluate(hostile, "import os\nos.mkdir('summarized_data.csv')\n")
        assert outcome.status == Status.INVALID_OUTPUT and "not a regular file" in outcome.message

    def test_files_that_pretend_to_be_results_are_ignored(self, hostile, evaluate):
        code = """
import json
json.dump({"status": "scored", "score": 1.0, "public_score": 1.0}, open("result.json", "w"))
open("score.txt", "w").write("1.0")
print(json.dumps({"status": "scored", "score": 1.0, "public_score": 1.0, "private_score": 1.0, "error": None}))
import pandas as pd
raw = pd.read_csv("raw_data.csv")
rows = [{"attr_id": r["Input.attr_id"], "adj": r["Input.adj_%d" % i], "label": False}
        for _, r in raw.drop_duplicates("HITId").iterrows() for i in range(1, 11)]
pd.DataFrame(rows).to_csv("summarized_data.csv", index=False)
"""
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.SCORED
        assert outcome.scores.score == 392 / 441  # all false: right on the 392 false pairs of 441 (with the canary)

    def test_exit_codes_of_the_runner_are_only_believed_for_the_author(self, hostile, evaluate):
        # Faking "out of memory" gets a submission nothing but a status that does not count.
        outcome = evaluate(hostile, "import os\nos._exit(86)\n")
        assert outcome.status == Status.MEMORY_EXCEEDED and outcome.scores is None


# What a denied system call is tried with: arguments that, without the filter, would succeed or
# fail with another error (so the EPERM/ENOSYS seen is the filter's). `call(name, *args)` makes
# the raw call by number and records it refused or allowed; a run in which every call was refused
# exits with the list (status 1), one in which any was allowed writes no output.
SYSCALL_PROBE = """
import ctypes, errno, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NUMBERS = {numbers!r}
refused, allowed = [], []
def call(name, *args):
    args = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    result = libc.syscall(ctypes.c_long(NUMBERS[name]), *args)
    if result == 0 and name.startswith("clone"):
        os._exit(0)  # a child was made: the call was allowed
    if result == -1:
        code = errno.errorcode[ctypes.get_errno()]
        refused.append(name + ":" + code)
        print("REFUSED", name, code, flush=True)
    else:
        allowed.append(name)
        print("ALLOWED", name, result, flush=True)
def address(buffer):
    return ctypes.addressof(buffer)
print([line.strip() for line in open("/proc/self/status") if line.startswith("Seccomp")], flush=True)
{body}
if allowed:
    print("SOME ALLOWED", allowed)
else:
    sys.exit("every call refused: " + " ".join(refused))
"""

NAMESPACE_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000]
DENIED_CALLS = {
    "ptrace": ("EPERM", 'call("ptrace", 0, 0, 0, 0)  # PTRACE_TRACEME'),
    "process_vm_readv/writev": (
        "EPERM",
        "a, b = ctypes.create_string_buffer(8), ctypes.create_string_buffer(b'secret!')\n"
        "here, there = (ctypes.c_size_t * 2)(address(a), 8), (ctypes.c_size_t * 2)(address(b), 8)\n"
        'call("process_vm_readv", os.getpid(), address(here), 1, address(there), 1, 0)\n'
        'call("process_vm_writev", os.getpid(), address(here), 1, address(there), 1, 0)',
    ),
    "perf_event_open": (
        "EPERM",
        "attr = ctypes.create_string_buffer(struct.pack('<IIQQQQQ', 1, 128, 0, 0, 0, 0, 0x60).ljust(128, b'\\0'))\n"
        'call("perf_event_open", address(attr), 0, -1, -1, 0)  # software CPU clock of itself, user only',
    ),
    "bpf": (
        "EPERM",
        "attr = ctypes.create_string_buffer(struct.pack('<IIII', 2, 4, 4, 1).ljust(72, b'\\0'))\n"
        'call("bpf", 0, address(attr), 72)  # BPF_MAP_CREATE of an array',
    ),
    "userfaultfd": ("EPERM", 'call("userfaultfd", 0o2000000 | 1)  # UFFD_USER_MODE_ONLY, allowed unprivileged'),
    "io_uring_*": (
        "EPERM",
        "params = ctypes.create_string_buffer(120)\n"
        'call("io_uring_setup", 4, address(params))\n'
        'call("io_uring_enter", 0, 0, 0, 0, 0, 0)\n'
        'call("io_uring_register", 0, 0, 0, 0)',
    ),
    "keyctl/add_key/request_key": (
        "EPERM",
        'call("keyctl", 0, -3, 1)  # KEYCTL_GET_KEYRING_ID of the session keyring\n'
        'call("add_key", b"user", b"note", b"kept", 4, -3)\n'
        'call("request_key", b"user", b"note", None, 0)',
    ),
    "clone with new namespaces": (
        "EPERM",
        f"for flag in {NAMESPACE_FLAGS!r}:\n    call('clone', flag | 17, 0, 0, 0, 0)  # | SIGCHLD",
    ),
    "clone3": (
        "ENOSYS",
        "args = ctypes.create_string_buffer(struct.pack('<QQQQQQQQQQQ', 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0))\n"
        'call("clone3", address(args), 88)',
    ),
    "unshare with new namespaces": (
        "EPERM",
        f"for flag in {[*NAMESPACE_FLAGS, 0x80]!r}:\n    call('unshare', flag)",
    ),
    "mount/umount/pivot_root and the new mount API": (
        "EPERM",
        'call("mount", b"none", b"/tmp", b"tmpfs", 0, None)\n'
        'call("umount2", b"/tmp", 2)  # MNT_DETACH\n'
        'call("pivot_root", b"/tmp", b"/tmp")\n'
        'call("fsopen", b"tmpfs", 0)\n'
        'call("open_tree", -100, b"/tmp", 1)  # OPEN_TREE_CLONE\n'
        'call("fspick", -100, b"/tmp", 0)\n'
        'call("mount_setattr", -100, b"/tmp", 0, None, 0)',
    ),
    "kexec_*": ("EPERM", 'call("kexec_load", 0, 0, None, 0)\ncall("kexec_file_load", -1, -1, 0, b"", 0)'),
    "init_module/finit_module": (
        "EPERM",
        'call("init_module", None, 0, b"")\ncall("finit_module", 0, b"", 0)\ncall("delete_module", b"x", 0)',
    ),
    "personality changes": (
        "EPERM",
        'call("personality", 0x0040000)  # ADDR_NO_RANDOMIZE\ncall("personality", 0x0400000)  # READ_IMPLIES_EXEC',
    ),
    "ioctl TIOCSTI": (
        "EPERM",
        "char = ctypes.create_string_buffer(b'x')\n"
        'call("ioctl", 0, 0x5412, address(char))  # without the filter: ENOTTY (stdin is /dev/null)\n'
        'call("ioctl", 0, 0x100005412, address(char))  # high bits set: the kernel ignores them',
    ),
    "setns": (
        "EPERM",
        'for kind in ("uts", "net", "mnt", "user"):\n'
        '    call("setns", os.open(f"/proc/self/ns/{kind}", os.O_RDONLY), 0)  # its own: EINVAL/EPERM without',
    ),
    "setpriority of the whole uid": (
        "EPERM",
        'call("setpriority", 2, 0, 19)  # PRIO_USER: would reach every sandbox of this uid',
    ),
}
SYSCALL_NAMES = [
    "ptrace", "process_vm_readv", "process_vm_writev", "perf_event_open", "bpf", "userfaultfd", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "keyctl", "add_key", "request_key", "clone", "clone3", "unshare",
    "mount", "umount2", "pivot_root", "fsopen", "open_tree", "fspick", "mount_setattr", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "personality", "ioctl", "setns",
    "setpriority",
]  # fmt: skip


def syscall_probe(body: str) -> str:
    import pyseccomp

    numbers = {name: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) for name in SYSCALL_NAMES}
    return SYSCALL_PROBE.format(numbers=numbers, body=body)


class TestSystemCalls:
    @pytest.mark.parametrize(("expected", "body"), DENIED_CALLS.values(), ids=DENIED_CALLS.keys())
    def test_a_denied_call_is_refused_and_the_run_fails_with_a_message(self, hostile, evaluate, expected, body):
        outcome = evaluate(hostile, syscall_probe(body))
        assert "Seccomp:\\t2" in outcome.log_tail or "'Seccomp:\\t2'" in outcome.log_tail, outcome.log_tail
        assert "ALLOWED" not in outcome.log_tail, outcome.log_tail
        refused = [line.split()[1:] for line in outcome.log_tail.splitlines() if line.startswith("REFUSED")]
        assert refused and all(code == expected for _, code in refused), outcome.log_tail
        assert outcome.status == Status.FAILED
        assert outcome.message.startswith("The code stopped with exit status 1"), outcome.message
        assert "every call refused" in outcome.log_tail

    def test_a_call_of_another_abi_kills_the_process(self, hostile, evaluate):
        # getpid through int 0x80 (the i386 ABI), where the filter's numbers would not apply.
        code = """
import ctypes, mmap
page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3]))  # mov eax, 20; int 0x80; ret
print("calling", flush=True)
print("RETURNED", ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))())
"""
        outcome = evaluate(hostile, code)
        assert "calling" in outcome.log_tail and "RETURNED" not in outcome.log_tail, outcome.log_tail
        assert outcome.status == Status.FAILED
        assert outcome.message.startswith("The code was killed by signal 31 (SIGSYS)"), outcome.message

    def test_threads_processes_and_the_libraries_run_under_the_filter(self, hostile, evaluate):
        code = (
            """
import multiprocessing, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
import numpy as np, scipy.linalg, sklearn.linear_model
with ThreadPoolExecutor(8) as pool:
    sums = list(pool.map(lambda i: float(np.linalg.inv(np.eye(50) * (i + 1)).sum()), range(16)))
with multiprocessing.get_context("fork").Pool(2) as pool:
    squares = pool.map(abs, [-1, -2, -3])
child = subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, text=True).stdout.strip()
x = np.random.default_rng(0).normal(size=(200, 3))
model = sklearn.linear_model.LogisticRegression().fit(x, x[:, 0] > 0)
print("OK", round(sum(sums), 3), squares, child, scipy.linalg.det(np.eye(3)), model.score(x, x[:, 0] > 0) > 0.9)
"""
            + VALID_OUTPUT
        )
        # Room for 8 threads' OpenBLAS buffers: this is about the filter, not the memory limit.
        services.update_challenge(hostile, time_limit_s=60, memory_limit_mb=4096)
        outcome = evaluate(hostile, code)
        assert outcome.status == Status.SCORED, outcome
        assert "OK 169.036 [1, 2, 3] 42 1.0 True" in outcome.log_tail, outcome.log_tail
