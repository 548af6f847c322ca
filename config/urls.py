from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponseBase
from django.urls import include, path
from django.views import View
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.negotiation import DefaultContentNegotiation

from reports.api.middleware import ADMIN_PATH


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI. OPTIONS answers as Django's plain views do (200, ``Allow``, no body):
    DRF's would describe the view through the page's HTML renderer, which has no template
    for that (a 500 and a logged traceback per request). Its template is ours: the vendored
    one with a language, a main landmark and colours that pass WCAG AA (tests/test_axe.py)."""

    template_name = "reports/swagger_ui.html"

    def options(  # type: ignore[override]  # Django's plain answer: DRF's Response would be rendered
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        return View.options(self, request, *args, **kwargs)


urlpatterns = [
    # The job endpoints first: every request is matched against the list in order.
    path("", include("reports.urls")),
    path(ADMIN_PATH, admin.site.urls),
    # The schema picks YAML or JSON by Accept (or ?format=): DRF's own negotiation, not the
    # JSON-only default of our API views.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(content_negotiation_class=DefaultContentNegotiation),
        name="schema",
    ),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

handler404 = "reports.api.ops.not_found"
handler500 = "reports.api.ops.server_error"
