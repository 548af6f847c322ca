"""The attention rules' thresholds from the environment: ``REPORT_ATTENTION_<FIELD>``
for each field of ``reports.report.attention.AttentionRules`` (docs/configuration.md)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env_float
from reports.report.attention import AttentionRules, attention_rules

DEFAULTS = AttentionRules()


def attention_settings() -> AttentionRules:
    """Each variable unset: its default; out of its range: ImproperlyConfigured naming it."""
    values = {
        "struggling_percentile": env_float(
            "REPORT_ATTENTION_STRUGGLING_PERCENTILE", DEFAULTS.struggling_percentile
        ),
        "struggling_minutes": env_float(
            "REPORT_ATTENTION_STRUGGLING_MINUTES", DEFAULTS.struggling_minutes
        ),
        "struggling_floor_minutes": env_float(
            "REPORT_ATTENTION_STRUGGLING_FLOOR_MINUTES", DEFAULTS.struggling_floor_minutes
        ),
        "stuck_runs": env_float("REPORT_ATTENTION_STUCK_RUNS", DEFAULTS.stuck_runs),
        "stuck_errors": env_float("REPORT_ATTENTION_STUCK_ERRORS", DEFAULTS.stuck_errors),
        "submitted_share": env_float("REPORT_ATTENTION_SUBMITTED_SHARE", DEFAULTS.submitted_share),
        "late_burst_share": env_float(
            "REPORT_ATTENTION_LATE_BURST_SHARE", DEFAULTS.late_burst_share
        ),
        "late_burst_minutes": env_float(
            "REPORT_ATTENTION_LATE_BURST_MINUTES", DEFAULTS.late_burst_minutes
        ),
        "long_gap_minutes": env_float(
            "REPORT_ATTENTION_LONG_GAP_MINUTES", DEFAULTS.long_gap_minutes
        ),
    }
    try:
        return attention_rules(values)
    except ValueError as exc:
        field, _, rule = str(exc).partition(": ")
        raise ImproperlyConfigured(f"REPORT_ATTENTION_{field.upper()} {rule}") from None
