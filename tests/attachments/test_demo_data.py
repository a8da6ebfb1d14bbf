"""The demo data comes with screenshots, and their thumbnails."""

from __future__ import annotations

import io

from django.core.management import call_command

from attachments.models import Attachment
from executions.audit import verify_records
from executions.models import ExecutionRecord


def test_demo_records_have_screenshots_with_thumbnails(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data", stdout=io.StringIO())

    screenshots = Attachment.objects.all()
    assert screenshots.count() == 5
    assert {a.mime_type for a in screenshots} == {"image/png"}
    assert {a.thumbnail_status for a in screenshots} == {"ready"}
    assert all(a.is_verified_image for a in screenshots)


def test_demo_records_have_intact_audit_chains_up_to_their_heads(db):
    call_command("demo_data", stdout=io.StringIO())
    result = verify_records()
    assert (result.records, result.breaks) == (4, [])
    assert not ExecutionRecord.objects.filter(audit_seq=0).exists()
