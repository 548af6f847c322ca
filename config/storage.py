"""Where report files go (the STORAGES["default"] setting): the local folder (one machine,
or a shared volume), or any S3-compatible object store that every web and worker machine
can reach."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_str


def report_storage(kind: str) -> dict[str, Any]:
    """The storage backend for REPORT_STORAGE ``kind``: "local" or "s3"."""
    if kind == "local":
        # Overwrite: a job that runs twice writes the same name and leaves one file.
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"allow_overwrite": True},
        }
    if kind == "s3":
        return _s3_storage()
    raise ImproperlyConfigured(f"REPORT_STORAGE must be 'local' or 's3', got {kind!r}")


def _s3_storage() -> dict[str, Any]:
    bucket = env_str("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured("REPORT_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # Unset values fall back to boto3's own lookup (env, ~/.aws, instance role).
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE") or None,
            "signature_version": env_str("AWS_S3_SIGNATURE_VERSION", "s3v4"),
            "location": env_str("AWS_LOCATION", ""),
            # Reports are private: links to them are presigned and expire.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600, minimum=1),
            "file_overwrite": True,
        },
    }
