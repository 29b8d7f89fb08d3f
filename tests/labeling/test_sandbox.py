"""The sandbox, run for real: the course's starter script, the aggregate() convention, what the
code can see of the machine, the limits, and a worker that is not root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from courseproj.lib.sandbox_paths import closed_folder
from labeling import sandbox
from labeling.models import Status
from labeling.sandbox.command import SANDBOX_ENV
from labeling.sandbox.contract import TAIL_BYTES
from labeling.sandbox.tools import sandbox_ids
from tests.labeling.factories import STARTER_CODE, make_challenge, seed_files

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[2]
IS_ROOT = os.geteuid() == 0  # this machine runs the tests, and so the worker, as root

# The starter's majority vote, vectorized (fast), writing the label as LABELS[True] / LABELS[False].
MAJORITY = """
import pandas as pd
raw = pd.read_csv("raw_data.csv")
first = raw.groupby("HITId").first()
size = raw.groupby("HITId").size()
rows = []
for i in range(1, 11):
    yes = (raw["Answer.adj_%d" % i] == "Yes").groupby(raw["HITId"]).sum()
    rows.append(pd.DataFrame({"attr_id": first["Input.attr_id"], "adj": first["Input.adj_%d" % i],
                              "label": (yes > size / 2).map(LABELS)}))
OUTPUT
"""
WRITE = 'pd.concat(rows).to_csv("summarized_data.csv", index=False)'


def majority(labels=None, output=WRITE) -> str:
    return MAJORITY.replace("LABELS", repr(labels or {True: True, False: False})).replace("OUTPUT", output)


class TestTheStarterScript:
    def test_it_scores_the_baseline_exactly(self, challenge, evaluate):
        outcome = evaluate(challenge, STARTER_CODE)
        assert outcome.status == Status.SCORED, outcome
        assert outcome.scores.score == 406 / 440  # 0.9227
        assert outcome.scores.public_score == 201 / 220
        assert outcome.scores.private_score == 205 / 220
        assert outcome.runtime_s > 0 and outcome.message == ""

    @pytest.mark.parametrize(
        "labels",
        [
            {True: "TRUE", False: "FALSE"},
            {True: "true", False: "false"},
            {True: "tRuE", False: "fAlSe"},
            {True: "Yes", False: "no"},
            {True: 1, False: 0},
        ],
        ids=["upper", "lower", "mixed", "yes-no", "1-0"],
    )
    def test_the_case_of_the_labels_does_not_matter(self, challenge, evaluate, labels):
        outcome = evaluate(challenge, majority(labels))
        assert outcome.status == Status.SCORED, outcome
        assert outcome.scores.score == 406 / 440


AGGREGATE = """
import pandas as pd


def aggregate(raw: pd.DataFrame) -> pd.DataFrame:
    first = raw.groupby("HITId").first()
    size = raw.groupby("HITId").size()
    rows = []
    for i in range(1, 11):
        yes = (raw["Answer.adj_%d" % i] == "Yes").groupby(raw["HITId"]).sum()
        rows.append(pd.DataFrame({"attr_id": first["Input.attr_id"], "adj": first["Input.adj_%d" % i],
                                  "label": yes > size / 2}))
    return pd.concat(rows)
"""


class TestAggregate:
    def test_the_runner_calls_aggregate_and_writes_what_it_returns(self, challenge, evaluate):
        outcome = evaluate(challenge, AGGREGATE)
        assert outcome.status == Status.SCORED, outcome
        assert outcome.scores.score == 406 / 440

    def test_a_written_file_wins_over_aggregate(self, challenge, evaluate):
        code = majority() + "\ndef aggregate(raw):\n    raise AssertionError('not called')\n"
        assert evaluate(challenge, code).status == Status.SCORED

    def test_aggregate_must_return_a_dataframe(self, challenge, evaluate):
        outcome = evaluate(challenge, "def aggregate(raw):\n    return [1, 2]\n")
        assert outcome.status == Status.INVALID_OUTPUT
        assert "aggregate(raw)" in outcome.message
        assert "must return a pandas DataFrame; it returned list" in outcome.log_tail

    def test_aggregate_needs_a_single_input(self, people, evaluate):
        raw, gold = seed_files()
        challenge = make_challenge(people.course, inputs=[("raw_data.csv", raw), ("extra.csv", b"a\n1\n")])
        outcome = evaluate(challenge, "def aggregate(raw):\n    return raw\n")
        assert outcome.status == Status.INVALID_OUTPUT
        assert "one input file; this one has 2" in outcome.log_tail


PROBE = """
import json, os, resource, sys
info = {
    "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "cwd": os.getcwd(), "listing": sorted(os.listdir(".")), "root": sorted(os.listdir("/")),
    "env": dict(os.environ), "hostname": os.uname().nodename,
    "pids": sorted(p for p in os.listdir("/proc") if p.isdigit()),
    "fds": sorted(os.listdir("/proc/self/fd")),
    "status": {k: v.strip() for k, v in (l.split(":", 1) for l in open("/proc/self/status") if ":" in l)},
    "limits": {n: resource.getrlimit(getattr(resource, "RLIMIT_" + n))
               for n in ("CPU", "AS", "NPROC", "FSIZE", "NOFILE", "CORE")},
    "argv": sys.argv, "name": __name__, "path0": sys.path[0],
}
imports = {}
for module in ("numpy", "pandas", "scipy", "sklearn", "django", "requests", "boto3", "celery", "psycopg"):
    try:
        __import__(module)
        imports[module] = "ok"
    except ImportError as exc:
        imports[module] = type(exc).__name__
sys.path.append("/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages")
try:
    import boto3
    imports["boto3-from-base"] = "ok"
except ImportError:
    imports["boto3-from-base"] = "missing"
info["imports"] = imports
kids = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        import time
        time.sleep(5)
        os._exit(0)
    kids += 1
info["forked"] = kids
import numpy, pandas, scipy, sklearn
info["versions"] = {"numpy": numpy.__version__, "pandas": pandas.__version__, "scipy": scipy.__version__,
                    "scikit-learn": sklearn.__version__}
print(json.dumps(info))
"""


LIMITS = sandbox.Limits(time_s=60, memory_mb=1024)


@pytest.fixture(scope="module")
def info(sandbox_tools):
    """What PROBE saw, run once for the module (without the database: sandbox.run directly)."""
    raw, _ = seed_files()
    # More processes of the sandbox user elsewhere on the machine than its process limit.
    uid = str(sandbox_ids()[0])
    as_user = [shutil.which("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if IS_ROOT else []
    others = [subprocess.Popen([*as_user, "sleep", "120"]) for _ in range(LIMITS.nproc + 6)]
    try:
        with sandbox.Scratch() as scratch:
            scratch.add_bytes("submission.py", PROBE.encode())
            scratch.add_bytes("raw_data.csv", raw)
            result = sandbox.run(
                scratch,
                code="submission.py",
                output="out.csv",
                inputs=["raw_data.csv"],
                limits=LIMITS,
                tools=sandbox_tools,
            )
    finally:
        for proc in others:
            proc.kill()
            proc.wait()
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


class TestWhatTheCodeSees:
    def test_it_runs_as_the_unprivileged_sandbox_user(self, info):
        expected = (settings.SANDBOX_UID, settings.SANDBOX_UID) if IS_ROOT else (os.getuid(), os.getgid())
        assert (info["uid"], info["gid"], info["groups"]) == (*expected, [])
        assert info["status"]["CapEff"] == info["status"]["CapPrm"] == info["status"]["CapBnd"] == "0" * 16
        assert info["status"]["NoNewPrivs"] == "1"

    def test_it_sees_only_its_inputs_and_the_runtime(self, info):
        assert info["cwd"] == "/scratch"
        assert info["listing"] == ["raw_data.csv", "submission.py"]
        # Whatever the interpreter's own prefix: it is mounted at /opt/python (docs/sandbox.md).
        assert info["root"] == ["dev", "lib", "lib64", "opt", "proc", "scratch", "tmp", "usr"]
        assert info["hostname"] == "sandbox"
        assert len(info["pids"]) <= 3  # bubblewrap's init and the program: nothing of the host
        assert info["fds"] in (["0", "1", "2", "3"], ["0", "1", "2"])  # 3: the listing itself

    def test_the_environment_is_cleared(self, info):
        assert set(info["env"]) <= {*SANDBOX_ENV, "PWD"}
        assert info["argv"] == ["submission.py"] and info["name"] == "__main__" and info["path0"] == "/scratch"

    def test_only_the_runtime_packages_import(self, info):
        assert info["imports"] == {
            "numpy": "ok",
            "pandas": "ok",
            "scipy": "ok",
            "sklearn": "ok",
            "django": "ModuleNotFoundError",
            "requests": "ModuleNotFoundError",
            "boto3": "ModuleNotFoundError",
            "celery": "ModuleNotFoundError",
            "psycopg": "ModuleNotFoundError",
            "boto3-from-base": "missing",
        }
        packages = sandbox.runtime_packages()
        assert info["versions"] == {name: packages[name] for name in info["versions"]}
        pins = dict(line.split("==") for line in (REPO / "requirements.txt").read_text().split() if "==" in line)
        assert {name: pins[name] for name in info["versions"]} == info["versions"]

    def test_the_limits_are_set(self, info):
        mb = 1024 * 1024
        assert info["limits"]["AS"] == [LIMITS.memory_mb * mb] * 2
        assert info["limits"]["NPROC"] == [64, 64]
        assert info["limits"]["FSIZE"] == [64 * mb] * 2
        assert info["limits"]["NOFILE"] == [256, 256]
        assert info["limits"]["CORE"] == [0, 0]
        assert info["limits"]["CPU"][0] == LIMITS.time_s + 1

    def test_the_process_limit_counts_this_sandbox_only(self, info):
        # 64 tasks: bubblewrap's PID 1, the program and 62 children, however many processes the
        # sandbox user has elsewhere on the machine (the count is per user namespace).
        assert info["forked"] == 62


class TestSupervision:
    def test_a_run_stops_when_the_heartbeat_says_so(self, sandbox_tools, scratch_parent):
        beats = []

        def heartbeat():
            beats.append(1)
            return len(beats) < 2

        with sandbox.Scratch() as scratch:
            scratch.add_bytes("submission.py", b"import time\ntime.sleep(60)\n")
            result = sandbox.run(
                scratch,
                code="submission.py",
                output="out.csv",
                inputs=[],
                limits=sandbox.Limits(time_s=30, memory_mb=512),
                heartbeat=heartbeat,
                heartbeat_every=0.3,
            )
        assert result.killed == "abandoned" and result.runtime_s < 5 and len(beats) == 2

    def test_whatever_the_code_leaves_behind_is_removed(self, challenge, evaluate, scratch_parent):
        code = (
            "import os\nos.makedirs('a/b/c')\nopen('a/b/c/f', 'w').write('x')\n"
            "os.chmod('a/b/c', 0)\nos.chmod('a/b', 0)\nos.symlink('/etc', 'link')\nos.mkfifo('fifo')\n"
        )
        outcome = evaluate(challenge, code)  # the fixture asserts the scratch folder is gone
        assert outcome.status == Status.INVALID_OUTPUT

    def test_the_log_keeps_only_the_tail(self, challenge, evaluate):
        code = (
            majority() + "\nimport sys\nfor i in range(200000):\n    print('line', i)\nsys.stderr.write('E' * 100000)\n"
        )
        outcome = evaluate(challenge, code)
        assert outcome.status == Status.SCORED
        assert "line 199999" in outcome.log_tail and "line 1\n" not in outcome.log_tail
        assert "(last 8,192 of 100,000 bytes)" in outcome.log_tail
        assert len(outcome.log_tail) < 2 * TAIL_BYTES + 200


def _reachable_copy(source: Path, target: Path) -> Path:
    """`source` copied to `target` as hard links where it can (fast, no space), folders mode 0755."""
    skip = {".git", ".venv", "var", ".sandbox-runtime", "node_modules", "artifacts"}
    target.mkdir(mode=0o755)
    for entry in source.iterdir():
        if entry.name in skip:
            continue
        subprocess.run(["cp", "-a", "-l", str(entry), str(target)], check=False, capture_output=True)
        if not (target / entry.name).exists():
            subprocess.run(["cp", "-a", str(entry), str(target)], check=True)
    subprocess.run(["find", str(target), "-type", "d", "-exec", "chmod", "go+rx", "{}", "+"], check=True)
    return target


def test_a_non_root_worker_runs_code_the_same_way(sandbox_tools):
    """A production worker is an ordinary user: no setpriv, the sandbox runs as that user, same limits.
    The worker here is the project's code run as uid 4242 (when the tests run as root) with the
    runtime's own copy of the interpreter (this machine's Python lives under /root, which other
    users cannot enter)."""
    uid = 4242 if IS_ROOT else os.getuid()
    runtime = sandbox_tools.runtime.root
    var = Path(tempfile.mkdtemp(prefix="cp-scorer-nonroot-"))
    try:
        os.chmod(var, 0o755)
        site = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
        repo = REPO
        if closed_folder(REPO, uid, uid, read=False) or closed_folder(site, uid, uid, read=False):
            # A checkout in a private folder (as in CI): that user reaches a linked copy of it instead.
            repo, site = _reachable_copy(REPO, var / "app"), _reachable_copy(site, var / "site-packages")
        var = var / "var"
        var.mkdir()
        os.chown(var, uid, uid)
        env = {
            "PATH": "/usr/bin:/bin",
            "LD_LIBRARY_PATH": str(runtime / "base" / "lib"),
            "PYTHONHOME": str(runtime / "base"),
            "PYTHONPATH": f"{site}:{repo}",
            "DJANGO_SETTINGS_MODULE": "courseproj.settings",
            "COURSEPROJ_VAR_DIR": str(var),
            "SANDBOX_RUNTIME_DIR": str(settings.SANDBOX_RUNTIME_DIR),
            "TMPDIR": str(var),
        }
        python = str(runtime / "base" / sandbox_tools.runtime.manifest["python_bin"])
        command = [shutil.which("setpriv"), f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if IS_ROOT else []
        command += [python]
        command += [str(repo / "tests" / "labeling" / "nonroot_probe.py"), "2"]
        done = subprocess.run(command, env=env, cwd=var, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(var.parent if var.name == "var" else var, ignore_errors=True)
    assert (report["worker_uid"], report["setpriv"]) == (uid, None)
    identity = report["identity"]
    assert identity["exit_code"] == 0 and identity["setup_error"] is None, identity
    lines = identity["stdout"].splitlines()
    assert lines[0] == f"{uid} {uid} []"  # the worker's own user, no groups
    assert lines[1] == "0" * 16  # no capabilities
    assert lines[2] == f"32 {512 * 1024 * 1024}"
    assert lines[3] == "forked 30"  # the process limit counts this sandbox only: PID 1 + the program + 30
    assert identity["output"].startswith("attr_id,adj,label")
    assert not identity["scratch_left"]
    sleeper = report["sleeper"]
    assert sleeper["killed"] == "time" and sleeper["elapsed"] < 5 and not sleeper["scratch_left"]


def test_the_challenge_page_lists_the_runtimes_versions_not_the_workers(sandbox_tools):
    """What submitted code imports is the runtime's (its manifest), whatever this process runs."""
    from labeling.views import runtime_versions

    runtime_versions.cache_clear()
    versions = dict(runtime_versions())
    assert versions["Python"] == sandbox_tools.runtime.python
    assert all(versions[name] == sandbox_tools.runtime.packages[name] for name in ("numpy", "pandas", "scipy"))
