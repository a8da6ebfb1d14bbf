# OpsCore web/worker/beat image. Configuration comes only from the environment (SPEC section 2);
# the default command serves the WSGI app with gunicorn. docker-compose.yml runs the same image
# as the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so code changes reuse this layer.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .

# Static files are collected at build time and served by whitenoise. The SECRET_KEY here exists
# only for this build step; every container gets its real one from the environment.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-key-never-used-at-run-time-0123456789 \
    python manage.py collectstatic --noinput

# Run as an unprivileged user that can write only data/ (the embedded defaults: SQLite and local
# attachments); code and collected static files stay read-only. With PostgreSQL and
# ATTACHMENT_STORAGE_TYPE=s3 nothing is kept on local disk.
RUN groupadd --system --gid 10001 opscore \
    && useradd --system --uid 10001 --gid opscore --home-dir /app --no-create-home opscore \
    && mkdir -p /app/data/attachments \
    && chown opscore:opscore /app/data /app/data/attachments

USER 10001:10001

EXPOSE 8000

# gthread workers keep their heartbeat while a thread streams a long upload, so big attachments
# are not cut off by gunicorn's worker timeout.
CMD ["gunicorn", "opscore.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--workers", "3", \
     "--worker-class", "gthread", \
     "--threads", "4", \
     "--access-logfile", "-"]
