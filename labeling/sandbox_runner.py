"""Runs a submission inside the sandbox (trusted code, but in the same process as the untrusted
code, so nothing it reports is trusted outside: the scorer reads only exit codes and the
output file, through its own reader).

Started by labeling/sandbox.py as `python -I -B runner.py CONFIG_JSON` with the scratch
directory as the working directory. It first lowers its own resource limits (so the per-
sandbox process limit counts only this sandbox's processes, see docs/sandbox.md), then runs
the submitted file as `__main__`, the way `python submission.py` would. If the file wrote no
output but defines `aggregate(raw)`, it calls that with the challenge's single input read by
pandas and writes the returned DataFrame as the output file.

In a sandbox started ahead of its submission, CONFIG_JSON only names a pipe and the modules to
import; the runner imports them, waits for the submission's configuration on the pipe, and then
goes on as above.

Standalone on purpose: it must import nothing of the project.
"""

import contextlib
import importlib
import json
import math
import os
import resource
import runpy
import sys
import traceback

# Exit codes the scorer understands (anything else is the program's own exit status).
EXIT_MEMORY = 86  # a MemoryError reached the top
EXIT_AGGREGATE = 87  # aggregate() broke its contract (see the log for what)
LIMITS = {
    "cpu": resource.RLIMIT_CPU,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
    "fsize": resource.RLIMIT_FSIZE,
    "nofile": resource.RLIMIT_NOFILE,
    "core": resource.RLIMIT_CORE,
}


def _apply_limits(limits: dict) -> None:
    for name, (soft, hard) in limits.items():
        resource.setrlimit(LIMITS[name], (soft, hard))


def _run_aggregate(namespace: dict, output: str, inputs: list) -> None:
    aggregate = namespace.get("aggregate")
    if os.path.lexists(output) or not callable(aggregate):
        return
    if len(inputs) != 1:
        print(
            f"aggregate(raw) works only for a challenge with one input file; this one has {len(inputs)}. "
            f"Read the inputs yourself and write {output}.",
            file=sys.stderr,
        )
        sys.exit(EXIT_AGGREGATE)
    import pandas

    result = aggregate(pandas.read_csv(inputs[0]))
    if not isinstance(result, pandas.DataFrame):
        print(f"aggregate(raw) must return a pandas DataFrame; it returned {type(result).__name__}.", file=sys.stderr)
        sys.exit(EXIT_AGGREGATE)
    result.to_csv(output, index=False)


def _print_traceback(exc: BaseException, code: str) -> None:
    """The traceback from the submitted file's first frame on: the runner's frames are noise."""
    tb = exc.__traceback__
    while tb is not None and os.path.basename(tb.tb_frame.f_code.co_filename) != code:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__)


def _wait_for_submission(config: dict) -> dict:
    """A sandbox started ahead of its submission (labeling/sandbox.py, Prestarted): import what
    every submission imports, say so on the pipe `ready_fd`, then read the submission's
    configuration from the pipe `wait_fd`. An empty pipe means the sandbox was discarded unused."""
    for name in config.get("preload", ()):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    # Ready: the worker starts the clock when it hands the submission over after this.
    os.write(config["ready_fd"], b"r")
    os.close(config["ready_fd"])
    fd = config["wait_fd"]
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    if not chunks:
        sys.exit(0)
    real = json.loads(b"".join(chunks))
    # The CPU limit counts from here: the imports above are not the submission's time. (The limit
    # set from outside has room for them; this lowers it to what the submission may use.)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = math.ceil(usage.ru_utime + usage.ru_stime)
    ceiling = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft, hard = (value + used for value in real["limits"]["cpu"])
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    real["limits"]["cpu"] = (soft, hard)
    return real


def main() -> None:
    config = json.loads(sys.argv[1])
    if "wait_fd" in config:
        config = _wait_for_submission(config)
    _apply_limits(config["limits"])
    code = config["code"]
    sys.argv = [code]
    # As `python submission.py` would: the script's folder first on the import path.
    sys.path.insert(0, os.getcwd())
    try:
        namespace = runpy.run_path(code, run_name="__main__")
        _run_aggregate(namespace, config["output"], config["inputs"])
    except MemoryError as exc:
        # The failed allocation was not made, so there is usually room for the traceback.
        with contextlib.suppress(MemoryError):
            _print_traceback(exc, code)
        sys.stderr.write("MemoryError: the code ran out of memory (the memory limit of the challenge).\n")
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # exiting anyway; the exit code says what happened
                stream.flush()
        os._exit(EXIT_MEMORY)
    except SystemExit:
        raise
    except BaseException as exc:
        _print_traceback(exc, code)
        sys.stderr.flush()
        sys.exit(1)
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
