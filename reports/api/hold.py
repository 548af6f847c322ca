"""What a status view and the event-loop front (``front.py``) tell each other, through
the WSGI environ (``request.META``): the front says it can hold a request without a
thread; the view answers an unfinished job at once and says how long the answer may be
held for the job to finish.

Without the front (Django's test client, a plain WSGI server) there is no ``FRONT`` key
and the view waits in its thread, as a WSGI view must.

The create view also tells the front which job it created (``CREATED``), so that the
first plain read of that job on this process waits for it before reading (``waits.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

FRONT = "reports.front"  # present when the front can hold answers
HOLD = "reports.hold"  # a Hold, set by the view
CREATED = "reports.created"  # (job id, its status URL's path, owner), by the create view


@dataclass(frozen=True, slots=True)
class Hold:
    job_id: str
    owner: str  # the API key's owner ("" without keys): the per-key cap counts by it
    seconds: float  # from read_at
    explicit: bool  # ?wait= asked for it (else the server's brief hold of a plain read)
    read_at: float  # time.monotonic() just before the job's row was read
