"""Checking variable values against a version's declarations (variables.clean_values)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from procedures.documents import SECRET_MASK, parse_document
from procedures.variables import MAX_VALUE_LENGTH, clean_values, missing_required
from tests.conftest import TLS_BODY

TLS = parse_document(TLS_BODY)
TYPED = parse_document(
    "---\nvariables:\n"
    "  replicas: {type: number, label: Replica count}\n"
    "  dry_run: {type: boolean}\n"
    "  region: {type: choice, choices: [eu-west-1, us-east-1]}\n"
    "  token: {type: secret, required: true}\n"
    "---\n# Scale\n"
)


def errors_of(document, raw, **kwargs):
    with pytest.raises(ValidationError) as excinfo:
        clean_values(document, raw, **kwargs)
    return excinfo.value.message_dict


def test_valid_values_are_stored_as_text_with_defaults_filled_in():
    cleaned = clean_values(TLS, {"server": "web-042"})

    assert cleaned == {
        "server": "web-042",
        "port": "443",
        "environment": "staging",
        "admin_password": "",
    }


def test_given_values_win_over_defaults():
    cleaned = clean_values(TLS, {"server": "web-1", "port": 8443, "environment": "production"})

    assert cleaned["port"] == "8443"
    assert cleaned["environment"] == "production"


def test_defaults_are_not_applied_when_asked_not_to():
    cleaned = clean_values(TLS, {"server": "web-1"}, apply_defaults=False)

    assert cleaned["port"] == ""
    assert cleaned["environment"] == ""


def test_values_are_stripped():
    assert clean_values(TLS, {"server": "  web-1  "})["server"] == "web-1"


def test_a_required_value_is_required_and_the_error_names_the_variable():
    errors = errors_of(TLS, {})

    assert errors == {"server": ["Server is required."]}


def test_a_blank_required_value_is_refused():
    assert "server" in errors_of(TLS, {"server": "   "})


def test_a_required_secret_is_required():
    errors = errors_of(TYPED, {})

    assert errors["token"] == ["Token is required."]


@pytest.mark.parametrize("value", ["3", "-1", "2.5", "1e3", 4, 0.5])
def test_numbers_accept_numeric_values(value):
    cleaned = clean_values(TYPED, {"replicas": value, "token": "t"})

    assert cleaned["replicas"] == str(value)


@pytest.mark.parametrize("value", ["three", "3 pods", "NaN", "Infinity", "0x10"])
def test_numbers_refuse_anything_else_naming_the_variable(value):
    errors = errors_of(TYPED, {"replicas": value, "token": "t"})

    assert list(errors) == ["replicas"]
    assert errors["replicas"] == [f"Replica count must be a number, got {value!r}."]


@pytest.mark.parametrize(
    ("value", "stored"), [("true", "true"), ("false", "false"), (True, "true"), (False, "false")]
)
def test_booleans_accept_true_and_false(value, stored):
    assert clean_values(TYPED, {"dry_run": value, "token": "t"})["dry_run"] == stored


@pytest.mark.parametrize("value", ["yes", "1", "True", "on"])
def test_booleans_refuse_other_words_naming_the_variable(value):
    errors = errors_of(TYPED, {"dry_run": value, "token": "t"})

    assert errors == {"dry_run": ["Dry run must be true or false."]}


def test_a_choice_accepts_one_of_its_choices():
    assert clean_values(TYPED, {"region": "us-east-1", "token": "t"})["region"] == "us-east-1"


@pytest.mark.parametrize("value", ["ap-south-1", "EU-WEST-1", "eu-west-1,us-east-1"])
def test_a_choice_refuses_values_outside_its_choices_naming_the_variable(value):
    errors = errors_of(TYPED, {"region": value, "token": "t"})

    assert errors == {"region": [f"Region must be one of eu-west-1, us-east-1; got {value!r}."]}


def test_an_unknown_variable_is_refused_by_name():
    errors = errors_of(TLS, {"server": "web-1", "sever": "typo"})

    assert list(errors) == ["sever"]
    assert "Unknown variable 'sever'" in errors["sever"][0]


def test_a_value_that_is_not_a_single_value_is_refused_naming_the_variable():
    errors = errors_of(TLS, {"server": ["web-1", "web-2"]})

    assert errors == {"server": ["Server must be a single value."]}


def test_an_overlong_value_is_refused_naming_the_variable():
    errors = errors_of(TLS, {"server": "x" * (MAX_VALUE_LENGTH + 1)})

    assert errors == {"server": [f"Server is longer than {MAX_VALUE_LENGTH} characters."]}


def test_every_offending_variable_is_reported_at_once():
    errors = errors_of(TYPED, {"replicas": "many", "dry_run": "maybe", "region": "mars"})

    assert set(errors) == {"replicas", "dry_run", "region", "token"}


def test_a_secret_is_stored_as_the_mask_never_in_clear():
    cleaned = clean_values(TLS, {"server": "web-1", "admin_password": "hunter2"})

    assert cleaned["admin_password"] == SECRET_MASK
    assert "hunter2" not in cleaned.values()


def test_an_already_masked_secret_stays_masked():
    cleaned = clean_values(TYPED, {"token": SECRET_MASK})

    assert cleaned["token"] == SECRET_MASK


def test_an_empty_optional_secret_stays_empty():
    assert clean_values(TLS, {"server": "web-1", "admin_password": ""})["admin_password"] == ""


def test_an_undeclared_placeholder_is_a_required_string():
    document = parse_document("# Fail over {{ cluster }}\n")

    assert errors_of(document, {}) == {"cluster": ["Cluster is required."]}
    assert clean_values(document, {"cluster": "pg-main"}) == {"cluster": "pg-main"}


def test_missing_required_lists_required_variables_without_a_value_or_default():
    document = parse_document(
        "---\nvariables:\n  a: {required: true}\n  b: {required: true, default: x}\n---\n"
        "{{ c }} {{ a }}\n"
    )

    assert [v.name for v in missing_required(document, {})] == ["a", "c"]
    assert [v.name for v in missing_required(document, {"a": "1", "c": " "})] == ["c"]
    assert missing_required(document, {"a": "1", "c": "2"}) == []
