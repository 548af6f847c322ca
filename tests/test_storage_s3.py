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
from typing import TYPE_CHECKING, cast

import boto3
import pypdf
import pytest
from django.test import RequestFactory

from reports.jobs import selectors
from reports.models import Report, ReportJob
from tests.conftest import integration_urls, make_stack
from tests.stack import ROOT, Stack, free_port, http

pytestmark = pytest.mark.slow  # make test-fast leaves it out (pyproject.toml)

if TYPE_CHECKING:  # the stubs' type of a region name (boto3-stubs, a dev dependency)
    from mypy_boto3_s3.literals import BucketLocationConstraintType as Region

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
    assert view is not None
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
        CreateBucketConfiguration={
            "LocationConstraint": cast("Region", CREDENTIALS["AWS_S3_REGION_NAME"])
        },
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


# --- Erasure in the bucket: DELETE, retention, purge_reports -----------------------------------


def objects_of(bucket, task_id: str) -> list[str]:
    return [o.key for o in bucket.objects.filter(Prefix=f"reports/{task_id}")]


def rows_of(stack: Stack, task_id: str) -> list[int]:
    return [
        stack.sql(f"select count(*) from {table} where {column} = %s", task_id)[0][0]
        for table, column in [
            ("reports_reportjob", "id"),
            ("reports_jobinput", "job_id"),
            ("reports_report", "job_id"),
            ("reports_webhookdelivery", "job_id"),
        ]
    ]


def manage(stack: Stack, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def finished(stack: Stack, kind: str, payload) -> str:
    task_id = stack.post(kind, payload).json()["task_id"]
    assert stack.wait_done(kind, task_id).status == 200
    return task_id


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_delete_removes_the_object_and_the_rows(s3_stack: Stack, bucket, sample, kind) -> None:
    task_id = finished(s3_stack, kind, sample)
    keep = finished(s3_stack, kind, sample)
    assert objects_of(bucket, task_id) == [f"reports/{task_id}.1.{kind}"]
    deleted = http("DELETE", f"{s3_stack.base_url}/assignment/{kind}/{task_id}")
    assert deleted.status == 204
    assert objects_of(bucket, task_id) == []
    assert rows_of(s3_stack, task_id) == [0, 0, 0, 0]
    assert s3_stack.get(f"/assignment/{kind}/{task_id}").status == 404
    assert objects_of(bucket, keep) == [f"reports/{keep}.1.{kind}"]


@pytest.mark.integration
def test_retention_and_purge_remove_objects(s3_stack: Stack, bucket, sample) -> None:
    old = finished(s3_stack, "html", {**sample, "student_id": "old-student"})
    recent = finished(s3_stack, "pdf", {**sample, "student_id": "old-student"})
    s3_stack.sql(
        "update reports_reportjob set created_at = now() - interval '31 days' where id = %s "
        "returning id",
        old,
    )
    out = manage(
        s3_stack,
        "shell",
        "-c",
        "import json; from reports.jobs.retention import jobs_expire; "
        "print(json.dumps(jobs_expire()))",
    )
    assert json.loads(out.strip().splitlines()[-1])["jobs"] == 1, out
    assert objects_of(bucket, old) == [] and rows_of(s3_stack, old) == [0, 0, 0, 0]
    assert objects_of(bucket, recent) == [f"reports/{recent}.1.pdf"]

    classroom = finished(
        s3_stack, "pdf", [{**sample, "student_id": "old-student"}, {**sample, "student_id": "x"}]
    )
    out = manage(s3_stack, "purge_reports", "--student-id", "old-student")
    assert "Removed 2 job(s), 2 input(s), 2 report row(s), 2 report file(s)." in out
    assert "erased whole, with 1 other(s)" in out
    for task_id in (recent, classroom):
        assert objects_of(bucket, task_id) == [] and rows_of(s3_stack, task_id) == [0, 0, 0, 0]
