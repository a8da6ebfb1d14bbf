"""Configuration from the environment (SPEC section 2): defaults, refusals and S3 options."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from opscore.config import BASE_DIR, DEV_SECRET_KEY, ConfigError, load_config
from tests.conftest import clean_env

SECRET = {"SECRET_KEY": "x" * 50}
S3 = {
    **SECRET,
    "ATTACHMENT_STORAGE_TYPE": "s3",
    "S3_BUCKET": "evidence",
    "S3_ENDPOINT": "http://minio:9000",
    "S3_REGION": "eu-west-1",
    "S3_ACCESS_KEY_ID": "opscore",
    "S3_SECRET_ACCESS_KEY": "opscore-secret",
}


def test_defaults_run_everything_on_one_machine():
    config = load_config(SECRET)

    assert config.database["ENGINE"] == "django.db.backends.sqlite3"
    assert config.database["NAME"] == str(BASE_DIR / "data" / "opscore.sqlite3")
    assert config.storage_type == "local"
    assert config.storage_path == BASE_DIR / "data" / "attachments"
    assert config.s3 == {}
    assert config.broker_url == ""  # no broker: Celery runs tasks in-process
    assert config.presigned_url_ttl == 300
    assert config.attachment_max_bytes == 1024**3
    assert config.purge_grace_days == 30
    assert config.time_zone == "UTC"
    assert config.debug is False
    assert config.secure_ssl is False
    assert config.allowed_hosts == ["localhost"]
    assert config.csrf_trusted_origins == []
    assert config.log_level == "INFO"


def test_debug_without_secret_key_uses_the_development_key():
    config = load_config({"DEBUG": "1"})

    assert config.debug is True
    assert config.secret_key == DEV_SECRET_KEY
    assert "127.0.0.1" in config.allowed_hosts


def test_each_engine_switches_by_environment_alone(tmp_path):
    config = load_config(
        {
            **SECRET,
            "DATABASE_URL": "postgres://ops:pw@db.internal:5432/opscore",
            "CELERY_BROKER_URL": "redis://redis:6379/0",
            "ATTACHMENT_STORAGE_PATH": str(tmp_path / "files"),
            "S3_PRESIGNED_URL_TTL": "60",
            "ATTACHMENT_MAX_BYTES": "1048576",
            "ATTACHMENT_PURGE_GRACE_DAYS": "0",
            "TIME_ZONE": "Europe/Paris",
            "ALLOWED_HOSTS": "opscore.example.com, ops.example.com",
            "CSRF_TRUSTED_ORIGINS": "https://opscore.example.com",
        }
    )

    assert config.database["ENGINE"] == "django.db.backends.postgresql"
    assert config.database["HOST"] == "db.internal"
    assert config.database["NAME"] == "opscore"
    assert config.broker_url == "redis://redis:6379/0"
    assert config.storage_path == tmp_path / "files"
    assert config.presigned_url_ttl == 60
    assert config.attachment_max_bytes == 1048576
    assert config.purge_grace_days == 0
    assert config.time_zone == "Europe/Paris"
    assert config.allowed_hosts == ["opscore.example.com", "ops.example.com"]
    assert config.csrf_trusted_origins == ["https://opscore.example.com"]


def test_a_relative_storage_path_is_resolved_from_the_project():
    config = load_config({**SECRET, "ATTACHMENT_STORAGE_PATH": "var/files"})

    assert config.storage_path == BASE_DIR / "var" / "files"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({**SECRET, "ATTACHMENT_STORAGE_TYPE": "ftp"}, "ATTACHMENT_STORAGE_TYPE"),
        ({**SECRET, "ATTACHMENT_STORAGE_TYPE": "s3"}, "S3_BUCKET"),
        ({**SECRET, "ATTACHMENT_STORAGE_TYPE": "s3", "S3_BUCKET": "  "}, "S3_BUCKET"),
        ({**S3, "S3_ENDPOINT": "ftp://minio"}, "S3_ENDPOINT"),
        ({}, "SECRET_KEY"),
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "0", "SECRET_KEY": "   "}, "SECRET_KEY"),
        ({**SECRET, "DEBUG": "maybe"}, "DEBUG"),
        ({**SECRET, "SECURE_SSL": "2"}, "SECURE_SSL"),
        ({**SECRET, "S3_PRESIGNED_URL_TTL": "five minutes"}, "S3_PRESIGNED_URL_TTL"),
        ({**SECRET, "S3_PRESIGNED_URL_TTL": "0"}, "S3_PRESIGNED_URL_TTL"),
        ({**SECRET, "ATTACHMENT_MAX_BYTES": "1GiB"}, "ATTACHMENT_MAX_BYTES"),
        ({**SECRET, "ATTACHMENT_MAX_BYTES": "0"}, "ATTACHMENT_MAX_BYTES"),
        ({**SECRET, "ATTACHMENT_PURGE_GRACE_DAYS": "3.5"}, "ATTACHMENT_PURGE_GRACE_DAYS"),
        ({**SECRET, "ATTACHMENT_PURGE_GRACE_DAYS": "-1"}, "ATTACHMENT_PURGE_GRACE_DAYS"),
        ({**SECRET, "TIME_ZONE": "Mars/Olympus_Mons"}, "TIME_ZONE"),
        ({**SECRET, "TIME_ZONE": "../../etc/passwd"}, "TIME_ZONE"),
        ({**SECRET, "DATABASE_URL": "mysql://db/opscore"}, "DATABASE_URL"),
        ({**SECRET, "DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({**SECRET, "LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
    ],
)
def test_a_wrong_setting_raises_config_error_naming_the_variable(environ, variable):
    with pytest.raises(ConfigError) as excinfo:
        load_config(environ)

    message = str(excinfo.value)
    assert message.startswith(variable)
    assert "\n" not in message


def test_a_config_error_does_not_echo_the_secret_key():
    with pytest.raises(ConfigError) as excinfo:
        load_config({"SECRET_KEY": "do-not-print-me", "DEBUG": "sometimes"})

    assert "do-not-print-me" not in str(excinfo.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        ("Yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
    ],
)
def test_booleans_accept_the_usual_words(raw, expected):
    assert load_config({**SECRET, "DEBUG": raw}).debug is expected


def test_storage_type_is_case_insensitive():
    assert load_config({**S3, "ATTACHMENT_STORAGE_TYPE": "S3"}).storage_type == "s3"


def test_s3_options_keep_objects_private_signed_and_unique():
    config = load_config({**S3, "S3_PRESIGNED_URL_TTL": "120"})

    s3 = config.s3
    assert s3["bucket_name"] == "evidence"
    assert s3["endpoint_url"] == "http://minio:9000"
    assert s3["region_name"] == "eu-west-1"
    assert s3["access_key"] == "opscore"
    assert s3["secret_key"] == "opscore-secret"
    assert s3["default_acl"] is None
    assert s3["querystring_auth"] is True
    assert s3["file_overwrite"] is False
    assert s3["location"] == "attachments"
    assert s3["querystring_expire"] == 120 == config.presigned_url_ttl
    assert s3["signature_version"] == "s3v4"


def test_s3_link_lifetime_defaults_to_the_ttl():
    assert load_config(S3).s3["querystring_expire"] == 300


def test_s3_without_endpoint_uses_aws_defaults():
    environ = {k: v for k, v in S3.items() if k not in {"S3_ENDPOINT", "S3_REGION"}}

    s3 = load_config(environ).s3

    assert s3["endpoint_url"] is None
    assert s3["region_name"] is None


def test_manage_py_stops_with_one_line_naming_a_wrong_storage_type():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=clean_env(DEBUG="1", ATTACHMENT_STORAGE_TYPE="ftp"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "ATTACHMENT_STORAGE_TYPE" in lines[0]
    assert "Traceback" not in result.stderr


def test_manage_py_refuses_to_start_without_a_secret_key_in_production():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=clean_env(DEBUG="0"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "SECRET_KEY" in result.stderr


def test_with_no_environment_the_settings_use_the_embedded_engines():
    script = (
        "import json\n"
        "from django.conf import settings\n"
        "print(json.dumps({\n"
        "    'eager': settings.CELERY_TASK_ALWAYS_EAGER,\n"
        "    'engine': settings.DATABASES['default']['ENGINE'],\n"
        "    'db': str(settings.DATABASES['default']['NAME']),\n"
        "    'storage': settings.STORAGES['attachments']['BACKEND'],\n"
        "    'location': settings.STORAGES['attachments']['OPTIONS']['location'],\n"
        "}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=clean_env(DEBUG="1", DJANGO_SETTINGS_MODULE="opscore.settings"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "eager": True,
        "engine": "django.db.backends.sqlite3",
        "db": str(BASE_DIR / "data" / "opscore.sqlite3"),
        "storage": "django.core.files.storage.FileSystemStorage",
        "location": str(BASE_DIR / "data" / "attachments"),
    }
