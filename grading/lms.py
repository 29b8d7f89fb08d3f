"""The grade sheet as the CSV files LMS gradebooks import, and the parsers that read them back.

Canvas (Instructor Guide, "How do I import grades in the Gradebook?"): the first columns are
`Student, ID, SIS User ID, SIS Login ID, Section`, then one column per assignment; a second row
whose Student cell is "Points Possible" gives each assignment's points (Canvas writes it in its
own export and reads it on import; a column naming no existing assignment creates one with those
points). Students are matched by ID, SIS User ID or SIS Login ID; Student is "Last, First".

Moodle (Grades › Import › CSV file): any header; the teacher maps one identifier column (here
"Email address", with "ID number" beside it) to a user field and each other column to a grade item.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from grading.sheet import Sheet

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
TOTAL = "Course project total"
MOODLE_ID_COLUMNS = ["Email address", "ID number"]


def _columns(sheet: Sheet) -> list[tuple[str, str]]:
    """(column name, component key) in order; the total last."""
    return [(c.name, c.key) for c in sheet.components] + [(TOTAL, "")]


def _value(row, key: str) -> str:
    if not key:
        return f"{row.total:.2f}"
    cell = row.cells[key]
    return "" if cell.adjusted is None else f"{cell.adjusted:.2f}"


def _sortable_name(user) -> str:
    if user.last_name and user.first_name:
        return f"{user.last_name}, {user.first_name}"
    return user.get_full_name() or user.email


def canvas_csv(sheet: Sheet) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = _columns(sheet)
    writer.writerow(CANVAS_HEADER + [name for name, _ in columns])
    # Canvas's own export indents the label; its importer strips it.
    writer.writerow(["    " + POINTS_POSSIBLE, "", "", "", ""] + ["100.00"] * len(columns))
    for row in sheet.rows:
        m = row.membership
        writer.writerow(
            [_sortable_name(row.user), m.lms_id, m.sis_id, row.user.email, m.section]
            + [_value(row, key) for _, key in columns]
        )
    return out.getvalue()


def moodle_csv(sheet: Sheet) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = _columns(sheet)
    writer.writerow(MOODLE_ID_COLUMNS + [name for name, _ in columns])
    for row in sheet.rows:
        writer.writerow([row.user.email, row.membership.sis_id] + [_value(row, key) for _, key in columns])
    return out.getvalue()


@dataclass
class ParsedGrades:
    identities: list[dict[str, str]]  # per student: the identifier columns
    grades: list[dict[str, float | None]]  # per student: column → value
    points_possible: dict[str, float]


def _number(text: str) -> float | None:
    text = text.strip()
    return float(text) if text else None


def parse_canvas_csv(text: str) -> ParsedGrades:
    """Read a Canvas gradebook CSV as Canvas's importer does (header, optional Points Possible row)."""
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    if header[: len(CANVAS_HEADER)] != CANVAS_HEADER:
        raise ValueError(f"not a Canvas gradebook header: {header[:5]}")
    items = header[len(CANVAS_HEADER) :]
    body = rows[1:]
    points = {}
    if body and body[0][0].strip() == POINTS_POSSIBLE:
        points = {name: float(v) for name, v in zip(items, body[0][len(CANVAS_HEADER) :], strict=True)}
        body = body[1:]
    identities, grades = [], []
    for r in body:
        identities.append(dict(zip(CANVAS_HEADER, r[: len(CANVAS_HEADER)], strict=True)))
        grades.append({name: _number(v) for name, v in zip(items, r[len(CANVAS_HEADER) :], strict=True)})
    return ParsedGrades(identities, grades, points)


def parse_moodle_csv(text: str) -> ParsedGrades:
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    if header[: len(MOODLE_ID_COLUMNS)] != MOODLE_ID_COLUMNS:
        raise ValueError(f"not our Moodle layout: {header[:2]}")
    items = header[len(MOODLE_ID_COLUMNS) :]
    identities, grades = [], []
    for r in rows[1:]:
        identities.append(dict(zip(MOODLE_ID_COLUMNS, r[: len(MOODLE_ID_COLUMNS)], strict=True)))
        grades.append({name: _number(v) for name, v in zip(items, r[len(MOODLE_ID_COLUMNS) :], strict=True)})
    return ParsedGrades(identities, grades, {})
