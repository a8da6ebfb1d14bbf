"""Everything OpsCore reads from the environment, validated in one place (SPEC section 2).

``load_config`` is pure: it takes a mapping and returns a :class:`Config` or raises
:class:`ConfigError` with one line naming the variable. ``settings.py`` turns that error into a
one-line exit so a misconfigured process never half-starts.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

from opscore.env import ConfigError, Env

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///data/opscore.sqlite3"
DEV_SECRET_KEY = "opscore-dev-only-secret-key-not-for-production-use-0123456789"  # noqa: S105


@dataclass(frozen=True)
class Config:
    debug: bool
    secret_key: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    time_zone: str
    database: dj_database_url.DBConfig
    broker_url: str
    storage_type: str
    storage_path: Path
    s3: dict[str, Any]
    presigned_url_ttl: int
    attachment_max_bytes: int
    purge_grace_days: int
    thumbnail_max_pixels: int
    secure_ssl: bool
    log_level: str
    extra: dict[str, Any] = field(default_factory=dict)


def _resolve(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else (BASE_DIR / candidate).resolve()


def _database(env: Env) -> dj_database_url.DBConfig:
    url = env.str("DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises a mix of ValueError and friends
        raise ConfigError(f"DATABASE_URL is not a database URL we understand: {exc}") from None
    engine = db.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        name = str(db.get("NAME") or "")
        if name and name != ":memory:":
            db["NAME"] = str(_resolve(name))
        db["CONN_MAX_AGE"] = 0
        db["CONN_HEALTH_CHECKS"] = False
        # WAL lets readers work while one writer writes; IMMEDIATE makes a writing transaction
        # take the lock up front, so concurrent requests queue instead of failing mid-way.
        db["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif engine == "django.db.backends.postgresql":
        db.setdefault("OPTIONS", {})
    else:
        raise ConfigError(f"DATABASE_URL must be sqlite:// or postgres://, got {engine or url!r}")
    return db


def _s3(env: Env, ttl: int) -> dict[str, Any]:
    bucket = env.str("S3_BUCKET")
    if not bucket:
        raise ConfigError("S3_BUCKET must be set when ATTACHMENT_STORAGE_TYPE=s3")
    endpoint = env.str("S3_ENDPOINT") or None
    if endpoint and urlsplit(endpoint).scheme not in {"http", "https"}:
        raise ConfigError(f"S3_ENDPOINT must be an http(s) URL, got {endpoint!r}")
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": env.str("S3_REGION") or None,
        "access_key": env.str("S3_ACCESS_KEY_ID") or None,
        "secret_key": env.str("S3_SECRET_ACCESS_KEY") or None,
        "location": "attachments",
        # Private objects reached only through short-lived signed URLs; UUID keys never collide,
        # and file_overwrite=False guards that promise anyway.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": ttl,
        "file_overwrite": False,
        "signature_version": "s3v4",
        "addressing_style": "path" if endpoint else None,
        # Opening an object downloads it into a spooled file; django-storages' default (0) keeps
        # all of it in memory. Past 8 MiB it goes to a temporary file (the thumbnail task reads
        # originals of any size).
        "max_memory_size": 8 * 1024 * 1024,
    }


def load_config(environ: dict[str, str] | None = None) -> Config:
    env = Env(environ)
    debug = env.bool("DEBUG", False)
    secret_key = env.str("SECRET_KEY")
    if not secret_key:
        if not debug:
            raise ConfigError("SECRET_KEY must be set when DEBUG is off (use DEBUG=1 to develop)")
        secret_key = DEV_SECRET_KEY

    time_zone = env.str("TIME_ZONE", "UTC")
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIME_ZONE must be an IANA time zone, got {time_zone!r}") from None

    ttl = env.int("S3_PRESIGNED_URL_TTL", 300, minimum=1)
    storage_type = env.choice("ATTACHMENT_STORAGE_TYPE", "local", ("local", "s3"))
    s3 = _s3(env, ttl) if storage_type == "s3" else {}

    return Config(
        debug=debug,
        secret_key=secret_key,
        allowed_hosts=env.list(
            "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if debug else ["localhost"]
        ),
        csrf_trusted_origins=env.list("CSRF_TRUSTED_ORIGINS", []),
        time_zone=time_zone,
        database=_database(env),
        broker_url=env.str("CELERY_BROKER_URL"),
        storage_type=storage_type,
        storage_path=_resolve(env.str("ATTACHMENT_STORAGE_PATH", "./data/attachments")),
        s3=s3,
        presigned_url_ttl=ttl,
        attachment_max_bytes=env.int("ATTACHMENT_MAX_BYTES", 1024**3, minimum=1),
        purge_grace_days=env.int("ATTACHMENT_PURGE_GRACE_DAYS", 30),
        thumbnail_max_pixels=env.int("THUMBNAIL_MAX_PIXELS", 60_000_000, minimum=1),
        secure_ssl=env.bool("SECURE_SSL", False),
        log_level=env.choice(
            "LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")
        ).upper(),
    )
