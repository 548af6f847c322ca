"""OpenAPI description of ``…/data`` and of ``timezone`` (schema only, like ``schema.py``).

The serializers below describe ``reports.renderers.data.report_document``; the view
answers the stored bytes, and tests/test_data.py holds the document to this shape.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from reports.api.bodies import ErrorShape, FileStatusShape, PdfStatusShape
from reports.api.schema.jobs import SAMPLE_TASK_ID, WAIT_PARAMETER

_TIME = "ISO 8601 on the report's time zone's clock, with its offset."


class TypeCountSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(help_text="An event type (as shown in the report).")
    events = serializers.IntegerField(min_value=0)


class CohortSerializer(serializers.Serializer[Any]):
    active_seconds = serializers.FloatField(
        min_value=0,
        max_value=100,
        allow_null=True,
        help_text="The percentage of the other students who opened the question with a "
        "strictly smaller value; null when nobody else opened it.",
    )
    runs = serializers.FloatField(min_value=0, max_value=100, allow_null=True)
    saves = serializers.FloatField(min_value=0, max_value=100, allow_null=True)


class UnitStatsSerializer(serializers.Serializer[Any]):
    unit = serializers.CharField()
    opened = serializers.IntegerField(min_value=1, help_text="Students with any event on it.")
    ran = serializers.IntegerField(min_value=0, help_text="Students who ran code on it.")
    submitted = serializers.IntegerField(min_value=0, help_text="Students who submitted it.")
    difficulty = serializers.FloatField(
        min_value=0, max_value=1, help_text="The share who opened it and never submitted it."
    )
    active_seconds_median = serializers.FloatField(min_value=0)
    active_seconds_p90 = serializers.FloatField(min_value=0)
    runs_median = serializers.FloatField(min_value=0, help_text="Runs before the first submission.")
    runs_p90 = serializers.FloatField(min_value=0)
    saves_median = serializers.FloatField(min_value=0)
    saves_p90 = serializers.FloatField(min_value=0)


class AttentionFlagSerializer(serializers.Serializer[Any]):
    rule = serializers.ChoiceField(
        choices=[
            "struggling",
            "stuck_in_runs",
            "stuck_in_errors",
            "opened_never_submitted",
            "late_burst",
            "long_gap",
        ],
        help_text="The rule that fired (docs/report.md, 'Attention flags').",
    )
    unit = serializers.CharField(allow_null=True, help_text="null for a student-wide rule.")
    question = serializers.CharField(allow_null=True, help_text="The student's alias, or null.")
    value = serializers.FloatField(help_text="What the rule measured (seconds, runs, shares).")
    threshold = serializers.FloatField(help_text="What the value was compared with.")
    reason = serializers.CharField(help_text="The sentence the report shows.")


class OutcomesSerializer(serializers.Serializer[Any]):
    outcome_runs = serializers.IntegerField(
        min_value=0, help_text="Runs (run_code, run) that carry an `outcome`."
    )
    error_runs = serializers.IntegerField(min_value=0, help_text="Of them, those with `error`.")
    error_quotient = serializers.FloatField(
        min_value=0,
        max_value=1,
        allow_null=True,
        help_text="Jadud's Error Quotient of those runs (docs/report.md, 'Errors and "
        "correctness'); null with fewer than two.",
    )
    repeated_error_density = serializers.FloatField(
        min_value=0,
        allow_null=True,
        help_text="Becker's Repeated Error Density of those runs; null without one.",
    )
    scored_submissions = serializers.IntegerField(
        min_value=0, help_text="Submissions that carry a `score`."
    )
    first_score = serializers.FloatField(min_value=0, max_value=1, allow_null=True)
    best_score = serializers.FloatField(min_value=0, max_value=1, allow_null=True)
    first_correct = serializers.BooleanField(
        allow_null=True, help_text="The first scored submission scored 1; null without one."
    )
    ever_correct = serializers.BooleanField(
        allow_null=True, help_text="A scored submission scored 1; null without one."
    )
    error_streak = serializers.IntegerField(
        min_value=0,
        help_text="Runs in a row that ended in an error, since the last run that did not "
        "and the last submission (the stuck_in_errors rule).",
    )


class QuestionRowSerializer(serializers.Serializer[Any]):
    question = serializers.CharField(help_text="The alias: Q1, Q2, … in unit order.")
    unit = serializers.CharField()
    events = serializers.IntegerField(min_value=1)
    by_type = TypeCountSerializer(many=True, help_text="One entry per type of the student.")
    visits = serializers.IntegerField(min_value=1)
    first = serializers.DateTimeField(help_text=_TIME)
    last = serializers.DateTimeField(help_text=_TIME)
    active_seconds = serializers.FloatField(min_value=0)
    active_time = serializers.CharField(help_text="As the report shows it: '1 h 05 min'.")
    runs_before_submission = serializers.IntegerField(
        min_value=0, help_text="Runs (run_code, run) before the first submission; all without one."
    )
    saves_before_submission = serializers.IntegerField(
        min_value=0, help_text="Saves (saved_code) before the first submission; all without one."
    )
    submitted = serializers.BooleanField(help_text="Whether any event is a submission.")
    outcomes = OutcomesSerializer(
        allow_null=True,
        help_text="The outcome figures (docs/report.md, 'Errors and correctness'); null "
        "when no event of the report carries an outcome or a score.",
    )
    cohort = CohortSerializer(
        allow_null=True,
        help_text="The student beside the class (null in a report of one student).",
    )


class VisitSerializer(serializers.Serializer[Any]):
    question = serializers.CharField()
    events = serializers.IntegerField(min_value=1)
    start = serializers.DateTimeField(help_text=_TIME)
    end = serializers.DateTimeField(help_text=_TIME)


class StudentDataSerializer(serializers.Serializer[Any]):
    namespace = serializers.CharField()
    student_id = serializers.CharField()
    events = serializers.IntegerField(min_value=1)
    questions = serializers.IntegerField(min_value=1)
    active_seconds = serializers.FloatField(min_value=0)
    active_time = serializers.CharField()
    first = serializers.DateTimeField(help_text=_TIME)
    last = serializers.DateTimeField(help_text=_TIME)
    idle_stretches = serializers.IntegerField(
        min_value=0, help_text="Gaps between events longer than idle_minutes."
    )
    longest_idle_seconds = serializers.FloatField(min_value=0)
    event_types = serializers.ListField(child=serializers.CharField())
    question_rows = QuestionRowSerializer(many=True, help_text="The report's table, per question.")
    visits = VisitSerializer(many=True, help_text="Consecutive events on one question.")
    visit_path = serializers.CharField(help_text="As the report shows it: 'Q1 (3) → Q2'.")
    attention = AttentionFlagSerializer(
        many=True, help_text="The attention rules that fired; empty when none did."
    )
    event_order = serializers.ListField(
        child=serializers.CharField(), help_text="The question of every event, in time order."
    )


class ClassRowSerializer(serializers.Serializer[Any]):
    student_id = serializers.CharField()
    counts = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text="Events per unit, as `units`; only when `heat_map` is true.",
    )
    events = serializers.IntegerField(min_value=1)


class ClassSummarySerializer(serializers.Serializer[Any]):
    units = serializers.ListField(child=serializers.CharField())
    rows = ClassRowSerializer(many=True, help_text="One per student, in input order.")
    unit_totals = serializers.ListField(child=serializers.IntegerField(min_value=0))
    unit_students = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        help_text="Students with at least one event on each unit, as `units`.",
    )
    heat_map = serializers.BooleanField(
        help_text="Whether the report drew the heat map (students x units within "
        "REPORT_HEATMAP_MAX_CELLS); the rows' `counts` come only with it."
    )


class OutcomeFieldsSerializer(serializers.Serializer[Any]):
    outcomes = serializers.BooleanField(help_text="Whether a run carries an `outcome`.")
    scores = serializers.BooleanField(help_text="Whether a submission carries a `score`.")
    note = serializers.CharField(
        help_text="The report's sentence: which figures need which fields, or what a "
        "dash in an outcome column means."
    )


class ReportDataSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(help_text="1; a change that breaks readers bumps it.")
    timezone = serializers.CharField(help_text="The IANA zone of every time in the document.")
    idle_minutes = serializers.FloatField(min_value=0)
    events = serializers.IntegerField(min_value=1)
    event_types = serializers.ListField(child=serializers.CharField())
    last_activity = serializers.DateTimeField(help_text=_TIME)
    questions = UnitStatsSerializer(
        many=True,
        help_text="Per unit across the class, in unit order (docs/report.md, 'Questions "
        "across the class'); empty in a report of one student.",
    )
    outcome_fields = OutcomeFieldsSerializer(
        help_text="Which outcome fields the events carry (the figures that need them are "
        "null without them)."
    )
    students = StudentDataSerializer(many=True, help_text="In input order.")
    class_summary = ClassSummarySerializer()


DATA_DESCRIPTION = (
    "The report model the HTML and PDF are drawn from, for every finished job of either "
    "kind: JSON by default; CSV (one row per student and question: namespace, student id "
    "and the columns of the report's table) with `?format=csv` or an Accept header that "
    "prefers `text/csv`. A CSV cell starting with = + - @, tab or carriage return gets a "
    "leading apostrophe, so spreadsheets show it as text. Unfinished jobs answer 202 with "
    "the status body, failed ones 409."
)

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    type={"type": "string", "enum": ["json", "csv"]},
    location=OpenApiParameter.QUERY,
    required=False,
    description="json or csv; wins over the Accept header. Without either: JSON.",
)
DATA_WAIT_PARAMETER = WAIT_PARAMETER

_PENDING = {"task_id": SAMPLE_TASK_ID, "status": "PENDING", "message": "Task not completed."}
_CSV_EXAMPLE = (
    "Namespace,Student ID,Question,Unit,Events,saved_code,Visits,First (UTC),Last (UTC),"
    "Active time\r\nns_example,00a9a76518624b02b0ed57263606fc26,Q1,17,1,1,1,"
    "2024-07-21 03:04:55.939,2024-07-21 03:04:55.939,0 s\r\n"
)


def _data_responses() -> dict[Any, Any]:
    return {
        (200, "application/json"): OpenApiResponse(
            ReportDataSerializer, description="The report's figures."
        ),
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.STR,
            description="The per-question table of every student, with a header row.",
            examples=[OpenApiExample("CSV", value=_CSV_EXAMPLE)],
        ),
        202: OpenApiResponse(
            PdfStatusShape,
            description="Not finished yet: the status URL's answer (with `data: null` on the "
            "html endpoint).",
            examples=[OpenApiExample("Pending", value=_PENDING)],
        ),
        400: OpenApiResponse(ErrorShape, description="A bad ?format or ?wait value."),
        404: OpenApiResponse(FileStatusShape, description="Unknown id."),
        409: OpenApiResponse(
            FileStatusShape,
            description="The job failed (`message` says why), or its report was stored "
            "before this service kept data.",
        ),
    }


DATA_RESPONSES = _data_responses()
