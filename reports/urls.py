from django.urls import path

from reports.api import apis, data, operations, views

urlpatterns = [
    path("", views.index, name="index"),
    path("assignment/html", apis.HtmlCreateApi.as_view(), name="html-create"),
    path("assignment/pdf", apis.PdfCreateApi.as_view(), name="pdf-create"),
    path("assignment/html/<str:task_id>", apis.HtmlDetailApi.as_view(), name="html-detail"),
    path("assignment/pdf/<str:task_id>", apis.PdfDetailApi.as_view(), name="pdf-detail"),
    path(
        "assignment/<str:kind>/<str:task_id>/report",
        apis.ReportFileApi.as_view(),
        name="report-file",
    ),
    path(
        "assignment/<str:kind>/<str:task_id>/data",
        data.ReportDataApi.as_view(),
        name="report-data",
    ),
    path("healthz", operations.healthz, name="healthz"),
    path("readyz", operations.readyz, name="readyz"),
    path("metrics", operations.metrics, name="metrics"),
]
