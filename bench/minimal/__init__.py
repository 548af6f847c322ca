"""``python -m bench minimal``: the floor of the stack itself, beside this service.

The same gunicorn command (``config.serve.web_command``) and Celery worker command
(``config.serve.worker_command``) run a minimal service on the same stack: Django + DRF
with no middleware (``bench/minimal/app.py``), a plain WSGI callable (``plain.py``), and a
Celery task that claims and finishes a row in two statements (``tasks.py``). Measured the
way ``python -m bench cpu --sequential`` measures this service (CPU time of each process
group, read from /proc, per request on one keep-alive connection), in the same run, so the
difference between the two is what this service's own code and features cost.
"""
