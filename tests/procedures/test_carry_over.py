"""Which values of an earlier run pre-fill a new run (variables.carry_over)."""

from __future__ import annotations

from procedures.documents import SECRET_MASK, parse_document
from procedures.variables import carry_over

BEFORE = parse_document(
    "---\nvariables:\n"
    "  server: {label: Server, required: true}\n"
    "  replicas: {label: Replicas}\n"
    "  environment: {type: choice, choices: [staging, production], default: staging}\n"
    "  window: {label: Maintenance window}\n"
    "  token: {type: secret, label: API token}\n"
    "  note: {label: Note}\n"
    "---\n# Scale {{ server }}\n"
)
AFTER = parse_document(
    "---\nvariables:\n"
    "  server: {label: Server, required: true}\n"
    "  replicas: {type: number, label: Replicas}\n"
    "  environment: {type: choice, choices: [staging, prod], default: staging}\n"
    "  token: {type: secret, label: API token}\n"
    "  note: {type: secret, label: Note}\n"
    "---\n# Scale {{ server }}\n"
)


def test_values_that_still_fit_are_carried_over():
    carried = carry_over(AFTER, {"server": "web-1", "replicas": "3", "environment": "staging"})

    assert carried.values == {"server": "web-1", "replicas": "3", "environment": "staging"}
    assert carried.dropped == ()


def test_a_value_of_a_removed_variable_is_dropped_and_named():
    carried = carry_over(AFTER, {"server": "web-1", "window": "Sat 02:00"}, BEFORE)

    assert carried.values == {"server": "web-1"}
    [dropped] = carried.dropped
    assert (dropped.name, dropped.label, dropped.value) == ("window", "Maintenance window",
                                                            "Sat 02:00")  # fmt: skip
    assert dropped.reason == "the variable was removed"


def test_a_choice_no_longer_offered_is_dropped_with_the_choices_left():
    carried = carry_over(AFTER, {"environment": "production"}, BEFORE)

    assert carried.values == {}
    [dropped] = carried.dropped
    assert dropped.name == "environment"
    assert dropped.value == "production"
    assert dropped.reason == "no longer one of the choices (staging, prod)"


def test_text_in_a_variable_that_is_now_a_number_is_dropped():
    carried = carry_over(AFTER, {"replicas": "three"}, BEFORE)

    assert carried.values == {}
    assert [(d.name, d.value, d.reason) for d in carried.dropped] == [
        ("replicas", "three", "the variable is now a number")
    ]


def test_a_masked_secret_is_never_carried_and_the_secrets_are_listed():
    carried = carry_over(AFTER, {"server": "web-1", "token": SECRET_MASK}, BEFORE)

    assert "token" not in carried.values
    assert carried.dropped == ()
    assert [v.name for v in carried.secrets] == ["token", "note"]


def test_a_clear_value_of_a_variable_that_became_a_secret_is_not_copied():
    carried = carry_over(AFTER, {"note": "call Bob first"}, BEFORE)

    assert carried.values == {}
    assert carried.dropped == ()


def test_a_former_secret_is_dropped_without_showing_its_mask():
    carried = carry_over(BEFORE, {"note": SECRET_MASK}, AFTER)

    [dropped] = carried.dropped
    assert dropped.name == "note"
    assert dropped.value == ""
    assert "secrets are never carried over" in dropped.reason


def test_empty_values_carry_nothing_so_new_defaults_apply():
    carried = carry_over(AFTER, {"server": "", "environment": ""}, BEFORE)

    assert carried.values == {}
    assert carried.dropped == ()
