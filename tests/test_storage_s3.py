"""Report files in S3-compatible object storage (REPORT_STORAGE=s3), so that web and worker
processes on several machines share them.

The settings and the presigned link are checked in-process; then the real stack (gunicorn,
a Celery worker, PostgreSQL, Redis) runs against a local S3 server (moto's server mode)."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator

import boto3
import pypdf
import pytest
from django.test import RequestFactory

from reports import selectors
from reports.models import Report, ReportJob
from tests.conftest import integration_urls, make_stack
from tests.stack import ROOT, Stack, free_port, http

BUCKET = "report-task-test"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    "AWS_S3_REGION_NAME": "eu-west-1",
}


def settings_in_subprocess(**env: str) -> subprocess.CompletedProcess[str]:
    code = "from django.conf import settings; import json; print(json.dumps(settings.STORAGES))"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REPORT_STORAGE"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_local_storage_is_the_default() -> None:
    result = settings_in_subprocess()
    default = json.loads(result.stdout)["default"]
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert default["OPTIONS"] == {"allow_overwrite": True}


def test_s3_storage_from_env() -> None:
    result = settings_in_subprocess(
        REPORT_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="reports",
        AWS_S3_ENDPOINT_URL="http://minio:9000",
        AWS_QUERYSTRING_EXPIRE="900",
        **CREDENTIALS,
    )
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout)["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "reports"
    assert options["endpoint_url"] == "http://minio:9000"
    assert options["region_name"] == "eu-west-1"
    assert options["querystring_auth"] is True and options["querystring_expire"] == 900
    assert options["file_overwrite"] is True and options["default_acl"] is None
    assert options["signature_version"] == "s3v4"  # presigned links with an expiry


@pytest.mark.parametrize(
    ("env", "error"),
    [
        ({"REPORT_STORAGE": "s3"}, "needs AWS_STORAGE_BUCKET_NAME"),
        ({"REPORT_STORAGE": "ftp"}, "REPORT_STORAGE must be 'local' or 's3'"),
        (
            {"REPORT_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "b", "AWS_QUERYSTRING_EXPIRE": "x"},
            "AWS_QUERYSTRING_EXPIRE must be an integer",
        ),
    ],
)
def test_bad_storage_settings_refuse_to_start(env, error) -> None:
    result = settings_in_subprocess(**env)
    assert result.returncode != 0 and error in result.stderr


@pytest.mark.django_db
def test_report_url_is_presigned_in_s3(settings, sample) -> None:
    """Presigning is local computation: no S3 server is needed to check the link."""
    settings.REPORT_STORAGE = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "reports",
                "endpoint_url": "http://s3.example:9000",
                "region_name": "eu-west-1",
                "access_key": "key",
                "secret_key": "secret",
                "querystring_expire": 1234,
                "signature_version": "s3v4",
            },
        },
    }
    job = ReportJob.objects.create(kind="pdf", student_count=1, idle_minutes=30)
    Report.objects.create(
        job=job,
        task_id=job.id,
        student_id="Zoë",
        file=f"reports/{job.id}.pdf",
        content_type="application/pdf",
    )
    view = selectors.job_get(task_id=str(job.id), kind="pdf")
    url = selectors.report_download_url(job=view, request=RequestFactory().get("/"))
    parsed = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parsed.query)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == (
        f"http://s3.example:9000/reports/reports/{job.id}.pdf"
    )
    assert query["X-Amz-Expires"] == ["1234"] and "X-Amz-Signature" in query
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"] == [
        "attachment; filename*=utf-8''report-Zo%C3%AB.pdf"
    ]


# --- End to end: the real stack on a local S3 server -----------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    integration_urls()  # skips (or fails) before starting anything when not configured
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the moto S3 server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def bucket(s3_endpoint: str):
    s3 = boto3.resource(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_S3_REGION_NAME"],
    )
    return s3.create_bucket(
        Bucket=BUCKET,
        CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["AWS_S3_REGION_NAME"]},
    )


@pytest.fixture(scope="module")
def s3_stack(s3_endpoint: str, bucket, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = make_stack(
        tmp_path_factory.mktemp("s3stack"),
        REPORT_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=s3_endpoint,
        AWS_QUERYSTRING_EXPIRE="600",
        CELERY_CONCURRENCY="1",
        WEB_CONCURRENCY="1",
        **CREDENTIALS,
    )
    try:
        stack.start("web")
        stack.start("worker")
        yield stack
    finally:
        stack.stop_all()
        stack.drop_database()


def stored(bucket, key: str) -> bytes:
    return bucket.Object(key).get()["Body"].read()


@pytest.mark.integration
def test_html_report_lands_in_the_bucket_and_report_url_is_presigned(
    s3_stack: Stack, s3_endpoint: str, bucket, sample
) -> None:
    task_id = s3_stack.post("html", sample).json()["task_id"]
    done = s3_stack.wait_done("html", task_id)
    assert done.status == 200, (done.body, s3_stack.log("worker"))
    data = done.json()["data"]
    assert stored(bucket, f"reports/{task_id}.1.html").decode() == data["report"]
    assert "Event Order: Q1" in data["report"]
    assert not (s3_stack.tmp / "var" / "media").exists()  # nothing written locally

    url = data["report_url"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith(f"{s3_endpoint}/{BUCKET}/reports/{task_id}.1.html?")
    assert query["X-Amz-Expires"] == ["600"] and "X-Amz-Signature" in query
    download = http("GET", url)  # straight from the object store, not through the API
    assert download.status == 200
    assert download.body.decode() == data["report"]
    headers = {k.lower(): v for k, v in download.headers.items()}
    assert headers["content-type"] == "text/html; charset=utf-8", headers

    # The API's own file endpoint streams the same object.
    file = s3_stack.get(f"/assignment/html/{task_id}/report")
    assert file.status == 200 and file.body.decode() == data["report"]


@pytest.mark.integration
def test_pdf_is_streamed_from_the_bucket(s3_stack: Stack, bucket, sample) -> None:
    task_id = s3_stack.post("pdf", [sample, {**sample, "student_id": "second"}]).json()["task_id"]
    done = s3_stack.wait_done("pdf", task_id)
    assert done.status == 200, (done.body, s3_stack.log("worker"))
    assert done.headers["Content-Type"] == "application/pdf"
    assert done.headers["Content-Disposition"] == f'attachment; filename="report-{task_id}.pdf"'
    assert done.body == stored(bucket, f"reports/{task_id}.1.pdf")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(done.body)).pages)
    assert "Student ID: second" in text and "Event Order: Q1" in text
