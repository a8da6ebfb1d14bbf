"""Line matching that stays fast on long texts: patience anchors, then difflib between them.

difflib alone is quadratic on long, much-changed texts (a 6,000-line body with every third line
edited takes seconds; the 200,000-character limit allows worse). Lines that occur exactly once
on each side anchor the match, as in git's patience diff; the gaps between anchors are small
and go to difflib. A gap too large for difflib and without anchors reads as replaced.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence
from difflib import SequenceMatcher

Opcode = tuple[str, int, int, int, int]
# Gaps up to this many line pairs go to difflib as they are (about 500 by 500 lines).
DIFFLIB_CELLS = 250_000


def _emit(codes: list[Opcode], tag: str, i1: int, i2: int, j1: int, j2: int) -> None:
    """Appends an opcode, merging it into the previous one when they touch."""
    if i1 == i2 and j1 == j2:
        return
    if codes:
        last_tag, a1, a2, b1, b2 = codes[-1]
        same_kind = (last_tag == "equal") == (tag == "equal")
        if same_kind and a2 == i1 and b2 == j1:
            if tag != "equal":
                i_len, j_len = i2 - a1, j2 - b1
                tag = "replace" if i_len and j_len else "delete" if i_len else "insert"
            codes[-1] = (tag, a1, i2, b1, j2)
            return
    codes.append((tag, i1, i2, j1, j2))


def _anchors(
    a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Lines unique on both sides, in the longest run in the same order (patience sorting)."""
    count_a, count_b = Counter(a[alo:ahi]), Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi)
             if count_a[a[i]] == 1 and a[i] in where_b]  # fmt: skip
    tails: list[int] = []  # smallest b index ending a run of each length
    tail_pair: list[int] = []
    previous: list[int | None] = [None] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        length = bisect_left(tails, j)
        previous[k] = tail_pair[length - 1] if length else None
        if length == len(tails):
            tails.append(j)
            tail_pair.append(k)
        else:
            tails[length], tail_pair[length] = j, k
    run: list[tuple[int, int]] = []
    back = tail_pair[-1] if tail_pair else None
    while back is not None:
        run.append(pairs[back])
        back = previous[back]
    return run[::-1]


def _match(a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int,
           codes: list[Opcode]) -> None:  # fmt: skip
    # Equal ends first: most edits touch a small part of a long body.
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        _emit(codes, "equal", alo, alo + 1, blo, blo + 1)
        alo, blo = alo + 1, blo + 1
    tail = 0
    while alo < ahi - tail and blo < bhi - tail and a[ahi - tail - 1] == b[bhi - tail - 1]:
        tail += 1
    ahi_, bhi_ = ahi - tail, bhi - tail
    if (ahi_ - alo) * (bhi_ - blo) <= DIFFLIB_CELLS:
        matcher = SequenceMatcher(None, a[alo:ahi_], b[blo:bhi_], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            _emit(codes, tag, alo + i1, alo + i2, blo + j1, blo + j2)
    else:
        anchors = _anchors(a, b, alo, ahi_, blo, bhi_)
        i, j = alo, blo
        for ai, bj in anchors:
            _match(a, b, i, ai, j, bj, codes)
            _emit(codes, "equal", ai, ai + 1, bj, bj + 1)
            i, j = ai + 1, bj + 1
        if anchors:
            _match(a, b, i, ahi_, j, bhi_, codes)
        else:
            _emit(codes, "replace", alo, ahi_, blo, bhi_)
    _emit(codes, "equal", ahi_, ahi, bhi_, bhi)


def opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """difflib-style opcodes turning ``a`` into ``b``."""
    codes: list[Opcode] = []
    _match(a, b, 0, len(a), 0, len(b), codes)
    return codes


def grouped(codes: list[Opcode], context: int) -> Iterator[list[Opcode]]:
    """The changes with ``context`` equal lines around each, as difflib groups them."""
    codes = list(codes) or [("equal", 0, 1, 0, 1)]
    tag, i1, i2, j1, j2 = codes[0]
    if tag == "equal":
        codes[0] = (tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2)
    tag, i1, i2, j1, j2 = codes[-1]
    if tag == "equal":
        codes[-1] = (tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context))
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group
