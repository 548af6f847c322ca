# One image, several roles (web, worker, beat, flower): `python -m config.serve <role>`,
# the same command `make run` supervises outside Docker.
FROM python:3.11-alpine

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    PATH="/opt/venv/bin:$PATH"

WORKDIR /app
RUN pip install --no-cache-dir 'uv>=0.5,<1' \
 && addgroup -S app && adduser -S -G app -h /app app

COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
RUN uv sync --frozen --no-dev \
 && mkdir -p /data && chown app:app /data

USER app
ENV REPORT_DATA_DIR=/data
EXPOSE 8000
CMD ["python", "-m", "config.serve", "web"]
