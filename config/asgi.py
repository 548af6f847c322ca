"""The web server's application (``python -m config.serve web`` runs it under gunicorn's
asgi worker): Django's WSGI handler behind the event-loop front, reports/api/front.py."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after the settings module is chosen)

from reports.api.front import front_for  # noqa: E402
from reports.jobs.selectors import job_listener  # noqa: E402

application = front_for(
    django_application,
    job_listener,
    max_body=settings.REPORT_MAX_BODY_BYTES,
    max_csv=settings.REPORT_MAX_CSV_BYTES,
    body_timeout=settings.REPORT_BODY_TIMEOUT,
    max_waits_per_key=settings.REPORT_MAX_WAITS_PER_KEY,
    hold_seconds=settings.REPORT_STATUS_HOLD,
)
