from django.urls import path

from reports.api import jobs, ops, page, report_data, report_file

urlpatterns = [
    path("", page.index, name="index"),
    path("assignment/html", jobs.HtmlCreateApi.as_view(), name="html-create"),
    path("assignment/pdf", jobs.PdfCreateApi.as_view(), name="pdf-create"),
    path("assignment/html/<str:task_id>", jobs.HtmlDetailApi.as_view(), name="html-detail"),
    path("assignment/pdf/<str:task_id>", jobs.PdfDetailApi.as_view(), name="pdf-detail"),
    path(
        "assignment/<str:kind>/<str:task_id>/report",
        report_file.ReportFileApi.as_view(),
        name="report-file",
    ),
    path(
        "assignment/<str:kind>/<str:task_id>/data",
        report_data.ReportDataApi.as_view(),
        name="report-data",
    ),
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
]
