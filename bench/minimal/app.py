"""The minimal service's web side: Django + DRF, three views, no middleware.

``GET /hello`` answers a constant; ``POST /job`` stores the JSON body in one INSERT and
publishes ``minimal.job`` with Celery's ``send_task``; ``GET /job/<id>`` is one indexed
SELECT. What the real service does per request beyond these is its own cost."""

from __future__ import annotations

import json
import uuid

from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.minimal.tasks import app as celery_app

INSERT = "INSERT INTO minimal_job (id, status, body) VALUES (%s, 'PENDING', %s)"
SELECT = "SELECT status FROM minimal_job WHERE id = %s"


class Hello(APIView):
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class JobCreate(APIView):
    def post(self, request: Request) -> Response:
        job_id = str(uuid.uuid4())
        body = json.dumps(request.data).encode()
        with connection.cursor() as cursor:
            cursor.execute(INSERT, [job_id, body])
        celery_app.send_task("minimal.job", args=[job_id])
        return Response({"task_id": job_id, "status": "PENDING"}, status=202)


class JobDetail(APIView):
    def get(self, request: Request, job_id: uuid.UUID) -> Response:
        with connection.cursor() as cursor:
            cursor.execute(SELECT, [str(job_id)])
            row = cursor.fetchone()
        if row is None:
            return Response({"status": "NOT_FOUND"}, status=404)
        return Response({"task_id": str(job_id), "status": row[0]})


urlpatterns = [
    path("hello", Hello.as_view()),
    path("job", JobCreate.as_view()),
    path("job/<uuid:job_id>", JobDetail.as_view()),
]

application = get_wsgi_application()

from reports.api.front import front_for  # noqa: E402  (after Django is set up)

served = front_for(application)  # served the way the service is
