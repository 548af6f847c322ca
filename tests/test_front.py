"""The event-loop front (reports/api/front.py) on real gunicorn and PostgreSQL: slow clients
and waiting reads hold no thread, the hold answers when the job finishes, the per-key cap.

The web server here has one process with two threads, so anything that held a thread per
connection or per wait would starve the other requests these tests make meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.slow import finish_jobs, pending_jobs
from tests.conftest import make_stack
from tests.stack import HttpResult, Stack

pytestmark = pytest.mark.integration

THREADS = 2
HOLD = 3.0  # REPORT_STATUS_HOLD here: long enough to tell "held" from "answered at once"
CAP = 24  # REPORT_MAX_WAITS_PER_KEY here
HEADER_TIMEOUT = 3.0  # WEB_HEADER_TIMEOUT here


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The web server alone (no worker: jobs finish only when a test finishes them)."""
    s = make_stack(
        tmp_path_factory.mktemp("front"),
        WEB_CONCURRENCY="1",
        WEB_THREADS=str(THREADS),
        REPORT_STATUS_HOLD=str(HOLD),
        REPORT_MAX_WAITS_PER_KEY=str(CAP),
        REPORT_BODY_TIMEOUT="1",
        WEB_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
    )
    try:
        s.start("web")
        yield s
    finally:
        s.stop_all()
        s.drop_database()


def finish(stack: Stack, task_id: str, message: str = "finished by the test") -> None:
    """What a worker's last step does: the final status and the announcement, committed."""
    finish_jobs(stack.database_url, [task_id], message)


def timed_get(stack: Stack, path: str) -> tuple[HttpResult, float]:
    started = time.monotonic()
    result = stack.get(path)
    return result, time.monotonic() - started


def new_job(stack: Stack, sample: dict) -> str:
    posted = stack.post("html", sample)
    assert posted.status == 202, posted.body
    return posted.json()["task_id"]


def pending_job(stack: Stack) -> str:
    """A job that no request of this web process created (as if posted through another
    process) and that cannot finish unless a test finishes it: a PENDING row, unpublished."""
    [task_id] = pending_jobs(stack.database_url, 1)
    return task_id


def get_passes(stack: Stack) -> float:
    """GET requests Django has handled (the metrics middleware counts each pass)."""
    for line in stack.get("/metrics").body.decode().splitlines():
        if line.startswith('django_http_requests_total_by_method_total{method="GET"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# --- the hold of a plain status read ------------------------------------------------------


def test_a_pending_read_is_answered_when_the_job_finishes_not_after_the_hold(
    web: Stack,
) -> None:
    answered_on_finish(web, pending_job(web))


def answered_on_finish(stack: Stack, task_id: str) -> None:
    """A plain read of the unfinished job, finished 0.5 s later: answered then, not at the
    end of the hold."""
    timer = threading.Timer(0.5, finish, (stack, task_id))
    timer.start()
    result, elapsed = timed_get(stack, f"/assignment/html/{task_id}")
    timer.join()
    assert result.status == 200 and result.json()["message"] == "finished by the test"
    assert 0.45 <= elapsed < HOLD - 1, elapsed


def test_a_pending_read_that_stays_pending_is_answered_at_the_end_of_the_hold(
    web: Stack,
) -> None:
    task_id = pending_job(web)
    result, elapsed = timed_get(web, f"/assignment/html/{task_id}")
    assert result.status == 202 and result.json()["status"] == "PENDING"
    assert result.headers["Retry-After"] == "1"
    assert HOLD - 0.1 <= elapsed < HOLD + 2, elapsed


def test_the_first_read_of_a_job_created_here_waits_for_it_and_reads_it_once(
    web: Stack, sample: dict
) -> None:
    task_id = new_job(web, sample)
    before = get_passes(web)
    answered_on_finish(web, task_id)
    # One pass of the status read, and the /metrics read of before: no read found it pending.
    assert get_passes(web) - before == 2
    # Unfinished: answered once, at the end of one hold (not a second one after it).
    task_id = new_job(web, sample)
    result, elapsed = timed_get(web, f"/assignment/html/{task_id}")
    assert result.status == 202 and HOLD - 0.1 <= elapsed < HOLD + 1.5, elapsed


def test_a_finished_job_is_never_held(web: Stack, sample: dict) -> None:
    task_id = new_job(web, sample)
    finish(web, task_id)
    for path, code in (
        (f"/assignment/html/{task_id}", 200),
        (f"/assignment/html/{task_id}/data", 409),
    ):
        result, elapsed = timed_get(web, path)
        assert result.status == code, result.body
        assert elapsed < 1.0, (path, elapsed)
    unknown, elapsed = timed_get(web, "/assignment/html/00000000-0000-0000-0000-000000000000")
    assert unknown.status == 404 and elapsed < 1.0


# --- long polls: more than the threads, the per-key cap -----------------------------------


def test_more_long_polls_than_threads_are_all_answered_and_others_are_served(
    web: Stack, sample: dict
) -> None:
    jobs = [new_job(web, sample) for _ in range(CAP)]
    with ThreadPoolExecutor(CAP + 4) as pool:
        polls = [pool.submit(timed_get, web, f"/assignment/html/{j}?wait=20") for j in jobs]
        # The cap: once every poll is open, one more ?wait= on this key is refused.
        extra = new_job(web, sample)
        refused = _until_refused(web, f"/assignment/html/{extra}?wait=0.1")
        # Every wait is open (12 times the threads); the server still answers at once.
        for _ in range(5):
            health, elapsed = timed_get(web, "/healthz")
            assert health.status == 200 and elapsed < 1.0, elapsed
        assert refused.json()["status"] == "BUSY" and refused.headers["Retry-After"] == "1"
        plain, elapsed = timed_get(web, f"/assignment/html/{extra}")  # answered unheld
        assert plain.status == 202 and elapsed < 1.0, elapsed
        assert not any(p.done() for p in polls)
        for job in jobs:
            finish(web, job)
        finished_at = time.monotonic()
        for poll in polls:
            result, _ = poll.result(timeout=15)
            assert result.status == 200 and result.json()["status"] == "FAILURE"
        assert time.monotonic() - finished_at < 5


def _until_refused(stack: Stack, path: str, timeout: float = 15) -> HttpResult:
    """Ask with a short ?wait= until the cap refuses it: then every other wait is open."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = stack.get(path)
        if result.status == 429:
            return result
        assert result.status == 202, result.body
    raise AssertionError("the long polls did not open")


def test_a_wait_survives_the_listener_losing_its_connection(web: Stack) -> None:
    """An announcement sent while the listener is away is lost: when it listens again it
    wakes every waiting request, which reads its job again (no periodic re-reads)."""
    task_id = pending_job(web)
    with ThreadPoolExecutor(1) as pool:
        poll = pool.submit(timed_get, web, f"/assignment/html/{task_id}?wait=20")
        time.sleep(0.5)
        [(cut,)] = web.sql(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity"
            " where datname = current_database() and query like 'LISTEN%%'"
        )
        assert cut >= 1
        finish(web, task_id)  # announced to nobody
        result, elapsed = poll.result(timeout=25)
    assert result.status == 200 and result.json()["status"] == "FAILURE"
    assert elapsed < 6, elapsed


# --- slow clients ---------------------------------------------------------------------------


@contextlib.contextmanager
def slow_clients(port: int, count: int, *, body: bool) -> Iterator[list[socket.socket]]:
    """``count`` loopback connections that send a request's first bytes and then trickle:
    one more header line (or body byte) every half second, never finishing."""
    sockets: list[socket.socket] = []
    stop = threading.Event()
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if body:
                sock.sendall(
                    b"POST /assignment/html HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
                )
            else:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            sockets.append(sock)

        def trickle() -> None:
            n = 0
            while not stop.wait(0.5):
                n += 1
                for sock in sockets:
                    with contextlib.suppress(OSError):
                        sock.sendall(b" " if body else f"X-Slow-{n}: 1\r\n".encode())

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        yield sockets
    finally:
        stop.set()
        for sock in sockets:
            sock.close()


@pytest.mark.parametrize("body", [False, True], ids=["slow headers", "slow body"])
def test_slow_clients_hold_no_thread(web: Stack, sample: dict, body: bool) -> None:
    with slow_clients(web.port, 100, body=body):
        time.sleep(1.0)
        for _ in range(10):
            health, elapsed = timed_get(web, "/healthz")
            assert health.status == 200 and elapsed < 1.0, elapsed
        task_id = new_job(web, sample)
        finish(web, task_id)
        result, elapsed = timed_get(web, f"/assignment/html/{task_id}")
        assert result.status == 200 and elapsed < 1.0


def test_a_body_that_does_not_arrive_in_time_is_408(web: Stack) -> None:
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(
            b"POST /assignment/html HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        started = time.monotonic()
        answer = _read_answer(sock)
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"status":"TIMEOUT"' in answer
    assert 0.9 <= elapsed < 4, elapsed


def _read_answer(sock: socket.socket) -> bytes:
    data = b""
    with contextlib.suppress(TimeoutError, OSError):
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def test_headers_that_do_not_arrive_in_time_close_the_connection(web: Stack) -> None:
    """A client trickling header lines is cut off WEB_HEADER_TIMEOUT after its first byte,
    on a new connection and on a kept-alive one (the second request's own deadline)."""
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        closed = _trickle_until_closed(sock)
        assert closed is not None, "the connection stayed open"
        assert HEADER_TIMEOUT - 0.2 <= closed, closed
    # (gunicorn's keep-alive timer, 2 s, may close a kept-alive one sooner)
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert _trickle_until_closed(sock) is not None, "the kept-alive connection stayed open"


def _trickle_until_closed(sock: socket.socket) -> float | None:
    """Send a request line and then a header line every 0.25 s; the seconds until the
    server closed the connection (at most WEB_HEADER_TIMEOUT and a margin), or None."""
    started = time.monotonic()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    sock.settimeout(0.25)
    for n in range(int(HEADER_TIMEOUT * 4) + 12):
        try:
            sock.sendall(f"X-Slow-{n}: 1\r\n".encode())
            if sock.recv(1) == b"":
                break
        except TimeoutError:
            continue
        except OSError:
            break
    else:
        return None
    elapsed = time.monotonic() - started
    assert elapsed < HEADER_TIMEOUT + 2, elapsed
    return elapsed


def test_a_chunked_body_and_a_head_request_are_served(web: Stack, sample: dict) -> None:
    """A body without a Content-Length (chunked) is read whole before Django sees it; a
    HEAD answer has the GET's headers and no body."""
    body = json.dumps(sample).encode()
    chunked = (
        b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 40]), body[i : i + 40])
            for i in range(0, len(body), 40)
        )
        + b"0\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(
            b"POST /assignment/html HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked
        )
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 202"), answer[:300]
    assert b'"status":"PENDING"' in answer
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as sock:
        sock.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head = b""
        while chunk := sock.recv(65536):
            head += chunk
    status, _, rest = head.partition(b"\r\n")
    assert status == b"HTTP/1.1 200 OK", head
    assert rest.endswith(b"\r\n\r\n"), head  # headers only
