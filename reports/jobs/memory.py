"""A job's memory ceiling: a job that needs too much fails, its worker does not.

Each Celery pool process gets, as it starts, an ``RLIMIT_DATA`` of what it holds idle plus
``REPORT_JOB_MEMORY_MB``: an allocation past it raises ``MemoryError`` inside the job, which
``reports.tasks.run_job`` turns into the job's FAILURE (Celery itself treats a task's
``MemoryError`` as fatal to the whole worker). ``RLIMIT_DATA`` rather than ``RLIMIT_AS``:
it counts the private writable memory a job allocates (heap, Python's arenas, big
buffers), not shared libraries nor the address space glibc reserves, unused, for each
thread's malloc arena (64 MiB per thread), so a thread (the heartbeat) or a library mapping
a file does not eat the job's budget. Relative to the idle process, so the setting is the
job's own memory, whatever the imported code weighs on a platform.

Pool processes also volunteer to the kernel's OOM killer (``oom_score_adj``): when the
machine itself runs out, it kills a job's process, which the worker replaces, rather than
the worker's main process, the web server or the database.
"""

from __future__ import annotations

import contextlib
import logging
import resource
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# 1000 is "always first"; 800 leaves room for something an operator wants killed sooner.
OOM_SCORE_ADJ = 800


def pool_process_limit() -> int:
    """Set this process's ceiling (a pool process, as it starts); the limit in bytes."""
    baseline = _data_size()
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = baseline + (settings.REPORT_JOB_MEMORY_MB << 20)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    with contextlib.suppress(OSError):  # not Linux, or a /proc that refuses: no preference
        Path("/proc/self/oom_score_adj").write_text(f"{OOM_SCORE_ADJ}\n")
    return limit


def _data_size() -> int:
    """VmData, in bytes: what RLIMIT_DATA counts (0 where /proc does not say)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmData:"):
            return int(line.split()[1]) << 10
    return 0


def out_of_memory_message() -> str:
    return (
        f"The report needs more than {settings.REPORT_JOB_MEMORY_MB} MB of memory, the "
        "limit per job (REPORT_JOB_MEMORY_MB): split the request into smaller ones."
    )


def after_out_of_memory() -> None:
    """Before the job's FAILURE is written: a MemoryError may have struck inside the
    database driver, so its connection starts afresh (the next job reconnects)."""
    with contextlib.suppress(DatabaseError):
        connection.close()
