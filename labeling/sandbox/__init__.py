"""The scoring sandbox: where submitted code runs (docs/sandbox.md; what each file guards: README.md).

The rest of the project uses only what is named here:

- `run(scratch, code=…, output=…, inputs=…, limits=…)` → `Result`: one run in a sandbox of its own;
- `ForkServer(tools, limits)`: the warm sandbox a worker keeps, whose `run(...)` gives the same `Result`;
- `Scratch`: the run's working directory, to fill before and read (through `fd`) after;
- `Limits`, `Result`, `SandboxUnavailable`, and the runner's exit codes;
- `check_available()` → `Tools` (or why not), `capabilities()`, `runtime_packages()`, and the
  start-up and operator checks in `labeling.sandbox.check`.
"""

from labeling.sandbox.cold import run
from labeling.sandbox.contract import EXIT_AGGREGATE, EXIT_MEMORY, Limits, Result, SandboxUnavailable
from labeling.sandbox.runtime import runtime_packages
from labeling.sandbox.scratch import Scratch
from labeling.sandbox.tools import Tools, capabilities, check_available
from labeling.sandbox.warm import ForkServer

__all__ = [
    "EXIT_AGGREGATE",
    "EXIT_MEMORY",
    "ForkServer",
    "Limits",
    "Result",
    "SandboxUnavailable",
    "Scratch",
    "Tools",
    "capabilities",
    "check_available",
    "run",
    "runtime_packages",
]
