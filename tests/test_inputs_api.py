"""Bodies in other formats through the API (``?input=``): the same 202, job, report and
data as the service's own JSON; what was ignored in the status answer; each kind of bad
input answered 400, 413, 415 or 422 before anything is stored."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdf
import pytest

from reports.jobs import run
from reports.models import JobStatus, ReportJob
from tests.test_inputs_same import RAN, as_caliper, as_json, as_progsnap2, as_xapi

XAPI_MAPPING = json.dumps({"types": {RAN: "run_code"}})
CALIPER_MAPPING = json.dumps({"types": {"Modified": "saved_code", "Used": "run_code"}})
JSON_TYPE, CSV_TYPE = "application/json", "text/csv"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def table() -> bytes:
    """The activity's ProgSnap2 table without its Session.Start row (which is ignored)."""
    return b"".join(
        line for line in as_progsnap2().splitlines(keepends=True) if b"Session.Start" not in line
    )


def post(client, kind: str, body: bytes, content_type: str, **query: str) -> Any:
    url = f"/assignment/{kind}"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, body, content_type=content_type)


def finished_report(client, kind: str, body: bytes, content_type: str, **query: str) -> bytes:
    response = post(client, kind, body, content_type, namespace="course", **query)
    assert response.status_code == 202, response.content
    task_id = response.json()["task_id"]
    assert run.job_run(job_id=task_id, holder="test/1") == JobStatus.SUCCESS
    report = client.get(f"/assignment/{kind}/{task_id}/report")
    assert report.status_code == 200, report.content
    return b"".join(report.streaming_content) if report.streaming else report.content


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_the_same_activity_in_every_format_gives_byte_identical_reports(client, kind) -> None:
    expected = finished_report(client, kind, as_json(), JSON_TYPE)
    assert finished_report(client, kind, table(), CSV_TYPE, input="progsnap2") == expected
    xapi = finished_report(client, kind, as_xapi(), JSON_TYPE, input="xapi", mapping=XAPI_MAPPING)
    assert xapi == expected
    caliper = finished_report(
        client, kind, as_caliper(), JSON_TYPE, input="caliper", mapping=CALIPER_MAPPING
    )
    assert caliper == expected


@pytest.mark.django_db
def test_the_status_answer_says_what_was_ignored(client) -> None:
    response = post(client, "html", as_progsnap2(), CSV_TYPE, input="progsnap2")
    assert response.status_code == 202, response.content
    status = client.get(f"/assignment/html/{response.json()['task_id']}").json()
    assert status["source"] == {
        "format": "progsnap2",
        "events": 15,
        "ignored": 1,
        "ignored_by": [{"reason": "EventType Session.Start", "count": 1}],
        "note": "1 event ignored: 1 with EventType Session.Start",
    }
    plain = post(client, "html", as_json(), JSON_TYPE)
    assert "source" not in client.get(f"/assignment/html/{plain.json()['task_id']}").json()


@pytest.mark.django_db
def test_an_xapi_client_is_known_by_its_version_header(client) -> None:
    response = client.post(
        f"/assignment/html?mapping={XAPI_MAPPING}",
        as_xapi(),
        content_type=JSON_TYPE,
        headers={"X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 202, response.content
    assert json.loads(ReportJob.objects.get().source)["format"] == "xapi"


@pytest.mark.django_db
def test_a_named_mapping_comes_from_the_settings(client, settings) -> None:
    settings.REPORT_INPUT_MAPPINGS = {"lab": json.loads(CALIPER_MAPPING)}
    named = post(client, "html", as_caliper(), JSON_TYPE, input="caliper", mapping="lab")
    assert named.status_code == 202, named.content
    unknown = post(client, "html", as_caliper(), JSON_TYPE, input="caliper", mapping="nope")
    assert unknown.status_code == 400
    assert list(unknown.json()["errors"]) == ["mapping"]


BAD_ROW = (
    b"SubjectID,ProblemID,EventType,ServerTimestamp,ServerTimezone\r\n"
    b"ada,p1,File.Edit,2024-03-01T10:00:00,UTC\r\n"
    b"ada,p1,File.Edit,yesterday,UTC\r\n"
)
NOTHING_MAPS = (
    b"SubjectID,ProblemID,EventType,ServerTimestamp,ServerTimezone\r\n"
    b"ada,p1,Session.Start,2024-03-01T10:00:00,UTC\r\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type", "query", "code", "named"),
    [
        (BAD_ROW, CSV_TYPE, {"input": "progsnap2"}, 400, "row 2.ServerTimestamp"),
        (b"[{}]", JSON_TYPE, {"input": "xapi"}, 400, None),
        (NOTHING_MAPS, CSV_TYPE, {"input": "progsnap2"}, 422, None),
        (table(), JSON_TYPE, {"input": "progsnap2"}, 415, None),
        (table(), CSV_TYPE, {}, 415, None),
        (as_xapi(), CSV_TYPE, {"input": "xapi"}, 415, None),
        (as_xapi(), JSON_TYPE, {"input": "scorm"}, 400, "input"),
        (as_xapi(), JSON_TYPE, {"input": "xapi", "mapping": '{"types":5}'}, 400, "mapping.types"),
    ],
)
def test_each_kind_of_bad_input_is_answered_and_nothing_is_stored(
    client, body: bytes, content_type: str, query: dict, code: int, named: str | None
) -> None:
    response = post(client, "html", body, content_type, **query)
    assert response.status_code == code, response.content
    answer = response.json()
    if named is not None:
        assert named in answer["errors"], answer
    if code == 422:
        assert answer["status"] == "UNPROCESSABLE"
        assert "ProgSnap2" in answer["message"] and "Session.Start" in answer["message"]
    assert ReportJob.objects.count() == 0


@pytest.mark.django_db
def test_a_table_is_held_to_its_own_limit_not_the_json_bodys(client, settings) -> None:
    padding = b"".join(
        b"ada,p1,Session.Start,2024-03-01T10:00:00,UTC\r\n" for _ in range(200)
    )  # ignored rows: a table much larger than the JSON it becomes
    big = NOTHING_MAPS.split(b"\r\n", 1)[0] + b"\r\n" + padding
    big += b"ada,p1,File.Edit,2024-03-01T10:00:00,UTC\r\n"
    settings.REPORT_MAX_BODY_BYTES = 4096
    settings.REPORT_MAX_CSV_BYTES = 64 * 1024
    assert len(big) > settings.REPORT_MAX_BODY_BYTES
    assert post(client, "html", big, CSV_TYPE, input="progsnap2").status_code == 202
    settings.REPORT_MAX_CSV_BYTES = 4096
    too_big = post(client, "html", big, CSV_TYPE, input="progsnap2")
    assert too_big.status_code == 413, too_big.content
    assert ReportJob.objects.count() == 1


@pytest.mark.django_db
def test_what_was_received_is_part_of_the_idempotency_fingerprint(client) -> None:
    def post_keyed(body: bytes, mapping: str) -> Any:
        return client.post(
            f"/assignment/html?input=xapi&mapping={mapping}",
            body,
            content_type=JSON_TYPE,
            headers={"Idempotency-Key": "k-input"},
        )

    first = post_keyed(as_xapi(), XAPI_MAPPING)
    assert first.status_code == 202
    assert post_keyed(as_xapi(), XAPI_MAPPING).json()["task_id"] == first.json()["task_id"]
    # Another mapping that makes the same JSON (its extra verb is in no statement): the
    # body stored would be the same, the request is not.
    other = json.dumps({"types": {RAN: "run_code", "https://example.edu/verbs/none": None}})
    assert post_keyed(as_xapi(), other).status_code == 422


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "1 event of the input maps to no event the report reads and is not in it: "
               "EventType Session.Start (1)."),
        ("de", "1 Ereignis der Eingabe entspricht keinem Ereignis, das der Bericht liest, und "
               "fehlt darin: EventType Session.Start (1)."),
    ],
)  # fmt: skip
def test_the_report_says_what_was_ignored_in_its_language(client, language, said) -> None:
    html = finished_report(
        client, "html", as_progsnap2(), CSV_TYPE, input="progsnap2", language=language
    ).decode()
    assert said in html
    pdf = finished_report(
        client, "pdf", as_progsnap2(), CSV_TYPE, input="progsnap2", language=language
    )
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert said in text
