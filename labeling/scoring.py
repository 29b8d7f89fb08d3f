"""Trusted scoring: read tables (gold, submission output), split the gold, compute metrics.

Everything here runs outside the sandbox, on bytes the submission may have crafted. The
output file is opened only if it is a regular file directly in the scratch directory (never
through a link, never a FIFO or device), read up to a size bound, decoded as strict UTF-8 and
parsed with the csv module; any problem becomes a message for the student, never an exception
that escapes. The gold goes through the same parser when an instructor uploads it.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import stat
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

# The largest output file the scorer reads (a summary of 440 gold pairs is ~20 kB).
MAX_OUTPUT_BYTES = 16 * 1024 * 1024
# Problems listed in one message at most; the rest are counted.
MAX_LISTED_PROBLEMS = 8

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0"})
TRUE, FALSE = "true", "false"
# Stands for "no prediction" in multi-class metrics; never equal to a real label.
MISSING = "\x00missing"

Key = tuple[str, ...]


class TableError(Exception):
    """A table that cannot be used; `problems` lists every reason (each a sentence)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Gold:
    labels: dict[Key, str]  # normalized labels by key
    binary: bool  # labels are true/false (read from True/False, 1/0, yes/no, ...)

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.labels.values()))


@dataclass(frozen=True)
class Scores:
    score: float  # the metric on all gold
    public_score: float | None  # on the public part (None if it is empty)
    private_score: float | None


def normalize_label(value: str) -> str:
    """Case- and space-insensitive label: true/false words become "true"/"false", others casefold."""
    word = value.strip().casefold()
    if word in TRUE_WORDS:
        return TRUE
    if word in FALSE_WORDS:
        return FALSE
    return word


def _summarize(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_LISTED_PROBLEMS:
        return problems
    extra = len(problems) - MAX_LISTED_PROBLEMS
    return [*problems[:MAX_LISTED_PROBLEMS], f"… and {extra} more problem{'s' if extra != 1 else ''} like these."]


def decode(data: bytes, what: str) -> str:
    """Strict UTF-8 (a leading byte-order mark is allowed); TableError naming the bad byte otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        raise TableError([f"The {what} is not valid UTF-8 (byte {exc.start}: {bad!r}); save it as UTF-8."]) from None
    return text.removeprefix("\ufeff")


def parse_rows(data: bytes, key_columns: list[str], label_column: str, what: str) -> list[tuple[int, Key, str]]:
    """(line number, key, raw label) of every row; TableError listing every problem found."""
    rows, problems = _parse(data, key_columns, label_column, what)
    if problems:
        raise TableError(_summarize(_in_line_order(problems)))
    return rows


def _parse(data: bytes, key_columns: list[str], label_column: str, what: str):
    """(usable rows, problems of the other rows); TableError if the table as a whole is unusable."""
    text = decode(data, what)
    if "\x00" in text:
        raise TableError([f"The {what} contains NUL bytes; it is not a CSV text file."])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise TableError([f"The {what}'s header line is not valid CSV: {exc}."]) from None
    if not header or not any(h.strip() for h in header):
        raise TableError(
            [f"The {what} is empty; it needs a header line with {', '.join([*key_columns, label_column])}."]
        )
    names = [h.strip() for h in header]
    problems = []
    wanted = [*key_columns, label_column]
    missing = [c for c in wanted if c not in names]
    if missing:
        problems.append(
            f"The {what} lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(it has: {', '.join(names[:20]) or 'none'})."
        )
    doubled = sorted({c for c in wanted if names.count(c) > 1})
    if doubled:
        problems.append(f"The {what} has the column{'s' if len(doubled) > 1 else ''} {', '.join(doubled)} twice.")
    if problems:
        raise TableError(problems)
    key_at = [names.index(c) for c in key_columns]
    label_at = names.index(label_column)
    rows = []
    seen: dict[Key, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line
            if len(fields) != len(names):
                problems.append((line, f"Line {line} has {len(fields)} fields; the header has {len(names)}."))
                continue
            key = tuple(fields[i].strip() for i in key_at)
            label = fields[label_at]
            if any(part == "" for part in key):
                problems.append((line, f"Line {line} has an empty key ({', '.join(key_columns)})."))
                continue
            if key in seen:
                problems.append((line, f"Line {line} repeats the key {_show(key)} of line {seen[key]}."))
                continue
            seen[key] = line
            rows.append((line, key, label))
    except csv.Error as exc:
        problems.append((reader.line_num, f"Line {reader.line_num} is not valid CSV: {exc}."))
    return rows, problems


def _show(key: Key) -> str:
    return "(" + ", ".join(key) + ")" if len(key) > 1 else repr(key[0])


def read_gold(data: bytes, key_columns: list[str], label_column: str) -> Gold:
    """The gold as normalized labels by key; TableError listing every problem."""
    problems = []
    if not key_columns:
        problems.append("Name at least one key column.")
    if not label_column:
        problems.append("Name the label column.")
    if label_column and label_column in key_columns:
        problems.append(f"The label column {label_column} cannot also be a key column.")
    if problems:
        raise TableError(problems)
    rows, problems = _parse(data, key_columns, label_column, "gold")
    if not rows and not problems:
        raise TableError(["The gold has a header but no rows."])
    labels = {}
    for line, key, raw in rows:
        if not raw.strip():
            problems.append((line, f"Line {line} of the gold has no label."))
        labels[key] = normalize_label(raw)
    if problems:
        raise TableError(_summarize(_in_line_order(problems)))
    binary = all(label in (TRUE, FALSE) for label in labels.values())
    return Gold(labels=labels, binary=binary)


def read_predictions(data: bytes, key_columns: list[str], label_column: str, gold: Gold, filename: str):
    """Normalized predictions by key; TableError when a label cannot be read.

    Keys that are not in the gold are ignored; their labels are still checked so a student
    learns about a malformed file at once."""
    rows, problems = _parse(data, key_columns, label_column, f"output file {filename}")
    classes = set(gold.classes)
    predictions = {}
    for line, key, raw in rows:
        label = normalize_label(raw)
        if gold.binary and label not in (TRUE, FALSE):
            problems.append(
                (
                    line,
                    f"Line {line}: the label {raw.strip()[:40]!r} is not readable; write true or false "
                    "(True/False, 1/0 and yes/no are read too, in any case).",
                )
            )
        elif not gold.binary and label not in classes:
            problems.append(
                (
                    line,
                    f"Line {line}: the label {raw.strip()[:40]!r} is not one of the labels "
                    f"({', '.join(sorted(classes)[:12])}).",
                )
            )
        else:
            predictions[key] = label
    if problems:
        raise TableError(_summarize(_in_line_order(problems)))
    return predictions


def _in_line_order(problems: list) -> list[str]:
    """Problems as sentences, by line: (line, sentence) pairs and plain sentences mixed."""
    keyed = [(p if isinstance(p, tuple) else (0, p)) for p in problems]
    return [text for _, text in sorted(keyed, key=lambda pair: pair[0])]


def open_output(directory_fd: int, filename: str, max_bytes: int = MAX_OUTPUT_BYTES) -> bytes:
    """The output file's bytes, read only if it is a regular file named `filename` directly in
    the directory `directory_fd` (no symlink, FIFO, device or directory), at most `max_bytes`."""
    if "/" in filename or filename in ("", ".", ".."):
        raise TableError([f"The output file name {filename!r} is not a plain file name."])
    try:
        st = os.stat(filename, dir_fd=directory_fd, follow_symlinks=False)
    except FileNotFoundError:
        raise TableError([f"The code finished but did not write {filename} in its working directory."]) from None
    if stat.S_ISLNK(st.st_mode):
        raise TableError([f"{filename} is a symbolic link; write the results into a regular file."])
    if not stat.S_ISREG(st.st_mode):
        raise TableError([f"{filename} is not a regular file (e.g. a directory or a FIFO); write a regular file."])
    # O_NOFOLLOW refuses a link swapped in since the stat; O_NONBLOCK keeps a FIFO from blocking the open.
    try:
        fd = os.open(filename, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=directory_fd)
    except OSError as exc:
        raise TableError([f"{filename} cannot be opened ({exc.strerror}); write a regular file."]) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise TableError([f"{filename} is not a regular file; write a regular file."])
        if st.st_size > max_bytes:
            raise TableError([f"{filename} is {_mb(st.st_size)}; the scorer reads at most {_mb(max_bytes)}."])
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise TableError([f"{filename} is larger than {_mb(max_bytes)}; the scorer reads at most that."])
        return b"".join(chunks)
    finally:
        os.close(fd)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def public_keys(gold: Gold, fraction: float, seed: int) -> frozenset[Key]:
    """The gold keys on the public leaderboard: `fraction` of each label, chosen by `seed`.

    Stratified (each label keeps its share in both halves) and independent of the row order
    of the gold file and of library versions: keys are sorted, then shuffled per label with
    Python's Mersenne Twister seeded by (seed, label)."""
    by_label: dict[str, list[Key]] = {}
    for key, label in gold.labels.items():
        by_label.setdefault(label, []).append(key)
    chosen: list[Key] = []
    for label in sorted(by_label):
        keys = sorted(by_label[label])
        random.Random(f"{seed}:{label}").shuffle(keys)
        count = math.floor(len(keys) * fraction + 0.5)
        chosen.extend(keys[:count])
    return frozenset(chosen)


def metric_problem(metric: str, gold: Gold) -> str | None:
    """Why `metric` does not fit this gold, or None."""
    if metric == "f1" and not gold.binary:
        return "F1 of the positive class needs true/false labels; use macro-F1 for more than two labels."
    return None


def compute(metric: str, gold: Gold, predictions: dict[Key, str], keys: Iterable[Key]) -> float | None:
    """The metric over `keys` of the gold (None if there are none); a missing prediction is wrong."""
    from sklearn import metrics as skm

    keys = sorted(keys)
    if not keys:
        return None
    y_true = [gold.labels[k] for k in keys]
    if gold.binary:
        # Missing: the opposite of the truth, wrong under every metric.
        y_pred = [predictions.get(k, FALSE if gold.labels[k] == TRUE else TRUE) for k in keys]
    else:
        y_pred = [predictions.get(k, MISSING) for k in keys]
    classes = gold.classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about degenerate splits; the values are defined below
        if metric == "accuracy":
            value = skm.accuracy_score(y_true, y_pred)
        elif metric == "f1":
            value = skm.f1_score(y_true, y_pred, pos_label=TRUE, average="binary", zero_division=0.0)
        elif metric == "balanced_accuracy":
            value = skm.balanced_accuracy_score(y_true, y_pred)
        elif metric == "cohen_kappa":
            value = skm.cohen_kappa_score(y_true, y_pred)
        elif metric == "macro_f1":
            value = skm.f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0.0)
        else:
            raise ValueError(f"unknown metric {metric!r}")
    value = float(value)
    # Cohen's kappa is 0/0 when truth and prediction are one and the same constant: no skill shown.
    return 0.0 if math.isnan(value) else value


def score(metric: str, gold: Gold, predictions: dict[Key, str], public: frozenset[Key]) -> Scores:
    everything = list(gold.labels)
    private = [k for k in everything if k not in public]
    return Scores(
        score=compute(metric, gold, predictions, everything),
        public_score=compute(metric, gold, predictions, public),
        private_score=compute(metric, gold, predictions, private),
    )
