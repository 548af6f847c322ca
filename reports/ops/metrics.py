"""Prometheus metrics. HTTP metrics come from django-prometheus's middlewares; job metrics
are computed from the ReportJob rows at scrape time, so they are right whichever process
(gunicorn worker, Celery worker) did the work, and no state is shared between processes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from reports.models import FINISHED_STATUSES, JobKind, JobStatus, ReportJob

logger = logging.getLogger(__name__)

DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
QUEUED = (JobStatus.PENDING, JobStatus.RETRY)


class JobCollector(Collector):
    """Job counts and durations, read from the database on each scrape (a few GROUP BYs)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "report_jobs_metrics_up", "1 if the job metrics could be read from the database."
        )
        try:
            families = list(self._families())
        except Exception as exc:  # a scrape must answer even when the database does not
            logger.warning("job metrics unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        submitted = CounterMetricFamily(
            "report_jobs_submitted", "Jobs accepted by the API.", labels=["kind"]
        )
        for row in ReportJob.objects.values("kind").annotate(n=Count("id")).order_by("kind"):
            submitted.add_metric([row["kind"]], row["n"])
        yield submitted

        finished = CounterMetricFamily(
            "report_jobs_finished", "Jobs that ended, by outcome.", labels=["kind", "outcome"]
        )
        queue = GaugeMetricFamily(
            "report_jobs_queue_depth",
            "Jobs waiting for a worker (PENDING or RETRY).",
            labels=["kind"],
        )
        running = GaugeMetricFamily(
            "report_jobs_running", "Jobs being built (STARTED).", labels=["kind"]
        )
        counts: dict[tuple[str, str], int] = {}
        for row in ReportJob.objects.values("kind", "status").annotate(n=Count("id")):
            counts[(row["kind"], row["status"])] = row["n"]
        for kind in JobKind.values:
            for outcome in FINISHED_STATUSES:
                finished.add_metric([kind, outcome], counts.get((kind, outcome), 0))
            queue.add_metric([kind], sum(counts.get((kind, s), 0) for s in QUEUED))
            running.add_metric([kind], counts.get((kind, JobStatus.STARTED), 0))
        yield finished
        yield queue
        yield running

        duration = HistogramMetricFamily(
            "report_job_duration_seconds",
            "Time from a job's (last) start to its end, by outcome.",
            labels=["kind", "outcome"],
        )
        span = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
        aggregates = {
            f"le_{i}": Count("id", filter=Q(span__lte=timedelta(seconds=bound)))
            for i, bound in enumerate(DURATION_BUCKETS)
        }
        rows = (
            ReportJob.objects.filter(
                status__in=FINISHED_STATUSES, started_at__isnull=False, finished_at__isnull=False
            )
            .annotate(span=span)
            .values("kind", "status")
            .annotate(total=Count("id"), seconds=Sum("span"), **aggregates)
            .order_by("kind", "status")
        )
        for group in rows:
            # The le_<i> keys come from **aggregates, which the row's TypedDict cannot name.
            counted: Mapping[str, Any] = group
            buckets = [(str(b), counted[f"le_{i}"]) for i, b in enumerate(DURATION_BUCKETS)]
            buckets.append(("+Inf", group["total"]))
            total = group["seconds"] or timedelta(0)
            duration.add_metric([group["kind"], group["status"]], buckets, total.total_seconds())
        yield duration


_jobs_registry = CollectorRegistry(auto_describe=False)
_jobs_registry.register(JobCollector())


def _http_registry() -> CollectorRegistry:
    # Under gunicorn each worker process counts its own requests; `config.serve web` sets
    # PROMETHEUS_MULTIPROC_DIR so that every worker's counts are added up here.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_response(request: HttpRequest) -> HttpResponse:
    body = generate_latest(_http_registry()) + generate_latest(_jobs_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
