"""Finding every job that holds a student's data, for erasure requests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec
from django.db import connection

from reports.jobs import db
from reports.models import JobInput, Report, ReportJob
from reports.report.contract import decode_students


@dataclass(frozen=True)
class StudentJob:
    job_id: uuid.UUID
    kind: str
    status: str
    students: int  # students in the job: more than 1 means others' data goes with it
    # "input": the stored request names the student (namespace checked when given);
    # "report": only the report row does (the input was dropped: the namespace is unknown).
    found_in: str


def _candidate_inputs(student_id: str) -> Iterator[uuid.UUID]:
    """Jobs whose stored body may name the student. A JSON text holds the id either as its
    plain UTF-8 bytes or with some escape, so a body with neither cannot name it: a byte
    search in the database skips those without reading them into Python."""
    table = JobInput._meta.db_table
    found = db.bytes_position("body")
    sql = f"SELECT job_id FROM {table} WHERE {found} OR {found}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [student_id.encode("utf-8"), b"\\"])
        rows = cursor.fetchall()
    for (job_id,) in rows:
        yield job_id if isinstance(job_id, uuid.UUID) else uuid.UUID(str(job_id))


def _names_student(body: bytes, student_id: str, namespace: str | None) -> bool:
    try:
        students = decode_students(body)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
        return False  # the API stores only bodies that decode; nothing to find in others
    return any(
        s.student_id == student_id and (namespace is None or s.namespace == namespace)
        for s in students
    )


def _reports_naming(student_id: str) -> set[uuid.UUID]:
    """Jobs whose report row lists the student and whose input is gone."""
    reports = Report.objects.filter(job__input__isnull=True)
    listed = db.json_list_contains("student_ids", student_id)
    if listed is not None:
        return set(reports.filter(listed).values_list("job_id", flat=True))
    # SQLite has no JSON containment: read the lists (embedded mode: a small database).
    return {
        job_id
        for job_id, ids in reports.values_list("job_id", "student_ids").iterator()
        if student_id in ids
    }


def jobs_of_student(*, student_id: str, namespace: str | None = None) -> list[StudentJob]:
    """Every job that holds data about the student, in any state.

    Jobs keep their request body until retention (or, with REPORT_KEEP_INPUT=false, until
    their report is stored), so most are found by decoding their stored body, where the
    namespace can be checked. A job whose body was dropped is found by its report row's
    student ids, which carry no namespace: it is included whatever ``namespace`` says
    (erasure errs on the side of removing).
    """
    found: dict[uuid.UUID, str] = {}
    for job_id in _candidate_inputs(student_id):
        body = JobInput.objects.filter(job_id=job_id).values_list("body", flat=True).first()
        if body is not None and _names_student(bytes(body), student_id, namespace):
            found[job_id] = "input"
    for job_id in _reports_naming(student_id):
        found.setdefault(job_id, "report")
    jobs = ReportJob.objects.filter(id__in=list(found)).values_list(
        "id", "kind", "status", "student_count"
    )
    return sorted(
        (
            StudentJob(job_id, kind, status, students, found[job_id])
            for job_id, kind, status, students in jobs
        ),
        key=lambda job: str(job.job_id),
    )
