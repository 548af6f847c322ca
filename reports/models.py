"""Jobs are the record of work: our database, not Celery's result backend, says what state
a job is in. A job's input is kept in its own table so that job rows stay small."""

from __future__ import annotations

import uuid

from django.db import models


class JobKind(models.TextChoices):
    HTML = "html", "HTML"
    PDF = "pdf", "PDF"


class JobStatus(models.TextChoices):
    PENDING = "PENDING"
    STARTED = "STARTED"
    RETRY = "RETRY"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.STARTED, JobStatus.RETRY)
FINISHED_STATUSES = (JobStatus.SUCCESS, JobStatus.FAILURE)


class ReportJob(models.Model):
    # The task id handed to clients: random UUID4, so ids cannot be guessed.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=JobKind.choices)
    status = models.CharField(
        max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING, db_index=True
    )
    message = models.TextField(blank=True, default="")
    # Tries since the job was (re)submitted; at REPORT_JOB_MAX_ATTEMPTS it ends as FAILURE.
    attempts = models.PositiveIntegerField(default=0)
    # Runs of the job that stopped their worker (a pool process lost, a hard time limit, a
    # heartbeat gone silent); at REPORT_JOB_MAX_CRASHES it ends as FAILURE (quarantine).
    crashes = models.PositiveIntegerField(default=0)
    # The fencing token: +1 on every claim and never reset (a re-run keeps counting), so
    # only the run holding the current value can store the report or end the job.
    fence = models.PositiveBigIntegerField(default=0)
    # The run holding the job, "<celery node>/<pid>" (after it ends: the one that ran it).
    worker = models.CharField(max_length=255, blank=True, default="")
    student_count = models.PositiveIntegerField(default=0)
    event_count = models.PositiveIntegerField(default=0)
    idle_minutes = models.FloatField()
    progress_done = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # While STARTED: after this moment the job is presumed abandoned (dead worker); its run's
    # heartbeat keeps moving it forward (reports/jobs/heartbeat.py).
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # sha256 of the API key that created the job ("" when the service runs without keys);
    # never the key itself.
    owner = models.CharField(max_length=64, blank=True, default="")
    # The client's Idempotency-Key (unique per owner while it lives) and the fingerprint of
    # the request it came with (the name is older than its meaning: the sha256 of the body
    # and every effective parameter, jobs.submit.request_fingerprint): a replay must match.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    body_sha256 = models.CharField(max_length=64, blank=True, default="")
    # The request gave a callback_url (its WebhookDelivery row exists). Kept on the job so
    # that the claim returns it with the job: a job without one costs no look-up.
    has_callback = models.BooleanField(default=False)
    # The IANA time zone the report shows its times in (?timezone=, checked at submit).
    timezone = models.CharField(max_length=64, default="UTC")
    # The request's ?attention[<name>]= thresholds as JSON (contract.AttentionIn; "" none):
    # over the body's own and the service's settings. A database default too: a web
    # process of the release before (a rolling upgrade) inserts jobs without it.
    attention = models.TextField(blank=True, default="", db_default="")
    # The language of the report's words and formats (a code of report.languages.LANGUAGES,
    # checked at submit); a database default for the same reason as ``attention``.
    language = models.CharField(max_length=8, default="en", db_default="en")
    # Where the events came from when the body was in another format (?input=): the
    # format and what mapped to nothing, as JSON (report.model.Source; "" the own JSON).
    source = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "published_at"], name="job_sweep_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="job_idempotency_key_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.id} ({self.status})"


class JobInput(models.Model):
    """The validated request body, exactly as received; the worker decodes it again."""

    job = models.OneToOneField(
        ReportJob, on_delete=models.CASCADE, primary_key=True, related_name="input"
    )
    body = models.BinaryField()

    def __str__(self) -> str:
        return f"input of job {self.job_id}"


def report_upload_to(instance: Report, filename: str) -> str:
    return f"reports/{filename}"


class Report(models.Model):
    """The result of a successful job (the seed's report row): one per job."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.OneToOneField(ReportJob, on_delete=models.CASCADE, related_name="report")
    # The seed's field: the task id this report belongs to, indexed for look-ups.
    task_id = models.UUIDField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # null (not "") when the report covers several students: the API answers null then.
    student_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    student_ids = models.JSONField(default=list)
    # The HTML document for html jobs (the seed keeps it in a text column); empty for pdf.
    html = models.TextField(blank=True, default="")
    file = models.FileField(upload_to=report_upload_to, max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    # The report model as data (reports.renderers.data), stored by the run that stored the
    # file, for GET …/data: the JSON document and the CSV table. Kept in the row so that
    # they live and die with it (DELETE, retention, purge_reports) and need no input.
    # Empty for reports stored before these columns existed.
    data_json = models.BinaryField(default=b"")
    data_csv = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"report {self.id} of job {self.task_id}"


class WebhookState(models.TextChoices):
    PENDING = "pending"  # no attempt yet: the job is not finished, or its event is queued
    SENDING = "sending"  # an attempt is under way (until next_attempt_at: its lease)
    RETRYING = "retrying"  # the last attempt failed; the next one is due at next_attempt_at
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # given up: a 3xx/4xx answer, a forbidden address, or 24 h of failures


class WebhookDelivery(models.Model):
    """The job's callback, stored with the job at submit time: once the job is finished it
    is due, so a delivery cannot be lost between the job's final commit and its sending."""

    job = models.OneToOneField(
        ReportJob, on_delete=models.CASCADE, primary_key=True, related_name="webhook"
    )
    url = models.TextField()
    # The job's absolute status URL as the client saw it in its 202 answer: the event's
    # URLs are built from it (the worker has no request to ask).
    status_url = models.TextField()
    state = models.CharField(
        max_length=16, choices=WebhookState.choices, default=WebhookState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # retrying: when the next attempt is due; sending: when the attempt's lease ends.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the message for the next attempt was due to run (its ETA); null: none is queued.
    published_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self) -> str:
        return f"webhook of job {self.job_id} ({self.state})"


class WebhookAttempt(models.Model):
    """One try at delivering a job's event: when, the HTTP status (if any), what failed."""

    job = models.ForeignKey(ReportJob, on_delete=models.CASCADE, related_name="webhook_attempts")
    at = models.DateTimeField()
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"webhook attempt for job {self.job_id} at {self.at:%Y-%m-%d %H:%M:%S}"


class DeletedJob(models.Model):
    """What is left of a job its client deleted: its id and owner, nothing of its data, so
    that deleting it again answers the same (and another key still gets 404)."""

    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=8, choices=JobKind.choices)
    owner = models.CharField(max_length=64, blank=True, default="")
    deleted_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"deleted {self.kind} job {self.id}"


class FileDeletion(models.Model):
    """A stored file whose rows are gone: written in the transaction that deletes them and
    removed once the file is, so a crash in between leaves work to finish, not a file."""

    name = models.CharField(max_length=255, primary_key=True)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.name
