"""The report's language: ``?language=`` or a one-object body's ``language`` (a BCP 47
tag), checked at submit (400 naming ``language``), stored with the job, part of the
idempotency fingerprint, and the language the worker's report is written in."""

from __future__ import annotations

import io
import json
from typing import Any

import pikepdf
import pytest

from reports.jobs.states import job_claim
from reports.models import ReportJob
from tests.test_data import finished

BODY: dict[str, Any] = {
    "namespace": "ns",
    "student_id": "s",
    "events": [
        {"type": "run_code", "created_time": f"2024-01-01T10:{k:02d}:00Z", "unit": 1}
        for k in range(3)
    ],
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def stored_language(client, body: object, query: str = "") -> str:
    response = client.post(f"/assignment/html{query}", json.dumps(body), "application/json")
    assert response.status_code == 202, response.content
    return ReportJob.objects.get(id=response.json()["task_id"]).language


@pytest.mark.django_db
def test_the_language_comes_from_the_query_or_the_one_objects_field(client) -> None:
    assert stored_language(client, BODY) == "en"
    assert stored_language(client, BODY, "?language=de") == "de"
    assert stored_language(client, dict(BODY, language="es-MX")) == "es"
    assert stored_language(client, dict(BODY, language="es"), "?language=hi-IN") == "hi"
    assert stored_language(client, [BODY], "?language=DE_at") == "de"
    # A list body's fields are not read (as for every other field).
    assert stored_language(client, [dict(BODY, language="de")]) == "en"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?language=fr", "?language=x", "?language=de-", "?language="])
def test_an_unknown_language_in_the_query_is_a_400_naming_it(client, query: str) -> None:
    response = client.post(f"/assignment/pdf{query}", json.dumps(BODY), "application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["language"], response.json()
    assert ReportJob.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("tag", ["fr", "english", ""])
def test_an_unknown_language_in_the_body_is_a_400_naming_it(client, tag: str) -> None:
    body = json.dumps(dict(BODY, language=tag))
    response = client.post("/assignment/html", body, "application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["language"], response.json()
    assert ReportJob.objects.count() == 0


@pytest.mark.django_db
def test_the_language_is_part_of_the_idempotency_fingerprint(client) -> None:
    def post(query: str) -> Any:
        return client.post(
            f"/assignment/html{query}",
            json.dumps(BODY),
            "application/json",
            headers={"Idempotency-Key": "k-language"},
        )

    first = post("?language=de")
    assert first.status_code == 202
    assert post("?language=de-DE").json()["task_id"] == first.json()["task_id"]  # same effect
    assert post("?language=es").status_code == 422
    assert post("").status_code == 422


@pytest.mark.django_db
def test_the_worker_claims_the_jobs_language(client) -> None:
    response = client.post("/assignment/html?language=hi", json.dumps(BODY), "application/json")
    claimed = job_claim(job_id=response.json()["task_id"], holder="test/1")
    assert claimed is not None
    assert claimed[0].language == "hi"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "word"), [("de", "Fragen"), ("hi", "प्रश्न")])
def test_the_workers_report_is_written_in_the_jobs_language(client, language, word) -> None:
    """The whole path: the query, the job row, the claim, the model and both renderers."""
    task_id = finished(client, "html", BODY, f"?language={language}")
    got = client.get(f"/assignment/html/{task_id}/report")
    html = b"".join(got.streaming_content).decode()
    assert f'<html lang="{language}">' in html
    assert word in html
    pdf_id = finished(client, "pdf", BODY, f"?language={language}")
    response = client.get(f"/assignment/pdf/{pdf_id}/report")
    pdf = pikepdf.open(io.BytesIO(b"".join(response.streaming_content)))
    assert str(pdf.Root.Lang) == language
