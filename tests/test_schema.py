"""The OpenAPI schema: valid, true to the contract, and the app honours it (schemathesis)."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as oa_checks

from reports.report.contract import StudentIn, decode_students
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def openapi(django_db_blocker) -> dict:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_the_served_schema_is_valid_openapi(client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/assignment/html",
        "/assignment/pdf",
        "/assignment/html/{task_id}",
        "/assignment/pdf/{task_id}",
        "/assignment/{kind}/{task_id}/report",
        "/assignment/{kind}/{task_id}/data",
    }


def test_the_request_body_is_one_student_or_a_non_empty_list(openapi) -> None:
    components = openapi["components"]["schemas"]
    body = openapi["paths"]["/assignment/html"]["post"]["requestBody"]["content"]
    ref = body["application/json"]["schema"]["$ref"]
    request = components[ref.rsplit("/", 1)[1]]
    student_ref = {"$ref": "#/components/schemas/Student"}
    assert request["anyOf"][:2] == [
        student_ref,
        {"type": "array", "items": student_ref, "minItems": 1},
    ]
    # ?input=xapi and ?input=caliper bodies are JSON too; ProgSnap2's a table or a zip.
    assert "xAPI" in request["anyOf"][2]["description"]
    assert request["anyOf"][3]["required"] == ["data"]
    assert body["text/csv"]["schema"]["type"] == "string"
    assert body["application/zip"]["schema"]["format"] == "binary"
    names = {p["name"] for p in openapi["paths"]["/assignment/html"]["post"]["parameters"]}
    assert {"input", "mapping", "namespace", "language"} <= names
    student = components["Student"]
    assert set(student["required"]) == {"namespace", "student_id", "events"}
    assert student["properties"]["student_id"]["maxLength"] == 255
    assert student["properties"]["student_id"]["minLength"] == 1
    assert student["properties"]["events"]["minItems"] == 1
    event = components["EventIn"]
    assert set(event["required"]) == {"type", "created_time", "unit"}
    assert [s["type"] for s in event["properties"]["unit"]["anyOf"]] == ["string", "integer"]
    assert event["properties"]["created_time"]["format"] == "date-time"


def test_the_schema_examples_are_accepted_by_the_contract(openapi) -> None:
    import json

    examples = openapi["paths"]["/assignment/pdf"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    assert examples
    for example in examples.values():
        students = decode_students(json.dumps(example["value"]).encode())
        assert all(isinstance(s, StudentIn) for s in students)


def test_responses_are_described(openapi) -> None:
    paths = openapi["paths"]
    assert set(paths["/assignment/html"]["post"]["responses"]) >= {"202", "400", "413", "415"}
    html_status = paths["/assignment/html/{task_id}"]["get"]
    assert set(html_status["responses"]) >= {"200", "202", "400", "404"}
    assert [p["name"] for p in html_status["parameters"] if p["in"] == "query"] == ["wait"]
    pdf_ok = paths["/assignment/pdf/{task_id}"]["get"]["responses"]["200"]["content"]
    assert pdf_ok["application/pdf"]["schema"] == {"type": "string", "format": "binary"}


def test_timezone_and_the_data_endpoint_are_described(openapi) -> None:
    paths, components = openapi["paths"], openapi["components"]["schemas"]
    create = paths["/assignment/pdf"]["post"]
    assert "timezone" in [p["name"] for p in create["parameters"] if p["in"] == "query"]
    assert components["Student"]["properties"]["timezone"]["maxLength"] == 64
    data = paths["/assignment/{kind}/{task_id}/data"]["get"]
    assert {p["name"] for p in data["parameters"] if p["in"] == "query"} == {"format", "wait"}
    # Its own answers, then what any operation may answer: no valid API key, the database
    # unreachable, and the HTTP server's refusals (reports/api/schema/complete.py); with
    # ?wait=, too many waits open on the key.
    assert set(data["responses"]) == {"200", "202", "400", "404", "409"} | {
        "401",
        "503",
        "414",
        "431",
        "429",
    }
    assert "REPORT_MAX_WAITS_PER_KEY" in data["responses"]["429"]["description"]
    ok = data["responses"]["200"]["content"]
    assert set(ok) == {"application/json", "text/csv"}
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/ReportData"}
    student = components["ReportData"]["properties"]["students"]["items"]["$ref"]
    rows = components[student.rsplit("/", 1)[1]]["properties"]["question_rows"]
    assert rows["items"] == {"$ref": "#/components/schemas/QuestionRow"}
    assert {"StudentData", "QuestionRow", "Visit", "ClassSummary", "TypeCount"} <= set(components)


def test_the_data_document_has_the_schemas_shape(openapi) -> None:
    """Every key of a real document is described, and every described key is present."""
    from reports.renderers.data import report_document
    from reports.report.analysis import build_report

    students = decode_students(json.dumps([SAMPLE, dict(SAMPLE, student_id="b")]).encode())
    document = report_document(build_report(students, idle_minutes=30))
    components = openapi["components"]["schemas"]

    def check(value: object, schema: dict) -> None:
        if "allOf" in schema:  # a nullable object: {"allOf": [{"$ref": ...}], "nullable": true}
            assert value is not None or schema.get("nullable"), schema
            (schema,) = schema["allOf"]
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        if isinstance(value, dict):
            assert set(value) == set(schema["properties"]), schema
            for key, item in value.items():
                check(item, schema["properties"][key])
        elif isinstance(value, list):
            for item in value:
                check(item, schema["items"])

    check(document, {"$ref": "#/components/schemas/ReportData"})
    # With outcome fields: each question row's ``outcomes`` is an object, described too.
    at = {"created_time": "2024-07-21T03:04:55Z", "unit": "17"}
    events = [
        {**at, "type": "run_code", "outcome": "error", "error_type": "E"},
        {**at, "type": "submission", "score": 1},
    ]
    carrying = decode_students(json.dumps(dict(SAMPLE, events=events)).encode())
    document = report_document(build_report(carrying, idle_minutes=30))
    assert document["students"][0]["question_rows"][0]["outcomes"]["ever_correct"] is True
    check(document, {"$ref": "#/components/schemas/ReportData"})


def test_swagger_ui_is_served_from_our_own_static_files(client) -> None:
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert b"".join(asset.streaming_content if asset.streaming else [asset.content])


def test_admin_static_is_served(client) -> None:
    asset = client.get("/static/admin/css/base.css")
    assert asset.status_code == 200


# --- Property-based: schemathesis against the app itself, in-process over WSGI ---------------


@pytest.fixture
def keep_test_connection(db):
    """Django's test client stops each request from closing the database connection (the
    test's transaction lives on it); schemathesis calls the WSGI app directly, so do the
    same here."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loading the schema needs no database; the calls run in each test's transaction (`db`).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

CHECKS = [
    st_checks.not_a_server_error,
    oa_checks.status_code_conformance,
    oa_checks.content_type_conformance,
    oa_checks.response_schema_conformance,
]


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_honours_its_schema(keep_test_connection, case) -> None:
    case.call_and_validate(checks=CHECKS)


def test_the_schema_describes_the_outcome_fields(openapi) -> None:
    event = openapi["components"]["schemas"]["EventIn"]
    assert set(event["required"]) == {"type", "created_time", "unit"}
    properties = event["properties"]
    ref = properties["outcome"]["allOf"][0]["$ref"].rsplit("/", 1)[1]
    assert sorted(openapi["components"]["schemas"][ref]["enum"]) == ["error", "ok"]
    assert properties["outcome"]["nullable"] is True
    assert (properties["score"]["minimum"], properties["score"]["maximum"]) == (0, 1)
    assert properties["error_line"]["minimum"] == 1
    assert properties["error_type"]["maxLength"] == 255
    assert "outcomes" in openapi["components"]["schemas"]["QuestionRow"]["properties"]
    outcomes = openapi["components"]["schemas"]["Outcomes"]["properties"]
    assert {"error_quotient", "repeated_error_density", "first_correct", "ever_correct"} <= set(
        outcomes
    )
    flag = openapi["components"]["schemas"]["AttentionFlag"]["properties"]["rule"]
    assert "stuck_in_errors" in str(flag)
