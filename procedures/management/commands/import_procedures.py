from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from procedures.services import procedure_import_file


class Command(BaseCommand):
    help = (
        "Import Markdown runbooks. A file seen before (by name) gets a new version when it "
        "changed and nothing when it did not. Directories are searched for *.md files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="Markdown files or directories")

    def handle(self, *args: Any, paths: list[Path], **options: Any) -> None:
        files: list[Path] = []
        for path in paths:
            if path.is_dir():
                files.extend(sorted(path.rglob("*.md")))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path}: no such file or directory")
        failures = 0
        for file in files:
            try:
                result = procedure_import_file(path=file)
            except ValidationError as exc:
                failures += 1
                reasons = "; ".join(m for ms in exc.message_dict.values() for m in ms)
                self.stderr.write(f"{file}: not imported: {reasons}")
            except (OSError, UnicodeDecodeError) as exc:
                failures += 1
                self.stderr.write(f"{file}: not imported: {exc}")
            else:
                self.stdout.write(
                    f"{file}: {result.outcome} ({result.procedure.title}, "
                    f"version {result.version_number})"
                )
        if failures:
            raise CommandError(f"{failures} of {len(files)} files could not be imported")
