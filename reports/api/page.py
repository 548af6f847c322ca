"""The web page: a form that talks to the JSON API from the browser. Nothing else here."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reports.report.languages import LANGUAGES

# The page runs only its own static script and stylesheet and talks only to this origin.
PAGE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    languages = [{"code": code, "name": name} for code, name in LANGUAGES.items()]
    response = render(request, "reports/index.html", {"languages": languages})
    response["Content-Security-Policy"] = PAGE_CONTENT_SECURITY_POLICY
    return response
