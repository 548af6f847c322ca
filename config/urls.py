from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.negotiation import DefaultContentNegotiation

from reports.api.middleware import ADMIN_PATH

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
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

handler404 = "reports.api.operations.not_found"
handler500 = "reports.api.operations.server_error"
