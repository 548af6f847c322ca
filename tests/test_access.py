"""With API keys configured, every URL the service defines needs one, except the public
paths that docs/api.md lists (and says why): a new endpoint cannot be left open by accident."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

ROOT = Path(__file__).resolve().parent.parent
KEY = "access-key-" + "a" * 24
METRICS_TOKEN = "scraper-token-" + "m" * 24

# Values for the parts of a pattern, by name first, then by converter.
BY_NAME = {"kind": "html", "task_id": str(uuid.uuid4()), "app_label": "reports", "url": "nope/"}
BY_CONVERTER = {"str": "1", "int": "1", "path": "1", "slug": "1", "uuid": str(uuid.uuid4())}


def documented_public_paths() -> tuple[set[str], tuple[str, ...]]:
    """The first column of the table under "### Public paths" in docs/api.md: exact paths,
    and prefixes (written with a trailing ``*``)."""
    text = (ROOT / "docs" / "api.md").read_text()
    section = text.split("### Public paths", 1)[1].split("\n#", 1)[0]
    exact: set[str] = set()
    prefixes: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `"):
            for path in re.findall(r"`([^`]+)`", line.split("|")[1]):
                if path.endswith("*"):
                    prefixes.append(path[:-1])
                else:
                    exact.add(path)
    assert exact and prefixes, "docs/api.md has no 'Public paths' table"
    return exact, tuple(prefixes)


def _sample(pattern: Any) -> str | None:
    """A concrete piece of path that this pattern matches, or None if unknown how."""
    if isinstance(pattern, RoutePattern):
        unknown = []

        def part(match: re.Match[str]) -> str:
            converter, name = match.group(1) or "str", match.group(2)
            value = BY_NAME.get(name, BY_CONVERTER.get(converter))
            if value is None:
                unknown.append(name)
            return value or ""

        text = re.sub(r"<(?:(\w+):)?(\w+)>", part, str(pattern))
        return None if unknown else text
    if isinstance(pattern, RegexPattern):
        text = re.sub(
            r"\(\?P<(\w+)>[^()]*\)", lambda m: BY_NAME.get(m.group(1), "\0"), str(pattern)
        )
        text = text.removeprefix("^").removesuffix("$")
        return None if re.search(r"[\0\\^$.*+?()\[\]{}|]", text) else text
    return None


@dataclass
class Pattern:
    route: str  # the pattern as written, for messages
    path: str | None  # a path that resolves to it; None: the test cannot classify it
    callback: Any


def url_patterns(patterns: Any = None, route: str = "", path: str | None = "") -> Iterator[Pattern]:
    """Every pattern of the URLconf, through includes (admin's, reports.urls)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        sample = _sample(pattern.pattern)
        full = None if path is None or sample is None else path + sample
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, route + str(pattern.pattern), full)
        else:
            yield Pattern(route + str(pattern.pattern), full, pattern.callback)


def classify(pattern: Pattern, exact: set[str], prefixes: tuple[str, ...]) -> str:
    if pattern.path is None:
        return "unknown"
    url = "/" + pattern.path
    try:
        if resolve(url).func is not pattern.callback:
            return "unknown"
    except Resolver404:
        return "unknown"
    if url in exact or url.startswith(prefixes):
        return "public"
    return "key"


@pytest.mark.django_db
@override_settings(REPORT_API_KEYS=[KEY], REPORT_METRICS_TOKEN=METRICS_TOKEN)
def test_every_url_pattern_is_documented_public_or_needs_a_key(client) -> None:
    exact, prefixes = documented_public_paths()
    patterns = list(url_patterns())
    assert len(patterns) > 20  # the admin's and ours: the walk went through the includes
    seen: dict[str, list[str]] = {"public": [], "key": [], "unknown": []}
    for pattern in patterns:
        kind = classify(pattern, exact, prefixes)
        seen[kind].append(pattern.route)
        if kind != "key":
            continue
        url = "/" + (pattern.path or "")
        for method, headers in [
            ("get", {}),
            ("post", {}),
            ("get", {"HTTP_AUTHORIZATION": "Bearer wrong"}),
            ("get", {"HTTP_AUTHORIZATION": f"Basic {KEY}"}),
        ]:
            response = getattr(client, method)(url, **headers)
            assert response.status_code == 401, (
                f"{method.upper()} {url} (pattern {pattern.route!r}) answers "
                f"{response.status_code} without a valid API key: require one, or list it "
                "under 'Public paths' in docs/api.md with the reason"
            )
            assert response["WWW-Authenticate"] == 'Bearer realm="report-task"'
            assert response.json()["status"] == "UNAUTHORIZED"
    assert not seen["unknown"], f"patterns this test cannot classify: {seen['unknown']}"
    assert "metrics" in seen["key"] and "assignment/html" in seen["key"]
    assert "healthz" in seen["public"] and "admin/" in seen["public"]


@pytest.mark.django_db
@override_settings(REPORT_API_KEYS=[KEY])
def test_the_documented_public_paths_answer_without_a_key(client) -> None:
    exact, prefixes = documented_public_paths()
    assert prefixes == ("/static/", "/admin/")
    for url in sorted(exact):
        response = client.get(url)
        assert response.status_code in (200, 503), (url, response.status_code)
    asset = client.get("/static/reports/app.js")
    assert asset.status_code == 200


@pytest.mark.django_db
@override_settings(REPORT_API_KEYS=[KEY])
def test_admin_pages_need_django_staff_login(client, admin_client) -> None:
    exact, prefixes = documented_public_paths()
    admin = [p for p in url_patterns() if p.route.startswith("admin/")]
    assert len(admin) > 10
    for pattern in admin:
        assert classify(pattern, exact, prefixes) == "public"
        url = "/" + (pattern.path or "")
        response = client.get(url)
        if pattern.route == "admin/login/":
            assert response.status_code == 200  # the login form
            continue
        assert response.status_code == 302, (url, response.status_code)
        # To the login form; logging out sends to the index, which sends to the form.
        expected = "/admin/" if pattern.route == "admin/logout/" else "/admin/login/?next="
        assert response["Location"].startswith(expected), (url, response["Location"])
    assert admin_client.get("/admin/reports/reportjob/").status_code == 200


# --- /metrics: an API key, or the scraper's own token -----------------------------------------


def _metrics(client, token: str | None) -> int:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/metrics", **headers).status_code


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("keys", "token", "expected"),
    [
        ([], "", {None: 200, "wrong": 200}),
        ([KEY], "", {None: 401, "wrong": 401, KEY: 200, METRICS_TOKEN: 401}),
        ([KEY], METRICS_TOKEN, {None: 401, "wrong": 401, KEY: 200, METRICS_TOKEN: 200}),
        ([], METRICS_TOKEN, {None: 401, "wrong": 401, KEY: 401, METRICS_TOKEN: 200}),
    ],
)
def test_metrics_needs_an_api_key_or_the_metrics_token(client, keys, token, expected) -> None:
    with override_settings(REPORT_API_KEYS=keys, REPORT_METRICS_TOKEN=token):
        for presented, code in expected.items():
            assert _metrics(client, presented) == code, (keys, token, presented)
        denied = client.get("/metrics")
        if denied.status_code == 401:
            assert denied.json() == {
                "status": "UNAUTHORIZED",
                "message": "An API key is required: send `Authorization: Bearer <key>`.",
            }
            assert denied["WWW-Authenticate"] == 'Bearer realm="report-task"'
            assert denied["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
@override_settings(REPORT_API_KEYS=[KEY], REPORT_METRICS_TOKEN=METRICS_TOKEN)
def test_the_metrics_token_opens_nothing_else(client) -> None:
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {METRICS_TOKEN}"}
    assert client.get(f"/assignment/html/{uuid.uuid4()}", **bearer).status_code == 401
    assert (
        client.post("/assignment/html", b"{}", content_type="application/json", **bearer)
    ).status_code == 401
    key = {"HTTP_AUTHORIZATION": f"Bearer {KEY}"}
    assert client.get(f"/assignment/html/{uuid.uuid4()}", **key).status_code == 404


@pytest.mark.django_db
def test_sessions_csrf_and_users_run_on_admin_pages_and_nowhere_else(django_user_model) -> None:
    """The admin's login keeps its CSRF check and its session; API requests and the web
    page carry no session and no message store (their middleware is skipped there)."""
    from django.test import Client

    django_user_model.objects.create_superuser("boss", "boss@example.org", "pw-123-long")
    browser = Client(enforce_csrf_checks=True)
    form = browser.get("/admin/login/")
    assert hasattr(form.wsgi_request, "session") and hasattr(form.wsgi_request, "user")
    token = form.cookies["csrftoken"].value
    refused = browser.post("/admin/login/", {"username": "boss", "password": "pw-123-long"})
    assert refused.status_code == 403  # no CSRF token
    login = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "boss", "password": "pw-123-long", "csrfmiddlewaretoken": token},
    )
    assert login.status_code == 302 and login["Location"] == "/admin/"
    assert browser.get("/admin/").status_code == 200
    for path in ("/healthz", "/", f"/assignment/html/{uuid.uuid4()}", "/no/such/path"):
        answer = browser.get(path)
        assert not hasattr(answer.wsgi_request, "session"), path
        assert not hasattr(answer.wsgi_request, "_messages"), path
        assert "Set-Cookie" not in answer.headers, path


# --- Every method on every page: never a 500 ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("keys", [[], [KEY]], ids=["open", "with-keys"])
def test_options_and_other_methods_never_answer_5xx_on_any_page(keys) -> None:
    """OPTIONS on every public page answers 200 or 405 (a browser's CORS preflight, a
    scanner), every method on every URL pattern answers something below 500, with API keys
    on or off: a request cannot earn a 500 and a logged traceback by its method."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    exact, _ = documented_public_paths()
    patterns = [p for p in url_patterns() if p.path is not None]
    assert len(patterns) > 20 and any(p.route == "api/docs/" for p in patterns)
    with override_settings(REPORT_API_KEYS=keys):
        for pattern in patterns:
            url = "/" + (pattern.path or "")
            options = client.options(url)
            if url in exact:
                assert options.status_code in (200, 405), (url, options.status_code)
            for method in ("options", "head", "put", "patch", "delete", "trace"):
                response = getattr(client, method)(url)
                assert response.status_code < 500, (method.upper(), url, response.status_code)
