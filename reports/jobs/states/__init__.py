"""The job's state machine: every statement that moves a job from one status to another.

Statuses are ``JobStatus`` values bound as parameters, never text in the SQL. The insert,
the claim and the finish are hot (docs/performance.md) and stay raw SQL, one round trip
each, in ``sql.py`` with what differs between PostgreSQL and SQLite (and ``reports.jobs.db``
below it); the others use the ORM, in ``transitions.py``. Callers use this package's names.

A claim increments the job's ``fence``: only the run holding the current value may store
its report or end the job. A STARTED job is taken over only when its holder is gone: its
lease ran out (a run renews it every heartbeat: ``reports.jobs.heartbeat``), the run gave
it up (``released``: a retry), or its worker saw its pool process die (``job_release``).
A takeover from a run that did not give the job up counts a crash; ``give_up_reason`` is
the one rule that ends a job instead of running it again.

Transitions: from → to; called by; the guarantee it serves and its test (docs/guarantees.md;
test names without a file are in tests/test_jobs.py, ``faults`` is tests/test_faults.py).

- ``job_insert``: (new) → PENDING, with its input; submit.job_create (the POST). A 202
  means committed: test_api.py::test_post_stores_the_job_and_publishes_only_after_commit.
- ``job_claim``: PENDING, RETRY, or STARTED with its lease out or ``released`` → STARTED,
  fence + 1; run.job_run. Every claim is fenced:
  test_a_running_job_is_not_taken_over_while_its_lease_holds,
  test_a_duplicate_delivery_of_a_finished_job_does_nothing.
- ``job_heartbeat``: STARTED → STARTED, lease renewed (fenced); the run's heartbeat thread.
  A dead worker's job runs again within seconds:
  test_a_stale_runs_heartbeat_does_not_extend_the_newer_runs_lease,
  faults::test_sigkill_of_the_whole_worker_mid_job_is_recovered_by_a_new_worker_within_30_s.
- ``job_release``: STARTED → STARTED, lease ended now; tasks.JobRequest. A pool process
  that dies mid-job: faults::test_sigkill_of_the_pool_child_mid_job_redelivers_it,
  test_a_dead_holder_is_released_only_by_its_own_name.
- ``job_progress``: STARTED → STARTED, students done (fenced); run.job_build.
- ``job_finish``: STARTED (fence) → SUCCESS with the report row; run.report_store. A slow
  run cannot overwrite a newer one:
  test_a_stale_run_cannot_store_over_the_run_that_took_the_job_over,
  faults::test_a_run_that_outlives_its_lease_cannot_overwrite_the_run_that_took_over.
- ``job_fail``: PENDING, STARTED, RETRY (fence or holder) → FAILURE; run (bad input),
  tasks (time limit, memory). Every claim is fenced: test_failing_is_fenced_by_holder; a
  job's memory has a ceiling:
  faults::test_a_job_over_its_memory_ceiling_fails_and_its_worker_carries_on.
- ``job_mark_retry``: STARTED (fence) → RETRY; tasks (a TransientError). PostgreSQL going
  away mid-job: faults::test_postgres_stopped_while_a_job_runs_is_retried_with_backoff_not_swept,
  test_retry_is_recorded_only_for_the_holding_run.
- ``job_end_if_exhausted``: PENDING, RETRY, STARTED (holder gone) → FAILURE; job_claim,
  sweep. A job cannot loop forever: test_a_job_out_of_attempts_ends_as_failure; a job
  that kills its worker is quarantined:
  test_a_job_whose_runs_keep_dying_is_quarantined_after_max_crashes,
  faults::test_a_job_that_keeps_killing_its_worker_is_quarantined_after_max_crashes.
- ``jobs_lost`` (a read): PENDING, RETRY published long ago or never, STARTED with its
  lease out; sweep.jobs_sweep publishes them again or ends them. A lost message is
  published again: faults::test_flushall_while_jobs_are_queued_loses_nothing,
  test_the_sweeper_ends_a_quarantined_job_instead_of_publishing_it.
- ``jobs_restart``: FAILURE → PENDING (attempts 0, the fence keeps counting);
  sweep.jobs_rerun (the admin's action; no guarantee of its own):
  test_operations.py::test_admin_action_reruns_only_failed_jobs_and_publishes_after_commit.
- ``jobs_lock_for_erase``: any (retention: SUCCESS, FAILURE, picked by ``jobs_expired``)
  → erased; erase.jobs_erase. Deleted means gone: tests/test_erase.py.
"""

from reports.jobs.states.sql import JOB_CHANNEL, job_announce, job_finish, job_insert
from reports.jobs.states.transitions import (
    MISSED_BEATS,
    Claim,
    give_up_reason,
    job_claim,
    job_end_if_exhausted,
    job_fail,
    job_heartbeat,
    job_mark_retry,
    job_progress,
    job_release,
    jobs_expired,
    jobs_lock_for_erase,
    jobs_lost,
    jobs_restart,
    lease,
)

__all__ = [
    "JOB_CHANNEL",
    "MISSED_BEATS",
    "Claim",
    "give_up_reason",
    "job_announce",
    "job_claim",
    "job_end_if_exhausted",
    "job_fail",
    "job_finish",
    "job_heartbeat",
    "job_insert",
    "job_mark_retry",
    "job_progress",
    "job_release",
    "jobs_expired",
    "jobs_lock_for_erase",
    "jobs_lost",
    "jobs_restart",
    "lease",
]
