"""manage.py import_procedures: create, re-import unchanged or changed, directories, failures."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from procedures.models import Procedure
from tests.conftest import TLS_BODY

pytestmark = pytest.mark.django_db

RESTART_BODY = "# Restart nginx\n\n1. Check the config.\n2. Reload nginx.\n"


def run_import(*paths):
    stdout, stderr = StringIO(), StringIO()
    call_command("import_procedures", *map(str, paths), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_first_import_creates_the_procedure_at_version_one(tmp_path):
    path = tmp_path / "restart-nginx.md"
    path.write_text(RESTART_BODY, encoding="utf-8")

    stdout, _ = run_import(path)

    procedure = Procedure.objects.get()
    assert procedure.title == "Restart nginx"
    assert procedure.import_key == "restart-nginx.md"
    assert procedure.latest_version.number == 1
    assert procedure.latest_version.body == RESTART_BODY
    assert procedure.latest_version.note == "Imported from restart-nginx.md"
    assert "created (Restart nginx, version 1)" in stdout


def test_reimporting_an_unchanged_file_adds_nothing(tmp_path):
    path = tmp_path / "restart-nginx.md"
    path.write_text(RESTART_BODY, encoding="utf-8")
    run_import(path)

    stdout, _ = run_import(path)

    procedure = Procedure.objects.get()
    assert procedure.versions.count() == 1
    assert "unchanged (Restart nginx, version 1)" in stdout


def test_reimporting_a_changed_file_adds_a_version(tmp_path):
    path = tmp_path / "restart-nginx.md"
    path.write_text(RESTART_BODY, encoding="utf-8")
    run_import(path)
    path.write_text(RESTART_BODY + "3. Watch the error rate.\n", encoding="utf-8")

    stdout, _ = run_import(path)

    procedure = Procedure.objects.get()
    assert procedure.latest_version.number == 2
    assert procedure.latest_version.body.endswith("3. Watch the error rate.\n")
    assert procedure.versions.get(number=1).body == RESTART_BODY
    assert "new version (Restart nginx, version 2)" in stdout


def test_a_directory_imports_every_markdown_file_in_it(tmp_path):
    (tmp_path / "restart-nginx.md").write_text(RESTART_BODY, encoding="utf-8")
    (tmp_path / "rotate-tls.md").write_text(TLS_BODY, encoding="utf-8")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "failover.md").write_text("# Fail over\n\n1. Promote.\n")
    (tmp_path / "README.txt").write_text("not a runbook")

    run_import(tmp_path)

    assert sorted(Procedure.objects.values_list("title", flat=True)) == [
        "Fail over",
        "Restart nginx",
        "Rotate TLS certificate on {{ server }}",
    ]


def test_the_title_comes_from_the_first_heading(tmp_path):
    path = tmp_path / "whatever-name.md"
    path.write_text("Some intro.\n\n# Drain a node\n\n1. Cordon.\n", encoding="utf-8")

    run_import(path)

    assert Procedure.objects.get().title == "Drain a node"


def test_the_title_comes_from_front_matter_before_the_heading(tmp_path):
    path = tmp_path / "drain.md"
    path.write_text("---\ntitle: Drain a Kubernetes node\n---\n# Drain\n", encoding="utf-8")

    run_import(path)

    assert Procedure.objects.get().title == "Drain a Kubernetes node"


def test_the_title_comes_from_the_file_name_without_a_heading(tmp_path):
    path = tmp_path / "clear_redis-cache.md"
    path.write_text("1. Flush the cache.\n", encoding="utf-8")

    run_import(path)

    assert Procedure.objects.get().title == "Clear redis cache"


def test_a_bad_file_is_reported_and_the_command_fails_but_good_files_still_import(tmp_path):
    (tmp_path / "a-good.md").write_text(RESTART_BODY, encoding="utf-8")
    (tmp_path / "b-bad.md").write_text(
        "---\nvariables:\n  server: {type: hostname}\n---\n# Bad\n", encoding="utf-8"
    )
    (tmp_path / "c-good.md").write_text("# Also fine\n\n1. Step.\n", encoding="utf-8")
    stderr = StringIO()

    with pytest.raises(CommandError, match="1 of 3 files could not be imported"):
        call_command("import_procedures", str(tmp_path), stdout=StringIO(), stderr=stderr)

    assert sorted(Procedure.objects.values_list("title", flat=True)) == [
        "Also fine",
        "Restart nginx",
    ]
    report = stderr.getvalue()
    assert "b-bad.md: not imported:" in report
    assert "Variable 'server': unknown type 'hostname'" in report


def test_malformed_yaml_is_reported_with_its_line(tmp_path):
    path = tmp_path / "broken.md"
    path.write_text("---\nvariables:\n x: 1\n  y: 2\n---\n# Broken\n", encoding="utf-8")
    stderr = StringIO()

    with pytest.raises(CommandError):
        call_command("import_procedures", str(path), stdout=StringIO(), stderr=stderr)

    assert "Front matter line 4" in stderr.getvalue()
    assert not Procedure.objects.exists()


def test_a_file_that_is_not_utf8_is_reported_not_crashed_on(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("# Caf\xe9\n".encode("latin-1"))
    stderr = StringIO()

    with pytest.raises(CommandError, match="1 of 1 files"):
        call_command("import_procedures", str(path), stdout=StringIO(), stderr=stderr)

    assert "latin1.md: not imported" in stderr.getvalue()


def test_a_missing_path_is_refused_before_anything_is_imported(tmp_path):
    good = tmp_path / "restart-nginx.md"
    good.write_text(RESTART_BODY, encoding="utf-8")

    with pytest.raises(CommandError, match="no such file or directory"):
        run_import(good, tmp_path / "missing.md")

    assert not Procedure.objects.exists()


def test_a_file_with_windows_line_endings_reimports_as_unchanged(tmp_path):
    path = tmp_path / "restart-nginx.md"
    path.write_bytes(RESTART_BODY.replace("\n", "\r\n").encode())
    run_import(path)

    stdout, _ = run_import(path)

    procedure = Procedure.objects.get()
    assert procedure.latest_version.body == RESTART_BODY
    assert procedure.versions.count() == 1
    assert "unchanged" in stdout


def test_a_file_saved_with_a_byte_order_mark_keeps_its_front_matter(tmp_path):
    # Editors on Windows often save UTF-8 with a BOM; the front matter must still be read.
    path = tmp_path / "rotate-tls.md"
    path.write_bytes(TLS_BODY.encode("utf-8-sig"))

    run_import(path)

    document = Procedure.objects.get().latest_version.document
    assert document.variable("port").type == "number"
    assert document.variable("port").default == "443"
    assert document.variable("environment").choices == ("staging", "production")
    assert "variables:" not in document.markdown
