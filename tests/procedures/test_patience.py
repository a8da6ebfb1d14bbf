"""Line matching for long texts (procedures.patience): the same answers as difflib, faster."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

import pytest

from procedures import patience


def rebuilt(a: list[str], b: list[str], codes) -> list[str]:
    """``a`` transformed by ``codes``, checking each equal run really is equal."""
    out: list[str] = []
    position_a = position_b = 0
    for tag, i1, i2, j1, j2 in codes:
        assert (i1, j1) == (position_a, position_b), "opcodes must be contiguous"
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            out += a[i1:i2]
        else:
            out += b[j1:j2]
        position_a, position_b = i2, j2
    assert (position_a, position_b) == (len(a), len(b))
    return out


def texts(seed: int, size: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    a = [rng.choice(["", "```", "step", f"line {rng.randint(0, size)}"]) for _ in range(size)]
    b = [line if rng.random() > 0.2 else f"edited {rng.randint(0, 9)}" for line in a]
    b = [line for line in b if rng.random() > 0.05]
    return a, b


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("cells", [patience.DIFFLIB_CELLS, 16])
def test_opcodes_turn_the_old_lines_into_the_new(seed, cells, monkeypatch):
    # cells=16 forces the anchor path even on these short texts
    monkeypatch.setattr(patience, "DIFFLIB_CELLS", cells)
    a, b = texts(seed, 120)

    assert rebuilt(a, b, patience.opcodes(a, b)) == b


def test_unique_lines_anchor_the_match_of_long_texts(monkeypatch):
    monkeypatch.setattr(patience, "DIFFLIB_CELLS", 4)
    a = ["title", "", "one", "", "two", "", "three", ""]
    b = ["title", "", "one", "", "inserted", "", "two", "", "three", ""]

    codes = patience.opcodes(a, b)

    assert [c for c in codes if c[0] != "equal"] == [("insert", 4, 4, 4, 6)]


def test_texts_with_nothing_in_common_read_as_replaced(monkeypatch):
    monkeypatch.setattr(patience, "DIFFLIB_CELLS", 1)

    assert patience.opcodes(["a", "a"], ["b", "b"]) == [("replace", 0, 2, 0, 2)]


@pytest.mark.parametrize("seed", range(4))
def test_groups_are_the_ones_difflib_makes(seed):
    a, b = texts(seed, 60)
    codes = SequenceMatcher(None, a, b).get_opcodes()

    assert list(patience.grouped(codes, 3)) == list(
        SequenceMatcher(None, a, b).get_grouped_opcodes(3)
    )


def test_equal_texts_make_no_group():
    assert list(patience.grouped(patience.opcodes(["a", "b"], ["a", "b"]), 3)) == []
    assert list(patience.grouped(patience.opcodes([], []), 3)) == []
