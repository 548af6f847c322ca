"""The web page at ``/``: served with its own strict CSP, and driven end to end in a real
headless Chromium against the real stack (gunicorn, a Celery worker, PostgreSQL, Redis)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.stack import ROOT, Stack
from tests.test_inputs_same import as_progsnap2

pytestmark = pytest.mark.slow  # make test-fast leaves it out (pyproject.toml)

# The docs' screenshot is refreshed only on request (REPORT_SAVE_SCREENSHOTS=1), so a
# test run never leaves the checkout modified.
SCREENSHOT = ROOT / "docs" / "web-page.png"


# --- The page as Django serves it ----------------------------------------------------------


def test_page_has_a_strict_csp_and_no_inline_code(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    csp = response["Content-Security-Policy"]
    for directive in ("script-src 'self'", "style-src 'self'", "connect-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    html = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from elsewhere
    assert 'data-html-url="/assignment/html"' in html


def test_page_offers_a_time_zone_and_the_data_of_a_finished_job(client) -> None:
    html = client.get("/").content.decode()
    assert '<input type="text" id="timezone"' in html
    assert 'id="data-json"' in html and 'id="data-csv"' in html
    script = client.get("/static/reports/app.js")
    code = b"".join(script.streaming_content if script.streaming else [script.content])
    assert b'query.set("timezone", zone)' in code
    assert b'job.status_url + "/data"' in code


def test_page_offers_the_reports_language_and_the_events_format(client) -> None:
    html = client.get("/").content.decode()
    languages = re.findall(r'<option value="(\w+)" lang="(\w+)">([^<]+)</option>', html)
    assert [(code, name) for code, same, name in languages if code == same] == [
        ("en", "English"),
        ("de", "Deutsch"),
        ("es", "Español"),
        ("hi", "हिन्दी"),
    ]
    formats = re.findall(
        r'<option value="(\w+)">', html.split('id="input"')[1].split("</select>")[0]
    )
    assert formats == ["json", "xapi", "caliper", "progsnap2"]
    script = client.get("/static/reports/app.js")
    code = b"".join(script.streaming_content if script.streaming else [script.content])
    assert b'query.set("language", language)' in code
    assert b'query.set("input", input)' in code


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/static/reports/app.js", "text/javascript"), ("/static/reports/app.css", "text/css")],
)
def test_static_files_are_served_without_collectstatic(client, path, content_type) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)


# --- In a real browser, against the real stack ----------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("REPORT_REQUIRE_INTEGRATION"):
            pytest.fail(message + " (REPORT_REQUIRE_INTEGRATION is set: no skipping)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def class_list(students: int, events: int) -> list[dict]:
    return [
        {
            "namespace": "ns_class",
            "student_id": f"student-{i:02d}",
            "events": [
                {
                    "type": ("saved_code", "run", "submission")[k % 3],
                    "created_time": f"2024-07-21T{k // 60 % 24:02d}:{k % 60:02d}:00Z",
                    "unit": k % 7 + 1,
                }
                for k in range(events)
            ],
        }
        for i in range(students)
    ]


@pytest.mark.integration
def test_web_page_end_to_end(stack: Stack, browser) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1180, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        response = page.goto(f"{stack.base_url}/")
        assert response is not None and response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]

        # The seed's sample, as HTML: one click loads it, the job runs to SUCCESS.
        page.click("#load-sample")
        assert "00a9a76518624b02b0ed57263606fc26" in page.input_value("#events")
        page.fill("#timezone", "Asia/Kolkata")
        page.click("#submit")
        expect(page.locator("#job-status")).to_have_text("SUCCESS", timeout=30_000)
        expect(page.locator("#progress-text")).to_have_text("Report ready")
        assert page.eval_on_selector("#progress", "p => p.value / p.max") == 1
        with context.expect_page() as opened:
            page.click("#open-report")
        report = opened.value
        report.wait_for_load_state()
        assert "Event Order: Q1" in report.inner_text("body")
        assert "Student ID: 00a9a76518624b02b0ed57263606fc26" in report.inner_text("body")
        assert "All times are in the time zone Asia/Kolkata." in report.inner_text("body")
        report.close()
        # The figures as data, linked from the finished job.
        data_url = page.get_attribute("#data-json", "href") or ""
        assert data_url.endswith("/data")
        assert (page.get_attribute("#data-csv", "href") or "").endswith("/data?format=csv")
        data = page.request.get(data_url)
        assert data.ok and data.json()["timezone"] == "Asia/Kolkata"
        page.fill("#timezone", "")

        # Invalid input: the server's errors are shown by path.
        page.fill("#events", json.dumps({"namespace": "n", "student_id": "s", "events": [{}]}))
        page.click("#submit")
        expect(page.locator("#error")).to_be_visible()
        expect(page.locator("#error-message")).to_have_text("The request body is invalid.")
        expect(page.locator("#error-list")).to_contain_text("events[0].created_time")
        expect(page.locator("#job")).to_be_hidden()  # the previous job's panel is gone

        # A ProgSnap2 table uploaded as it is, the report in Hindi: what was ignored is said.
        table = Path(stack.tmp) / "MainTable.csv"
        table.write_bytes(as_progsnap2())
        page.set_input_files("#file", str(table))
        assert page.input_value("#input") == "progsnap2"  # chosen from the file's name
        page.select_option("#language", "hi")
        page.click("#submit")
        expect(page.locator("#job-kind")).to_have_text("HTML · ProgSnap2 input")
        expect(page.locator("#job-status")).to_have_text("SUCCESS", timeout=30_000)
        with context.expect_page() as opened:
            page.click("#open-report")
        report = opened.value
        report.wait_for_load_state()
        assert report.evaluate("document.documentElement.lang") == "hi"
        assert "EventType Session.Start (1)" in report.inner_text("body")
        report.close()
        page.select_option("#language", "en")
        page.select_option("#input", "json")

        # A class list as PDF: progress done/total shows while it runs, then the download.
        # (Large enough to run for a second or more: a read of a job that finishes before
        # the page's first poll answers with the report at once, as it should.)
        page.eval_on_selector(
            "#progress-text",
            """node => {
                window.seen = [];
                new MutationObserver(() => window.seen.push(node.textContent))
                    .observe(node, {childList: true, characterData: true, subtree: true});
            }""",
        )
        page.fill("#events", json.dumps(class_list(students=100, events=150)))
        page.check("input[name=format][value=pdf]")
        page.click("#submit")
        expect(page.locator("#job-kind")).to_have_text("PDF · 100 students")
        expect(page.locator("#error")).to_be_hidden()
        expect(page.locator("#job-status")).to_have_text("SUCCESS", timeout=60_000)
        seen = page.evaluate("window.seen")
        assert any(re.fullmatch(r"\d+ of 100 students done · .*", s) for s in seen), seen
        with page.expect_download() as download:
            page.click("#open-report")
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF-")

        # The jobs are listed, newest first, and survive a reload (localStorage).
        page.reload()
        rows = page.locator("#recent tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("PDF")
        expect(rows.nth(0)).to_contain_text("SUCCESS")
        expect(rows.nth(1)).to_contain_text("HTML")
        expect(rows.nth(2)).to_contain_text("HTML")
        page.click("#recent tbody tr:first-child button")
        expect(page.locator("#job-status")).to_have_text("SUCCESS")

        page.click("#load-sample")
        shot = page.screenshot(full_page=True)
        assert shot.startswith(b"\x89PNG") and len(shot) < 300_000
        if os.environ.get("REPORT_SAVE_SCREENSHOTS"):
            SCREENSHOT.write_bytes(shot)
        # No CSP violation, no script error, no missing file; the 400 above is expected.
        assert [p for p in problems if "status of 400" not in p] == []
    finally:
        context.close()
