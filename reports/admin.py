"""The Django admin for jobs: find them, read why they failed, run failed ones again."""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from reports.jobs import db, erase, sweep
from reports.models import JobStatus, Report, ReportJob, WebhookAttempt, WebhookDelivery


class ReportInline(admin.StackedInline[Report, ReportJob]):
    model = Report
    fields = ("id", "student_id", "student_ids", "file", "content_type", "size", "created_at")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0
    show_change_link = False


class WebhookInline(admin.StackedInline[WebhookDelivery, ReportJob]):
    model = WebhookDelivery
    verbose_name = verbose_name_plural = "webhook"
    fields = (
        "url",
        "state",
        "attempts",
        "last_status",
        "last_error",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "status_url",
    )
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0


class WebhookAttemptInline(admin.TabularInline[WebhookAttempt, ReportJob]):
    model = WebhookAttempt
    verbose_name_plural = "webhook attempts"
    fields = ("at", "http_status", "error", "duration_ms")
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin[ReportJob]):
    list_display = (
        "id",
        "kind",
        "status",
        "student_count",
        "event_count",
        "attempts",
        "worker",
        "short_message",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("id",)
    search_help_text = "A task id, or a student id."
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = (ReportInline, WebhookInline, WebhookAttemptInline)
    readonly_fields = [f.name for f in ReportJob._meta.fields]
    fields = tuple(readonly_fields)
    actions = ("rerun_failed",)

    @admin.display(description="message")
    def short_message(self, job: ReportJob) -> str:
        return job.message if len(job.message) <= 80 else job.message[:79] + "…"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ReportJob], search_term: str
    ) -> tuple[QuerySet[ReportJob], bool]:
        """The task id, or a student id of the job's report."""
        term = search_term.strip()
        if not term:
            return queryset, False
        # SQLite has no JSON containment: match the JSON text instead
        in_list = db.json_list_contains("report__student_ids", term) or Q(
            report__student_ids__icontains=f'"{term}"'
        )
        matches = Q(report__student_id=term) | in_list
        try:
            matches |= Q(id=uuid.UUID(term))
        except ValueError:
            pass
        return queryset.filter(matches), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs come from the API, with their input

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # read-only: state changes go through the job lifecycle (see the action)

    def delete_model(self, request: HttpRequest, obj: ReportJob) -> None:
        erase.jobs_erase(job_ids=[obj.id])  # with the files, not only the rows

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ReportJob]) -> None:
        erase.jobs_erase(job_ids=list(queryset.values_list("id", flat=True)))

    def has_rerun_permission(self, request: HttpRequest) -> bool:
        return super().has_change_permission(request)

    @admin.action(description="Re-run failed jobs", permissions=["rerun"])
    def rerun_failed(self, request: HttpRequest, queryset: QuerySet[ReportJob]) -> None:
        selected = list(queryset.values_list("id", flat=True))
        rerun = sweep.jobs_rerun(job_ids=selected)
        skipped = len(selected) - rerun
        self.message_user(request, f"{rerun} failed job(s) queued again.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} job(s) left alone: only {JobStatus.FAILURE} jobs are re-run.",
                messages.WARNING,
            )
