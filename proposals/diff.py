"""Differences between two revisions of a proposal, section by section (difflib).

Everything returned is either plain text (escaped by the template) or built here with
`escape()` on every piece of user text before it is marked safe.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from proposals.models import ProposalRevision


@dataclass
class SideBySideRow:
    kind: str  # equal, replace, delete, insert
    left_no: int | None
    left: SafeString
    right_no: int | None
    right: SafeString


@dataclass
class SectionDiff:
    key: str
    title: str
    old_title: str | None
    status: str  # unchanged, changed, added, removed
    unified: list[tuple[str, str]] = field(default_factory=list)  # (kind, line) with kind in " +-@"
    rows: list[SideBySideRow] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").split("\n") if text else []


def _highlight(old: str, new: str) -> tuple[SafeString, SafeString]:
    """The two lines with the changed characters wrapped in <del>/<ins>; all text escaped."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < 0.5:  # mostly rewritten: marking every scattered character is noise
        return mark_safe(f"<del>{escape(old)}</del>"), mark_safe(f"<ins>{escape(new)}</ins>")  # noqa: S308
    left, right = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = escape(old[i1:i2]), escape(new[j1:j2])
        if op == "equal":
            left.append(a)
            right.append(b)
        else:
            if a:
                left.append(f"<del>{a}</del>")
            if b:
                right.append(f"<ins>{b}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 - every piece escaped above


def side_by_side(old: str, new: str) -> list[SideBySideRow]:
    a, b = _lines(old), _lines(new)
    rows: list[SideBySideRow] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                text = escape(a[i1 + k])
                rows.append(SideBySideRow("equal", i1 + k + 1, text, j1 + k + 1, text))
        elif op == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                li, rj = i1 + k, j1 + k
                if li < i2 and rj < j2:
                    left, right = _highlight(a[li], b[rj])
                    rows.append(SideBySideRow("replace", li + 1, left, rj + 1, right))
                elif li < i2:
                    rows.append(SideBySideRow("delete", li + 1, escape(a[li]), None, mark_safe("")))
                else:
                    rows.append(SideBySideRow("insert", None, mark_safe(""), rj + 1, escape(b[rj])))
        elif op == "delete":
            for li in range(i1, i2):
                rows.append(SideBySideRow("delete", li + 1, escape(a[li]), None, mark_safe("")))
        else:
            for rj in range(j1, j2):
                rows.append(SideBySideRow("insert", None, mark_safe(""), rj + 1, escape(b[rj])))
    return rows


def unified(old: str, new: str, *, from_label: str, to_label: str, context: int = 3) -> list[tuple[str, str]]:
    """Unified diff lines as (kind, text): kind is ' ', '+', '-' or '@' (hunk header). Text is raw."""
    out = []
    for line in difflib.unified_diff(_lines(old), _lines(new), from_label, to_label, n=context, lineterm=""):
        if line.startswith(("---", "+++")):
            continue
        kind = line[:1] or " "
        out.append((kind, line[1:] if kind in " +-" else line))
    return out


def diff_revisions(old: ProposalRevision, new: ProposalRevision) -> list[SectionDiff]:
    """Per-section differences from `old` to `new`, in the newer revision's order (removed sections last)."""
    before = {s.key: s for s in old.sections.all()}
    after = {s.key: s for s in new.sections.all()}
    result = []
    keys = sorted(after, key=lambda k: after[k].position) + sorted(
        (k for k in before if k not in after), key=lambda k: before[k].position
    )
    for key in keys:
        a, b = before.get(key), after.get(key)
        old_text, new_text = (a.body if a else ""), (b.body if b else "")
        if a is None:
            status = "added"
        elif b is None:
            status = "removed"
        else:
            status = "unchanged" if old_text == new_text and a.title == b.title else "changed"
        labels = {"from_label": f"revision {old.number}", "to_label": f"revision {new.number}"}
        result.append(
            SectionDiff(
                key=key,
                title=(b or a).title,
                old_title=a.title if a and b and a.title != b.title else None,
                status=status,
                unified=unified(old_text, new_text, **labels),
                rows=side_by_side(old_text, new_text),
            )
        )
    return result
