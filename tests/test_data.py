"""GET /assignment/<kind>/<task_id>/data and ``timezone``, through Django's test client:
the figures as JSON and CSV from the same model as the HTML and PDF, in the asked zone."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pypdf
import pytest
from django.test import override_settings

from bench import payloads
from reports.api.auth import key_owner
from reports.jobs import run, states, submit
from reports.models import JobStatus, ReportJob
from reports.renderers.data import report_json
from reports.report.analysis import build_report
from reports.report.contract import decode_students

pytestmark = pytest.mark.django_db

# Around the spring change in Berlin (last Sunday of March 2026): 00:30Z is 01:30 CET,
# 01:30Z is 03:30 CEST; the second event is one hour after the first, not two.
DST_EVENTS = [
    {"type": "saved_code", "created_time": "2026-03-29T00:30:00Z", "unit": "1"},
    {"type": "run", "created_time": "2026-03-29T01:30:00Z", "unit": "2"},
]


def student(student_id: str, events: list[dict], namespace: str = "ns") -> dict:
    return {"namespace": namespace, "student_id": student_id, "events": events}


def events(*spec: tuple[str, str, str | int]) -> list[dict]:
    return [{"type": t, "created_time": at, "unit": u} for t, at, u in spec]


CLASS = [
    student(
        "alice",
        events(
            ("saved_code", "2024-07-21 03:04:55.939+00:00", "17"),
            ("submission", "2024-07-21 03:10:00+00:00", "17"),
            ("run", "2024-07-21 03:40:00+00:00", 3),
            ("saved_code", "2024-07-22 09:00:00+00:00", "17"),
        ),
    ),
    student(
        'bob, "the" second',
        events(
            ("run", "2024-07-21 05:00:00+00:00", "3"),
            ("run", "2024-07-21 05:00:30+00:00", "3"),
            ("saved_code", "2024-07-21 05:20:00+00:00", "12"),
        ),
        namespace="ns two",
    ),
]


def finished(client, kind: str, body: object, query: str = "", media=None) -> str:
    response = client.post(
        f"/assignment/{kind}{query}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 202, response.content
    task_id = response.json()["task_id"]
    assert run.job_run(job_id=task_id, holder="test/1") == JobStatus.SUCCESS
    return task_id


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


class Tables(HTMLParser):
    """Every <table> of a document as rows of cell texts, by the student section it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str | None, list[list[str]]]] = []
        self.section: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.section = dict(attrs).get("id")
        elif tag == "table":
            self.tables.append((self.section, []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.tables:
            self.tables[-1][1][-1].append("".join(self.cell))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def question_tables(html: str) -> dict[str, list[list[str]]]:
    """The last table of each student section: its per-question table, header first."""
    parser = Tables()
    parser.feed(html)
    found: dict[str, list[list[str]]] = {}
    for section, rows in parser.tables:
        if section and section.startswith("s"):
            found[section] = rows
    return found


def html_document(client, task_id: str) -> str:
    response = client.get(f"/assignment/html/{task_id}", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    return response.content.decode()


# --- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_data_answers_the_report_model_as_json(client, kind) -> None:
    task_id = finished(client, kind, CLASS, "?timezone=Asia/Kolkata&idle_minutes=20")
    response = client.get(f"/assignment/{kind}/{task_id}/data")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Accept" in response["Vary"]
    body = json.loads(response.content)
    model = build_report(
        decode_students(json.dumps(CLASS).encode()), idle_minutes=20, timezone="Asia/Kolkata"
    )
    assert body == json.loads(report_json(model))
    assert body["timezone"] == "Asia/Kolkata" and body["version"] == 1
    alice = body["students"][0]
    assert alice["events"] == 4 and alice["event_order"] == ["Q2", "Q2", "Q1", "Q2"]
    assert alice["first"] == "2024-07-21T08:34:55.939000+05:30"
    assert [r["question"] for r in alice["question_rows"]] == ["Q1", "Q2"]
    assert alice["visit_path"] == "Q2 (2) → Q1 → Q2"
    assert body["class_summary"]["units"] == ["3", "12", "17"]
    assert body["class_summary"]["rows"][1]["counts"] == [2, 1, 0]
    # Raw UTF-8: nothing escaped beyond JSON (no \u escapes, no HTML entities).
    assert "→".encode() in response.content and b"&quot;" not in response.content


# --- CSV ------------------------------------------------------------------------------------


def test_every_number_in_the_csv_is_in_the_html_table(client) -> None:
    task_id = finished(client, "html", CLASS, "?timezone=America/New_York")
    response = client.get(f"/assignment/html/{task_id}/data?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert response["Content-Disposition"] == 'attachment; filename="report-' + task_id + '.csv"'
    header, *rows = read_csv(response.content)
    assert header == [
        "Namespace",
        "Student ID",
        "Question",
        "Unit",
        "Events",
        "run",
        "saved_code",
        "submission",
        "Visits",
        "First (America/New_York)",
        "Last (America/New_York)",
        "Active time",
    ]
    assert len(rows) == 4  # alice: Q1, Q2; bob: Q1, Q2
    tables = question_tables(html_document(client, task_id))
    sections = {"alice": "s1", 'bob, "the" second': "s2"}
    checked = 0
    for row in rows:
        table_header, *table_rows = tables[sections[row[1]]]
        html_row = next(r for r in table_rows if r[0] == row[2])
        html_cells = dict(zip(table_header, html_row, strict=True))
        csv_cells = dict(zip(header, row, strict=True))
        for column, value in csv_cells.items():
            if column in html_cells:
                assert value == html_cells[column], (column, value)
                checked += 1
            elif column not in ("Namespace", "Student ID"):
                assert value == "0"  # a type the student never used
        # And plainly: every number in the CSV row is in the student's HTML table.
        table_text = " ".join(" ".join(r) for r in table_rows)
        for number in re.findall(r"\d+(?:\.\d+)?", " ".join(row[2:])):
            assert number in table_text, number
    assert checked == 2 * 10 + 2 * 9  # alice's table has 3 type columns, bob's 2
    assert rows[2][:2] == ["ns two", 'bob, "the" second']
    assert b'"bob, ""the"" second"' in response.content  # quoted as RFC 4180 says
    assert response.content.endswith(b"\r\n")


def test_accept_text_csv_gets_csv_and_a_bad_format_is_a_400(client) -> None:
    task_id = finished(client, "pdf", CLASS)
    by_accept = client.get(f"/assignment/pdf/{task_id}/data", HTTP_ACCEPT="text/csv")
    assert by_accept["Content-Type"].startswith("text/csv")
    assert read_csv(by_accept.content)[0][0] == "Namespace"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert client.get(f"/assignment/pdf/{task_id}/data", HTTP_ACCEPT=browser)[
        "Content-Type"
    ].startswith("application/json")
    query_wins = client.get(f"/assignment/pdf/{task_id}/data?format=json", HTTP_ACCEPT="text/csv")
    assert query_wins["Content-Type"] == "application/json"
    bad = client.get(f"/assignment/pdf/{task_id}/data?format=xlsx")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["format"]


def test_csv_neutralises_formula_cells(client) -> None:
    body = student(
        '=HYPERLINK("http://evil")',
        events(("+cmd", "2024-01-01T10:00:00Z", "@SUM(A1)"), ("x", "2024-01-01T10:01:00Z", -5)),
        namespace="-ns",
    )
    task_id = finished(client, "html", body)
    header, *rows = read_csv(client.get(f"/assignment/html/{task_id}/data?format=csv").content)
    assert "'+cmd" in header
    cells = {cell for row in rows for cell in row}
    assert {'\'=HYPERLINK("http://evil")', "'@SUM(A1)", "'-5", "'-ns"} <= cells
    assert not any(cell[:1] in "=+-@" for cell in cells | set(header))
    # JSON carries the text as it is: JSON needs no such guard.
    document = client.get(f"/assignment/html/{task_id}/data").json()
    assert document["students"][0]["student_id"] == '=HYPERLINK("http://evil")'


# --- Not ready, unknown, failed, keys ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_unfinished_unknown_and_failed_jobs(client, kind, sample) -> None:
    response = client.post(
        f"/assignment/{kind}", json.dumps([sample, sample]), content_type="application/json"
    )
    task_id = response.json()["task_id"]
    pending = client.get(f"/assignment/{kind}/{task_id}/data?format=csv")
    assert pending.status_code == 202
    assert pending.json() == client.get(f"/assignment/{kind}/{task_id}").json()
    assert pending.json()["progress"] == {"done": 0, "total": 2}
    unknown = client.get(f"/assignment/{kind}/5d4c6b8e-0f0e-4d5e-9c1a-2b3c4d5e6f70/data")
    assert unknown.status_code == 404 and unknown.json()["status"] == "NOT_FOUND"
    assert client.get(f"/assignment/{kind}/nope/data").status_code == 404
    other = "pdf" if kind == "html" else "html"
    assert client.get(f"/assignment/{other}/{task_id}/data").status_code == 404
    states.job_fail(job_id=task_id, message="No.")
    failed = client.get(f"/assignment/{kind}/{task_id}/data")
    assert failed.status_code == 409
    assert failed.json()["status"] == "FAILURE" and failed.json()["message"] == "No."


@override_settings(REPORT_API_KEYS=["key-a", "key-b"])
def test_data_needs_the_owners_key(client, sample) -> None:
    raw = json.dumps(sample).encode()
    job = submit.job_create(
        kind="html", body=raw, student_count=1, event_count=1, owner=key_owner("key-a")
    ).job
    assert run.job_run(job_id=job.id, holder="test/1") == JobStatus.SUCCESS
    url = f"/assignment/html/{job.id}/data"
    assert client.get(url).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer key-b").status_code == 404
    assert client.get(url, HTTP_AUTHORIZATION="Bearer key-a").status_code == 200


# --- timezone -------------------------------------------------------------------------------


def test_timezone_from_the_query_or_the_body_is_stored_on_the_job(client, sample) -> None:
    def job_of(response) -> ReportJob:
        assert response.status_code == 202, response.content
        return ReportJob.objects.get(id=response.json()["task_id"])

    post = client.post
    plain = job_of(post("/assignment/html", json.dumps(sample), content_type="application/json"))
    assert plain.timezone == "UTC"
    in_body = dict(sample, timezone="Asia/Kolkata")
    by_body = job_of(post("/assignment/html", json.dumps(in_body), content_type="application/json"))
    assert by_body.timezone == "Asia/Kolkata"
    by_query = job_of(
        post(
            "/assignment/html?timezone=Europe/Berlin",
            json.dumps(in_body),
            content_type="application/json",
        )
    )
    assert by_query.timezone == "Europe/Berlin"  # the query wins


@pytest.mark.parametrize(
    ("query", "body_zone"),
    [
        ("?timezone=Mars/Olympus", None),
        ("?timezone=", None),
        ("?timezone=../../etc/passwd", None),
        ("", "europe/berlin"),
        ("", "localtime"),
    ],
)
def test_an_unknown_timezone_is_a_400_naming_it(client, sample, query, body_zone) -> None:
    if body_zone is not None:
        sample["timezone"] = body_zone
    response = client.post(
        f"/assignment/pdf{query}", json.dumps(sample), content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["timezone"]
    assert ReportJob.objects.count() == 0


def test_the_same_idempotency_key_with_another_timezone_is_a_conflict(client, sample) -> None:
    def send(zone: str):
        return client.post(
            f"/assignment/html?timezone={zone}",
            json.dumps(sample),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="k-1",
        )

    first = send("Europe/Berlin")
    assert send("Europe/Berlin").json()["task_id"] == first.json()["task_id"]
    conflict = send("Asia/Kolkata")  # the same key, another request: Conflict
    assert conflict.status_code == 422 and conflict.json()["status"] == "CONFLICT"


def test_a_dst_change_in_berlin_in_html_csv_pdf_and_json(client) -> None:
    body = student("s1", DST_EVENTS)
    html_id = finished(client, "html", body, "?timezone=Europe/Berlin&idle_minutes=90")
    html = html_document(client, html_id)
    assert "2026-03-29 01:30:00 CET" in html and "2026-03-29 03:30:00 CEST" in html
    assert "All times are in the time zone Europe/Berlin." in html
    assert ">01:30</text>" in html and ">03:30</text>" in html  # the chart's ticks
    assert "<dd>1 h 00 min</dd>" in html  # one hour passed, not two
    table = question_tables(html)["s1"]
    assert table[0][-3:] == ["First (Europe/Berlin)", "Last (Europe/Berlin)", "Active time"]

    _, *rows = read_csv(client.get(f"/assignment/html/{html_id}/data?format=csv").content)
    assert [(r[2], r[-3]) for r in rows] == [
        ("Q1", "2026-03-29 01:30:00 CET"),
        ("Q2", "2026-03-29 03:30:00 CEST"),
    ]
    document = client.get(f"/assignment/html/{html_id}/data").json()
    assert [v["start"] for v in document["students"][0]["visits"]] == [
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
    ]

    pdf_id = finished(client, "pdf", body, "?timezone=Europe/Berlin&idle_minutes=90")
    pdf = client.get(f"/assignment/pdf/{pdf_id}")
    text = " ".join(
        " ".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.getvalue())).pages
        ).split()
    )
    assert "2026-03-29 01:30:00 CET" in text and "2026-03-29 03:30:00 CEST" in text
    assert "time zone Europe/Berlin" in text


@pytest.mark.parametrize(
    ("body", "zone"),
    [
        (lambda: payloads.sample_body(), "UTC"),
        (lambda: payloads.class_body(7, 40), "Europe/Berlin"),
        (lambda: payloads.student_body(3_000), "America/St_Johns"),
    ],
    ids=["sample", "class", "big-student"],
)
def test_the_json_written_student_by_student_is_the_documents_own_encoding(body, zone) -> None:
    """``report_json`` streams the document (a big student's ``event_order`` is joined from
    encoded aliases); the bytes are exactly orjson's encoding of ``report_document``."""
    import orjson

    from reports.renderers.data import report_document

    model = build_report(decode_students(body()), idle_minutes=10, timezone=zone)
    assert report_json(model) == orjson.dumps(report_document(model))
    assert len(json.loads(report_json(model))["students"][0]["event_order"]) > 0
