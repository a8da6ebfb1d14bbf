"""What changed between two versions of a procedure: steps, variables and the body's lines.

Pure functions of the two bodies (versions are immutable), built on difflib. Steps are matched
by their text, so inserting a step shows as one added step, not as every later step changed;
changed lines and steps carry word-level segments so the template can mark what moved.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from procedures.documents import Step, Variable, parse_document
from procedures.models import ProcedureVersion
from procedures.patience import grouped, opcodes

CONTEXT_LINES = 3
# Pairing a removed with an added step (or line) as "changed" needs this much in common;
# below it the reader is better served by "removed" and "added".
SIMILAR = 0.5
# Word-level marking is quadratic in the worst case: skip it for very long lines and blocks.
MAX_INTRALINE_CHARS = 1000
MAX_INTRALINE_BLOCK = 50
TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
KINDS = ("changed", "added", "removed")


@dataclass(frozen=True)
class Segment:
    """A run of text within a line or step; ``changed`` marks what the other side lacks."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class Line:
    """One line of the body diff: kept (context), added or removed, with its line numbers."""

    kind: str  # "context", "added" or "removed"
    old_number: int | None
    new_number: int | None
    segments: tuple[Segment, ...]

    @property
    def sign(self) -> str:
        return {"added": "+", "removed": "-"}.get(self.kind, "")


@dataclass(frozen=True)
class Hunk:
    """A stretch of changed lines with a little unchanged context around it."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[Line, ...]

    @property
    def header(self) -> str:
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@"


@dataclass(frozen=True)
class StepChange:
    """A step added, removed or reworded; numbers are each version's own."""

    kind: str  # "added", "removed" or "changed"
    old: Step | None
    new: Step | None
    old_segments: tuple[Segment, ...] = ()
    new_segments: tuple[Segment, ...] = ()

    @property
    def renumbered(self) -> bool:
        return self.old is not None and self.new is not None and self.old.number != self.new.number


@dataclass(frozen=True)
class SettingChange:
    setting: str
    old: str
    new: str


@dataclass(frozen=True)
class VariableChange:
    """A variable added, removed or with changed settings."""

    kind: str  # "added", "removed" or "changed"
    old: Variable | None
    new: Variable | None
    settings: tuple[SettingChange, ...] = ()

    @property
    def name(self) -> str:
        variable = self.new or self.old
        assert variable is not None
        return variable.name

    @property
    def described(self) -> str:
        """The settings of an added or removed variable, in words."""
        variable = self.new or self.old
        assert variable is not None
        return describe_variable(variable)


@dataclass(frozen=True)
class VersionDiff:
    """Everything that changed from version ``old_number`` to ``new_number``."""

    old_number: int
    new_number: int
    steps: tuple[StepChange, ...]
    variables: tuple[VariableChange, ...]
    hunks: tuple[Hunk, ...]
    lines_added: int
    lines_removed: int

    @property
    def is_empty(self) -> bool:
        return not self.hunks

    @property
    def summary(self) -> str:
        """'2 steps changed, 1 added · 1 variable removed · +4 -2 lines'"""
        parts = [
            _counted(self.steps, "step", "steps"),
            _counted(self.variables, "variable", "variables"),
            f"+{self.lines_added} -{self.lines_removed} lines",
        ]
        return " · ".join(p for p in parts if p)


def _counted(changes: Sequence[StepChange | VariableChange], one: str, many: str) -> str:
    counts = [(kind, sum(1 for c in changes if c.kind == kind)) for kind in KINDS]
    words = [f"{n} {kind}" for kind, n in counts if n]
    if not words:
        return ""
    count, kind = words[0].split(" ")
    words[0] = f"{count} {one if count == '1' else many} {kind}"
    return ", ".join(words)


def describe_variable(variable: Variable) -> str:
    """'choice of staging, production · default staging · required'"""
    if variable.type == "choice":
        parts = [f"choice of {', '.join(variable.choices)}"]
    else:
        parts = [variable.type]
    if variable.default is not None:
        parts.append(f"default {variable.default}")
    if variable.required:
        parts.append("required")
    if not variable.declared:
        parts.append("used in the text, not declared")
    if variable.label != variable.name:
        parts.append(f"label “{variable.label}”")
    return " · ".join(parts)


def _settings(variable: Variable) -> dict[str, str]:
    return {
        "label": variable.label,
        "type": variable.type,
        "default": "none" if variable.default is None else variable.default,
        "required": "yes" if variable.required else "no",
        "choices": ", ".join(variable.choices) or "none",
        "help": variable.help or "none",
        "declared": "yes" if variable.declared else "no (used in the text)",
    }


def variable_changes(
    old: Sequence[Variable], new: Sequence[Variable]
) -> tuple[VariableChange, ...]:
    """In the new version's order, then the removed ones in the old version's order."""
    before = {v.name: v for v in old}
    after = {v.name: v for v in new}
    changes: list[VariableChange] = []
    for variable in new:
        previous = before.get(variable.name)
        if previous is None:
            changes.append(VariableChange("added", None, variable))
            continue
        was, now = _settings(previous), _settings(variable)
        settings = tuple(SettingChange(k, was[k], now[k]) for k in now if was[k] != now[k])
        if settings:
            changes.append(VariableChange("changed", previous, variable, settings))
    changes += [VariableChange("removed", v, None) for v in old if v.name not in after]
    return tuple(changes)


def word_segments(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Both texts cut into segments, the words only one side has marked as changed."""
    if len(old) > MAX_INTRALINE_CHARS or len(new) > MAX_INTRALINE_CHARS:
        return (Segment(old, True),), (Segment(new, True),)
    a, b = TOKENS.findall(old), TOKENS.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(Segment("".join(a[i1:i2])))
            right.append(Segment("".join(b[j1:j2])))
            continue
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), True))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), True))
    return _merged(left), _merged(right)


def _merged(segments: list[Segment]) -> tuple[Segment, ...]:
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].changed == segment.changed:
            merged[-1] = Segment(merged[-1].text + segment.text, segment.changed)
        else:
            merged.append(segment)
    return tuple(merged)


def _similarity(old: str, new: str) -> float:
    if len(old) > MAX_INTRALINE_CHARS or len(new) > MAX_INTRALINE_CHARS:
        return 0.0
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    return matcher.ratio() if matcher.quick_ratio() >= SIMILAR else 0.0


def similar_pairs(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs (in order on both sides) of alike texts, the most alike overall.

    A small alignment over one replaced block, so "step 2 removed, step 3 reworded" is found
    even when the reworded step is not the first of the block.
    """
    if not old or not new or len(old) * len(new) > MAX_INTRALINE_BLOCK**2:
        return []
    rows, cols = len(old), len(new)
    score = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            ratio = _similarity(old[i], new[j])
            paired = score[i + 1][j + 1] + ratio if ratio >= SIMILAR else 0.0
            score[i][j] = max(score[i + 1][j], score[i][j + 1], paired)
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < rows and j < cols:
        if score[i][j] == score[i + 1][j]:
            i += 1
        elif score[i][j] == score[i][j + 1]:
            j += 1
        else:
            pairs.append((i, j))
            i, j = i + 1, j + 1
    return pairs


def step_changes(old: Sequence[Step], new: Sequence[Step]) -> tuple[StepChange, ...]:
    """Added, removed and reworded steps, in document order."""
    a = [s.description for s in old]
    b = [s.description for s in new]
    changes: list[StepChange] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b).get_opcodes():
        if tag == "equal":
            continue
        i, j = i1, j1
        for pi, pj in [*((i1 + x, j1 + y) for x, y in similar_pairs(a[i1:i2], b[j1:j2])),
                       (i2, j2)]:  # fmt: skip
            changes += [StepChange("removed", old[k], None) for k in range(i, pi)]
            changes += [StepChange("added", None, new[k]) for k in range(j, pj)]
            if pi < i2:
                left, right = word_segments(a[pi], b[pj])
                changes.append(StepChange("changed", old[pi], new[pj], left, right))
            i, j = pi + 1, pj + 1
    return tuple(changes)


def _plain(kind: str, old_number: int | None, new_number: int | None, text: str) -> Line:
    return Line(kind, old_number, new_number, (Segment(text),))


def _replaced(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[Line]:
    """Removed lines, then added ones; lines alike in both get their changed words marked."""
    removed = {i: _plain("removed", i + 1, None, a[i]) for i in range(i1, i2)}
    added = {j: _plain("added", None, j + 1, b[j]) for j in range(j1, j2)}
    for x, y in similar_pairs(a[i1:i2], b[j1:j2]):
        left, right = word_segments(a[i1 + x], b[j1 + y])
        removed[i1 + x] = Line("removed", i1 + x + 1, None, left)
        added[j1 + y] = Line("added", None, j1 + y + 1, right)
    return [*removed.values(), *added.values()]


def line_hunks(old_text: str, new_text: str) -> tuple[Hunk, ...]:
    """A unified diff of two texts as hunks of lines, with word-level marks on changed lines."""
    a, b = old_text.splitlines(), new_text.splitlines()
    hunks: list[Hunk] = []
    for group in grouped(opcodes(a, b), CONTEXT_LINES):
        lines: list[Line] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [_plain("context", i + 1, j1 + k + 1, a[i]) for k, i in
                          enumerate(range(i1, i2))]  # fmt: skip
            elif tag == "replace":
                lines += _replaced(a, b, i1, i2, j1, j2)
            elif tag == "delete":
                lines += [_plain("removed", i + 1, None, a[i]) for i in range(i1, i2)]
            else:
                lines += [_plain("added", None, j + 1, b[j]) for j in range(j1, j2)]
        first, last = group[0], group[-1]
        hunks.append(
            Hunk(
                old_start=first[1] + 1,
                old_count=last[2] - first[1],
                new_start=first[3] + 1,
                new_count=last[4] - first[3],
                lines=tuple(lines),
            )
        )
    return tuple(hunks)


@functools.lru_cache(maxsize=32)
def _diff(old_body: str, new_body: str) -> tuple[Any, ...]:
    old, new = parse_document(old_body), parse_document(new_body)
    hunks = line_hunks(old_body, new_body)
    lines = [line for hunk in hunks for line in hunk.lines]
    return (
        step_changes(old.steps, new.steps),
        variable_changes(old.variables, new.variables),
        hunks,
        sum(1 for line in lines if line.kind == "added"),
        sum(1 for line in lines if line.kind == "removed"),
    )


def version_diff(old: ProcedureVersion, new: ProcedureVersion) -> VersionDiff:
    """The changes from version ``old`` to version ``new`` (any two, in either order).

    Cached by body text: versions never change, and a record page shows the same diff to
    every reader.
    """
    steps, variables, hunks, added, removed = _diff(old.body, new.body)
    return VersionDiff(old.number, new.number, steps, variables, hunks, added, removed)
