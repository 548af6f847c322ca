from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.negotiation import DefaultContentNegotiation

urlpatterns = [
    path("admin/", admin.site.urls),
    # The schema picks YAML or JSON by Accept (or ?format=): DRF's own negotiation, not the
    # JSON-only default of our API views.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(content_negotiation_class=DefaultContentNegotiation),
        name="schema",
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("reports.urls")),
]

handler404 = "reports.apis.not_found"
handler500 = "reports.apis.server_error"
