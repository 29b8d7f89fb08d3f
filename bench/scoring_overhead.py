"""Scoring overhead: what a sandboxed, queued scoring costs over just running the code.

    .venv/bin/python bench/scoring_overhead.py [--runs 20]

The seed challenge (tests/labeling/factories.py → labeling.services.create_challenge) and the
majority-vote reference solution, alternating, `--runs` times each:

- scorer: submit through labeling.services.submit to one warm Celery worker (one process,
  Redis db 11) and take the time from "submission stored" (the row's created_at) to
  "scored" (its finished_at, written with the scores). A worker scores in its warm sandbox
  (labeling/sandbox/warm.py); `--cold` turns that off (a sandbox of its own per run) to compare;
- plain: `python majority_vote.py` (this venv's interpreter, same packages) in a directory
  that already holds raw_data.csv, then reading summarized_data.csv and scoring it
  in-process with labeling.scoring against the gold, loaded beforehand.

Each run comes after `--pause` seconds of quiet (submissions do not come back to back; and the
worker's starting the next sandbox must not slow a plain run down). Both give the same score
(checked). The last line is median(scorer) / median(plain).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _env, _scoring

BROKER = _env.REDIS_URLS[0]
TARGET = 1.15


def plain_run(challenge, gold, public, raw: Path, code: bytes) -> tuple[float, float]:
    """(seconds, score) of running the code with plain python in a directory with the inputs and
    scoring its output in-process. Preparing the directory is not timed."""
    from labeling import scoring

    folder = Path(tempfile.mkdtemp(prefix="cp-bench-plain-"))
    try:
        shutil.copyfile(raw, folder / "raw_data.csv")
        (folder / "majority_vote.py").write_bytes(code)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "majority_vote.py"], cwd=folder, check=True, stdout=subprocess.DEVNULL, stdin=None
        )
        data = (folder / challenge.output_filename).read_bytes()
        predictions = scoring.read_predictions(
            data, challenge.keys, challenge.label_column, gold, challenge.output_filename
        )
        scores = scoring.score(challenge.metric, gold, predictions, public)
        return time.perf_counter() - started, scores.score
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scored_run(challenge, user, code: bytes):
    sub = _scoring.submit(challenge, user, code)
    (sub,) = _scoring.wait_terminal([sub.pk], timeout=300)
    if sub.status != "scored":
        raise RuntimeError(f"submission {sub.pk} ended {sub.status}: {sub.message}\n{sub.log_tail}")
    return sub


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds of quiet before each run")
    parser.add_argument("--cold", action="store_true", help="no warm sandbox: each run starts a sandbox of its own")
    args = parser.parse_args(argv)

    _scoring.setup(BROKER)
    problem = _scoring.sandbox_ready()
    if problem:
        sys.exit(f"The sandbox cannot run here: {problem}")
    from labeling import scoring, services
    from tests.labeling.factories import seed_dir

    total = args.runs + args.warmup
    seed = _scoring.make_seed(students=1, daily_limit=1000, max_queued=10)
    challenge, user = seed.challenge, seed.students[0]
    gold = services.load_gold(challenge)
    public = scoring.public_keys(gold, challenge.public_fraction, challenge.split_seed)
    raw = seed_dir() / "raw_data.csv"
    code = _scoring.reference_code()

    plain, scorer, subs = [], [], []
    last_plain = 0.0
    app = "bench.cold_worker" if args.cold else "courseproj"
    with _scoring.Workers(BROKER, ["overhead"], concurrency=1, app=app):
        for i in range(total):
            # Alternate, so drift in the machine's load hits both alike, with a pause before each
            # run: submissions do not come back to back, and whatever the last run left the machine
            # doing (the worker starting the next sandbox) must not slow the next one down.
            for kind in ("plain", "scorer"):
                time.sleep(args.pause)
                if kind == "plain":
                    last_plain, plain_score = plain_run(challenge, gold, public, raw, code)
                    if i >= args.warmup:
                        plain.append(last_plain)
                else:
                    sub = scored_run(challenge, user, code)
                    if i >= args.warmup:
                        scorer.append(_scoring.stored_to_scored(sub))
                        subs.append(sub)
            if abs(sub.score - plain_score) > 1e-12:
                raise RuntimeError(f"the scorer gave {sub.score}, plain scoring {plain_score}")
            print(
                f"run {i + 1:2d}/{total}{' (warm-up)' if i < args.warmup else ''}: "
                f"plain {last_plain:.3f} s, scorer {_scoring.stored_to_scored(sub):.3f} s",
                flush=True,
            )

    med = _env.median
    waits = [_scoring.seconds(s.created_at, s.started_at) for s in subs]
    sandbox = [s.runtime_s for s in subs]
    after = [_scoring.seconds(s.started_at, s.finished_at) - s.runtime_s for s in subs]
    ratio = med(scorer) / med(plain)
    report = {
        "runs": args.runs,
        "warm_sandbox": not args.cold,
        "score": subs[-1].score,
        "plain_median_s": round(med(plain), 3),
        "scorer_median_s": round(med(scorer), 3),
        "scorer_parts_median_s": {
            "stored_to_claimed": round(med(waits), 3),
            "sandboxed_process": round(med(sandbox), 3),
            "claim_setup_read_score_store": round(med(after), 3),
        },
        "plain_min_max_s": [round(min(plain), 3), round(max(plain), 3)],
        "scorer_min_max_s": [round(min(scorer), 3), round(max(scorer), 3)],
    }
    print(f"machine: {_env.machine()}")
    print(json.dumps(report))
    print(f"target <= {TARGET}: {'met' if ratio <= TARGET else 'NOT met'}")
    _env.drop_database()
    _env.flush_redis(BROKER)
    shutil.rmtree(_env.VAR_DIR, ignore_errors=True)
    print(f"scoring_overhead_ratio: {ratio:.3f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
