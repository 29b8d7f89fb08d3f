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
