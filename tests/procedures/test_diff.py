"""What changed between two versions (procedures.diff)."""

from __future__ import annotations

from procedures.diff import Segment, line_hunks, step_changes, variable_changes, version_diff
from procedures.documents import parse_document
from procedures.services import procedure_version_add
from tests.conftest import TLS_BODY


def steps_of(markdown: str):
    return parse_document(markdown).steps


def variables_of(front: str):
    return parse_document(f"---\nvariables:\n{front}---\n# T\n").variables


def changed_words(segments) -> list[str]:
    return [s.text for s in segments if s.changed]


# Steps


def test_an_added_step_is_one_addition_not_every_later_step_changed():
    old = steps_of("1. Drain.\n2. Install.\n3. Return.\n")
    new = steps_of("1. Drain.\n2. Back up.\n3. Install.\n4. Return.\n")

    [change] = step_changes(old, new)

    assert change.kind == "added"
    assert change.new.number == 2
    assert change.new.description == "Back up."


def test_a_removed_step_names_its_old_number_and_text():
    old = steps_of("1. Drain.\n2. Back up.\n3. Install.\n")
    new = steps_of("1. Drain.\n2. Install.\n")

    [change] = step_changes(old, new)

    assert (change.kind, change.old.number, change.old.description) == ("removed", 2, "Back up.")
    assert change.new is None


def test_a_reworded_step_is_changed_with_its_words_marked():
    old = steps_of("1. Drain.\n2. Watch the 5xx rate for five minutes.\n")
    new = steps_of("1. Drain.\n2. Watch the 5xx rate for ten minutes.\n")

    [change] = step_changes(old, new)

    assert change.kind == "changed"
    assert (change.old.number, change.new.number) == (2, 2)
    assert changed_words(change.old_segments) == ["five"]
    assert changed_words(change.new_segments) == ["ten"]
    assert "".join(s.text for s in change.new_segments) == "Watch the 5xx rate for ten minutes."


def test_a_reworded_step_after_a_removed_one_is_paired_and_renumbered():
    old = steps_of("1. Drain.\n2. Back up the key.\n3. Return the node to the pool.\n")
    new = steps_of("1. Drain.\n2. Return the node to the pool quickly.\n")

    changes = step_changes(old, new)

    assert [(c.kind, c.old and c.old.number, c.new and c.new.number) for c in changes] == [
        ("removed", 2, None),
        ("changed", 3, 2),
    ]
    assert changes[1].renumbered


def test_unrelated_replacement_reads_as_removed_and_added():
    old = steps_of("1. Drain.\n2. Install the certificate.\n")
    new = steps_of("1. Drain.\n2. Page the on-call.\n")

    assert [c.kind for c in step_changes(old, new)] == ["removed", "added"]


# Variables


def test_added_and_removed_variables_carry_their_settings():
    old = variables_of("  server: {required: true}\n  window: {label: Window}\n")
    new = variables_of(
        "  server: {required: true}\n"
        "  environment: {type: choice, choices: [staging, prod], default: staging}\n"
    )

    changes = variable_changes(old, new)

    assert [(c.kind, c.name) for c in changes] == [("added", "environment"), ("removed", "window")]
    assert changes[0].described == (
        "choice of staging, prod · default staging · label “Environment”"
    )
    assert changes[1].described == "string · label “Window”"


def test_a_changed_variable_lists_each_setting_before_and_after():
    old = variables_of("  port: {type: number, default: 443}\n")
    new = variables_of("  port: {type: number, default: 8443, required: true, label: TLS port}\n")

    [change] = variable_changes(old, new)

    assert change.kind == "changed"
    assert [(s.setting, s.old, s.new) for s in change.settings] == [
        ("label", "Port", "TLS port"),
        ("default", "443", "8443"),
        ("required", "no", "yes"),
    ]


def test_unchanged_variables_are_not_listed():
    same = variables_of("  server: {required: true}\n")

    assert variable_changes(same, same) == ()


# Lines


def test_line_hunks_number_both_sides_and_mark_changed_words():
    old = "a\nb\nc\nport 443\nd\n"
    new = "a\nb\nc\nport 8443\nd\ne\n"

    [hunk] = line_hunks(old, new)

    assert hunk.header == "@@ -1,5 +1,6 @@"
    kinds = [(line.kind, line.old_number, line.new_number) for line in hunk.lines]
    assert kinds == [
        ("context", 1, 1), ("context", 2, 2), ("context", 3, 3),
        ("removed", 4, None), ("added", None, 4),
        ("context", 5, 5), ("added", None, 6),
    ]  # fmt: skip
    assert hunk.lines[3].segments == (Segment("port "), Segment("443", True))
    assert hunk.lines[4].segments == (Segment("port "), Segment("8443", True))


def test_distant_changes_make_separate_hunks_with_three_lines_of_context():
    old = "".join(f"line {n}\n" for n in range(1, 21))
    new = old.replace("line 2\n", "line two\n").replace("line 18\n", "line eighteen\n")

    hunks = line_hunks(old, new)

    assert [h.header for h in hunks] == ["@@ -1,5 +1,5 @@", "@@ -15,6 +15,6 @@"]


# Versions


def test_version_diff_sums_up_steps_variables_and_lines(procedure, version, alice):
    body = TLS_BODY.replace(
        "  port: {type: number, default: 443}\n", "  port: {type: number, default: 8443}\n"
    ).replace("3. Return {{ server }} to the pool.", "3. Return {{ server }} to the pool.\n4. Log.")
    newer, _ = procedure_version_add(procedure=procedure, body=body, user=alice)

    diff = version_diff(version, newer)

    assert (diff.old_number, diff.new_number) == (1, 2)
    assert [c.kind for c in diff.steps] == ["added"]
    assert [(c.kind, c.name) for c in diff.variables] == [("changed", "port")]
    assert (diff.lines_added, diff.lines_removed) == (2, 1)
    assert diff.summary == "1 step added · 1 variable changed · +2 -1 lines"
    assert not diff.is_empty


def test_a_version_compared_with_itself_is_empty(version):
    diff = version_diff(version, version)

    assert diff.is_empty
    assert diff.steps == diff.variables == diff.hunks == ()
