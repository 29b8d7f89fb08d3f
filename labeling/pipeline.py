"""The scoring pipeline for one submission: claim, run in the sandbox, read the output with the
trusted reader, store the result. Celery's score_submission, `score_file` and the demo use it.
"""

from __future__ import annotations

import logging
import signal

from django.conf import settings

from labeling import health, sandbox, scoring, services, storage
from labeling.models import Challenge, Status, Submission
from labeling.sandbox import check as sandbox_check

log = logging.getLogger(__name__)


class ScorerFault(Exception):
    """The scorer itself cannot run code (the sandbox is missing or refused, the runtime missing,
    stale or broken, its Python failing before the submission's first line, the challenge's stored
    files unreadable): nothing of the submission ran, and nothing is the student's fault."""


# What a traceback says when memory ran out (numpy, pandas, C++ extensions, the C library).
MEMORY_MARKERS = (
    b"MemoryError",
    b"std::bad_alloc",
    b"Unable to allocate",
    b"Cannot allocate memory",
    b"OpenBLAS error: Memory allocation",  # its per-thread buffers past the address-space limit
)


class WarmSandbox:
    """The warm sandbox a Celery worker process keeps between submissions: a fork server with numpy
    and pandas imported (labeling/sandbox/warm.py), so a submission waits for neither bubblewrap's
    setup nor the imports (docs/performance.md). Off unless the worker process turns it on
    (labeling/tasks.py, when the process starts); elsewhere (score_file, the demo, tests) each run
    starts its own sandbox."""

    def __init__(self) -> None:
        self.enabled = False
        self.server: sandbox.ForkServer | None = None

    def warm_up(self, challenge: Challenge) -> None:
        """Have a warm sandbox ready for the next submission to `challenge`, unless one is."""
        if not self.enabled:
            return
        try:
            tools, limits = sandbox.check_available(), sandbox.Limits.for_challenge(challenge)
            if self.server is not None and self.server.usable_for(tools, limits):
                return
            self.discard()
            self.server = sandbox.ForkServer(tools, limits)
        except (sandbox.SandboxUnavailable, OSError) as exc:
            log.warning("Could not start a warm sandbox for the next submission: %s", exc)

    def discard(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.close()

    def for_run(self, tools: sandbox.Tools, limits: sandbox.Limits) -> sandbox.ForkServer | None:
        """The warm sandbox if it serves exactly this kind of run, else None (and it is closed)."""
        if self.server is not None and not self.server.usable_for(tools, limits):
            if self.server.broken not in (None, "closed"):
                log.warning("Replacing the warm sandbox: %s", self.server.broken)
            self.discard()
        return self.server


# This process's warm sandbox: a worker process turns it on (labeling/tasks.py) and closes it.
warm_sandbox = WarmSandbox()


def score(submission_id: int, worker: str, *, next_fair: bool = False) -> str:
    """Claim and score one submission; what happened, for the log. Safe to call twice: only a
    queued submission is claimed, and only the claim holder's result is stored. With `next_fair`
    (the Celery job) the claim takes the next submission in fair order (labeling/queue.py), of
    which `submission_id`, the one whose queueing sent the job, is only named in the log."""
    if next_fair:
        claim = services.claim_next_submission(worker)
        if claim is None:
            log.info(
                "Job of submission %s: none is queued (done, cancelled, taken or gone); nothing to do.", submission_id
            )
            return "skipped"
        submission_id = claim.submission_id
    else:
        claim = services.claim_submission(submission_id, worker)
    if claim is None:
        log.info("Submission %s is not queued (done, cancelled, taken or gone); nothing to do.", submission_id)
        return "skipped"
    submission = Submission.objects.select_related("challenge").get(pk=submission_id)
    # A no-op when the warm sandbox is there (the first run waits for its imports).
    warm_sandbox.warm_up(submission.challenge)
    try:
        try:
            outcome = evaluate(
                submission.challenge,
                code_path=submission.code_path,
                code_sha256=submission.code_sha256,
                heartbeat=lambda: services.heartbeat(claim),
            )
        except ScorerFault as exc:
            services.pause_submission(claim, str(exc))
            note_problem(worker, str(exc))
            return "paused"
        if health.clear_problem(worker):
            log.info("The scorer on %s works again: sending the waiting submissions again.", health.node_of(worker))
            services.resume_queued()
        if outcome is None:
            log.info("Submission %s was cancelled or taken over while running; result dropped.", submission_id)
            return "abandoned"
        if not services.finish_submission(claim, outcome):
            log.info("Submission %s changed hands before its result was stored; result dropped.", submission_id)
            return "abandoned"
        return outcome.status
    finally:
        warm_sandbox.warm_up(submission.challenge)  # replaced now if the run retired it: nobody waits for this


def evaluate(
    challenge: Challenge,
    *,
    code: bytes | None = None,
    code_path: str | None = None,
    code_sha256: str | None = None,
    heartbeat=None,
) -> services.Outcome | None:
    """Run code against the challenge and judge it; None if `heartbeat` said to stop. ScorerFault
    when the scorer could not run it (nothing of the code ran)."""
    try:
        tools = sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        raise ScorerFault(str(exc)) from None
    try:
        if code is None:
            code = storage.read_blob(code_path, code_sha256)
        gold = services.load_gold(challenge)
        inputs = [(item.name, storage.absolute(item.path)) for item in challenge.inputs.all()]
    except (OSError, ValueError, scoring.TableError) as exc:
        raise ScorerFault(
            f"the scorer could not read the stored files of challenge {challenge.pk} ({exc.__class__.__name__}: "
            f"{str(exc)[:200]}); check COURSEPROJ_DATA_DIR on the workers"
        ) from None
    limits = sandbox.Limits.for_challenge(challenge)
    server = warm_sandbox.for_run(tools, limits)
    try:
        return _run_and_judge(challenge, code, gold, inputs, tools, limits, heartbeat, server)
    except sandbox.SandboxUnavailable as exc:
        raise ScorerFault(str(exc)) from None
    except ScorerFault:
        if server is None:
            raise
        # The warm sandbox failed before the run: one cold try tells whether the scorer is at fault.
        log.warning("The warm sandbox could not take the run; running it in a sandbox of its own.")
        warm_sandbox.discard()
    try:
        return _run_and_judge(challenge, code, gold, inputs, tools, limits, heartbeat, None)
    except sandbox.SandboxUnavailable as exc:
        raise ScorerFault(str(exc)) from None


def note_problem(worker: str, problem: str) -> None:
    """Record that this worker cannot run code, logging it once per new problem, not per submission."""
    if health.report_problem(worker, problem):
        log.error(
            "Scoring is paused on %s: %s. Submissions stay queued. %s", health.node_of(worker), problem, health.REMEDY
        )
    else:
        log.info("Scoring is still paused on %s: %s", health.node_of(worker), problem)


def self_check(worker: str) -> sandbox_check.SelfTest | None:
    """A worker's check of its sandbox when it starts: a tiny known program in a fresh sandbox. On
    success any problem it had is cleared and the waiting submissions are sent again; on failure
    the problem is recorded (staff see it) and None is returned."""
    try:
        report = sandbox_check.self_test()
    except sandbox.SandboxUnavailable as exc:
        note_problem(worker, str(exc))
        return None
    health.clear_problem(worker)
    sent = services.resume_queued()
    log.info(
        "Sandbox check passed on %s in %.2f s (Python %s); %d waiting submission(s) sent to the workers.",
        health.node_of(worker),
        report.seconds,
        report.python,
        sent,
    )
    return report


def _run_and_judge(challenge, code, gold, inputs, tools, limits, heartbeat, server) -> services.Outcome | None:
    with server.job() if server is not None else sandbox.Scratch() as scratch:
        scratch.add_bytes(services.CODE_FILENAME, code)
        for name, path in inputs:
            scratch.add_file(name, path)
        run = {
            "code": services.CODE_FILENAME,
            "output": challenge.output_filename,
            "inputs": [name for name, _ in inputs],
            "heartbeat": heartbeat,
            "heartbeat_every": settings.SCORING_HEARTBEAT_SECONDS,
        }
        result = server.run(**run) if server is not None else sandbox.run(scratch, limits=limits, tools=tools, **run)
        if result.killed == "abandoned" or (heartbeat is not None and not heartbeat()):
            return None  # cancelled, or taken over by another worker: this result will not be stored
        if result.setup_error and not result.started:
            raise ScorerFault(f"the sandbox could not run code: {result.setup_error[:600]}")
        log_tail = result.log_tail()
        status, message = judge(result, limits)
        if status is not None:
            return services.Outcome(status=status, message=message, log_tail=log_tail, runtime_s=result.runtime_s)
        try:
            data = scoring.open_output(scratch.fd, challenge.output_filename)
            predictions = scoring.read_predictions(
                data, challenge.keys, challenge.label_column, gold, challenge.output_filename
            )
        except scoring.TableError as exc:
            return services.Outcome(
                status=Status.INVALID_OUTPUT,
                message=" ".join(exc.problems),
                log_tail=log_tail,
                runtime_s=result.runtime_s,
            )
    public = scoring.public_keys(gold, challenge.public_fraction, challenge.split_seed)
    scores = scoring.score(challenge.metric, gold, predictions, public)
    return services.Outcome(status=Status.SCORED, log_tail=log_tail, runtime_s=result.runtime_s, scores=scores)


def judge(result: sandbox.Result, limits: sandbox.Limits) -> tuple[str | None, str]:
    """(terminal status, message for the student) of a run that did not end cleanly, or
    (None, "") when the program exited with status 0 and its output is to be read."""
    if result.setup_error:
        # The sandbox failed while the code ran (a fault before it started is a ScorerFault).
        return Status.FAILED, (
            f"The sandbox stopped while your code ran ({result.setup_error[:300]}). "
            "This may be a problem of the scorer rather than of your code: tell the course staff."
        )
    if result.killed == "time":
        return Status.TIMED_OUT, (
            f"Stopped after the time limit of {limits.time_s:g} s (wall-clock time, for everything the code "
            "starts). Make it faster: vectorize with pandas/numpy instead of Python loops over rows."
        )
    if result.killed == "disk":
        return Status.FAILED, (
            f"Stopped: the code wrote more than {limits.scratch_mb} MB or {limits.scratch_entries:,} files "
            "into its working directory."
        )
    if result.killed == "memory":
        return Status.MEMORY_EXCEEDED, (
            f"Stopped: the code's processes together used more than the memory limit of {limits.memory_mb} MB "
            "(numpy, pandas and scikit-learn take about 300 MB of it just by being imported). "
            "Use less memory, e.g. smaller dtypes, processing in chunks or fewer processes."
        )
    sig = result.signal
    if sig in (signal.SIGXCPU,) or (sig == signal.SIGKILL and result.cpu_s and result.cpu_s >= limits.time_s):
        return Status.TIMED_OUT, f"Stopped after using {limits.time_s:g} s of CPU time, the limit of this challenge."
    memory = _ran_out_of_memory(result)
    if memory:
        return Status.MEMORY_EXCEEDED, (
            f"The code ran out of memory: the limit is {limits.memory_mb} MB of address space per process "
            "(numpy, pandas and scikit-learn take about 300 MB of it just by being imported). "
            "Use less memory, e.g. smaller dtypes or processing in chunks."
        )
    if result.exit_code == sandbox.EXIT_AGGREGATE:
        return Status.INVALID_OUTPUT, "aggregate(raw) could not produce the output file; the log below says why."
    if sig is not None:
        name = _signal_name(sig)
        if sig == signal.SIGXFSZ:
            return Status.FAILED, f"Stopped: the code wrote a file larger than {limits.file_mb} MB."
        return Status.FAILED, f"The code was killed by signal {sig} ({name}); the end of its output is below."
    if result.exit_code:
        if b"File too large" in result.stderr:
            return Status.FAILED, f"The code tried to write a file larger than {limits.file_mb} MB and crashed."
        return Status.FAILED, (
            f"The code stopped with exit status {result.exit_code}; the end of its output below shows the error."
        )
    return None, ""


def _ran_out_of_memory(result: sandbox.Result) -> bool:
    if result.exit_code == sandbox.EXIT_MEMORY:
        return True
    ended_badly = result.signal is not None or bool(result.exit_code)
    return ended_badly and any(marker in result.stderr for marker in MEMORY_MARKERS)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"
