"""Writes for procedures: create, new versions, edits, and the immutability of versions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from procedures.models import ImmutableVersionError, Procedure, ProcedureVersion
from procedures.services import (
    MAX_BODY_CHARS,
    procedure_create,
    procedure_edit,
    procedure_version_add,
)
from tests.conftest import TLS_BODY

CHANGED_BODY = TLS_BODY.replace("3. Return {{ server }} to the pool.", "3. Undrain {{ server }}.")


def test_procedure_create_saves_version_one_and_points_latest_version_at_it(alice):
    procedure = procedure_create(title="Rotate TLS", body=TLS_BODY, user=alice, note="First cut")

    procedure.refresh_from_db()
    version = procedure.latest_version
    assert procedure.title == "Rotate TLS"
    assert procedure.created_by == alice
    assert version.number == 1
    assert version.body == TLS_BODY
    assert version.note == "First cut"
    assert version.created_by == alice
    assert list(procedure.versions.all()) == [version]


def test_procedure_create_notes_created_when_no_note_is_given(alice):
    procedure = procedure_create(title="T", body=TLS_BODY, user=alice)

    assert procedure.latest_version.note == "Created"


def test_procedure_create_takes_the_title_from_the_heading_when_none_is_given(alice):
    procedure = procedure_create(title="  ", body="# Restart nginx\n\n1. Restart.\n", user=alice)

    assert procedure.title == "Restart nginx"


def test_procedure_create_without_title_or_heading_is_refused_on_title(alice):
    with pytest.raises(ValidationError) as excinfo:
        procedure_create(title="", body="1. Restart.\n", user=alice)

    assert list(excinfo.value.message_dict) == ["title"]
    assert not Procedure.objects.exists()


def test_procedure_create_normalises_windows_line_endings(alice):
    procedure = procedure_create(title="T", body="# T\r\n\r\n1. a\r\n", user=alice)

    assert procedure.latest_version.body == "# T\n\n1. a\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("---\nvariables:\n x: 1\n  y: 2\n---\n# T\n", "Front matter line 4"),
        ("---\nvariables:\n  server: {type: hostname}\n---\n# T\n", "Variable 'server'"),
        ("---\nvariables: {}\n# T\n", "no closing '---'"),
        ("   \n\n", "The procedure body is empty."),
        ("x" * (MAX_BODY_CHARS + 1), f"longer than {MAX_BODY_CHARS} characters"),
    ],
)
def test_an_invalid_body_is_refused_on_body_and_saves_nothing(alice, body, message):
    with pytest.raises(ValidationError) as excinfo:
        procedure_create(title="Broken", body=body, user=alice)

    errors = excinfo.value.message_dict
    assert list(errors) == ["body"]
    assert message in errors["body"][0]
    assert not Procedure.objects.exists()
    assert not ProcedureVersion.objects.exists()


def test_procedure_version_add_saves_the_next_number(procedure, bob):
    version, created = procedure_version_add(
        procedure=procedure, body=CHANGED_BODY, user=bob, note="Undrain wording"
    )

    assert created
    assert version.number == 2
    assert version.created_by == bob
    assert version.note == "Undrain wording"
    procedure.refresh_from_db()
    assert procedure.latest_version == version
    assert list(procedure.versions.values_list("number", flat=True)) == [2, 1]


def test_procedure_version_add_keeps_the_earlier_version_unchanged(procedure, alice):
    procedure_version_add(procedure=procedure, body=CHANGED_BODY, user=alice)

    first = procedure.versions.get(number=1)
    assert first.body == TLS_BODY


def test_procedure_version_add_numbers_versions_one_after_another(procedure, alice):
    for index in range(3):
        procedure_version_add(
            procedure=procedure, body=f"{TLS_BODY}\nRevision {index}\n", user=alice
        )

    procedure.refresh_from_db()
    assert procedure.latest_version.number == 4
    assert sorted(procedure.versions.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_an_unchanged_body_adds_no_version(procedure, alice):
    version, created = procedure_version_add(procedure=procedure, body=TLS_BODY, user=alice)

    assert not created
    assert version.number == 1
    assert procedure.versions.count() == 1


def test_a_body_differing_only_in_line_endings_adds_no_version(procedure, alice):
    _, created = procedure_version_add(
        procedure=procedure, body=TLS_BODY.replace("\n", "\r\n"), user=alice
    )

    assert not created
    assert procedure.versions.count() == 1


def test_a_body_differing_only_in_trailing_whitespace_adds_no_version(procedure, alice):
    _, created = procedure_version_add(procedure=procedure, body=TLS_BODY + "\n  \n", user=alice)

    assert not created
    assert procedure.versions.count() == 1


def test_procedure_version_add_refuses_an_invalid_body_on_body(procedure, alice):
    with pytest.raises(ValidationError) as excinfo:
        procedure_version_add(
            procedure=procedure, body="---\nvariables:\n  a: {type: list}\n---\n", user=alice
        )

    assert "Variable 'a'" in excinfo.value.message_dict["body"][0]
    assert procedure.versions.count() == 1


def test_a_saved_version_cannot_be_changed(version):
    version.body = "# Tampered\n"

    with pytest.raises(ImmutableVersionError):
        version.save()

    version.refresh_from_db()
    assert version.body == TLS_BODY


def test_a_saved_version_cannot_be_changed_even_one_field_at_a_time(version):
    version.note = "rewritten"

    with pytest.raises(ImmutableVersionError):
        version.save(update_fields=["note"])


def test_procedure_edit_renames_and_adds_a_version(procedure, alice):
    version, created = procedure_edit(
        procedure=procedure, title="Rotate TLS (v2)", body=CHANGED_BODY, user=alice
    )

    assert created
    assert version.number == 2
    procedure.refresh_from_db()
    assert procedure.title == "Rotate TLS (v2)"
    assert procedure.latest_version == version


def test_procedure_edit_can_rename_without_a_new_version(procedure, alice):
    version, created = procedure_edit(
        procedure=procedure, title="Renamed only", body=TLS_BODY, user=alice
    )

    assert not created
    assert version.number == 1
    procedure.refresh_from_db()
    assert procedure.title == "Renamed only"
    assert procedure.versions.count() == 1


def test_procedure_edit_with_an_empty_title_uses_the_heading(procedure, alice):
    procedure_edit(procedure=procedure, title="", body=CHANGED_BODY, user=alice)

    procedure.refresh_from_db()
    assert procedure.title == "Rotate TLS certificate on {{ server }}"


def test_procedure_edit_refusing_the_body_changes_nothing(procedure, alice):
    with pytest.raises(ValidationError):
        procedure_edit(procedure=procedure, title="New name", body="---\nbad: [\n---\n", user=alice)

    procedure.refresh_from_db()
    assert procedure.title == "Rotate TLS certificate"
    assert procedure.versions.count() == 1
