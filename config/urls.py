from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("reports.urls")),
]

handler404 = "reports.apis.not_found"
handler500 = "reports.apis.server_error"
