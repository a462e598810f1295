# HIM production image. The web server, the Celery worker and Celery beat all
# run from this one image; docker-compose.yml picks the command for each.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    HIM_ENV=production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media

RUN groupadd --system him \
    && useradd --system --gid him --home-dir /app --shell /usr/sbin/nologin him

WORKDIR /app
COPY . .
RUN pip install .

# Static files are collected at build time. Production settings refuse to start
# without keys, so this one step gets a throwaway value; it is not kept in the
# image's environment, and the running containers get theirs from .env.
ARG BUILD_ONLY_KEY=build-only-not-a-secret
RUN SECRET_KEY="$BUILD_ONLY_KEY" TRAIL_KEY="$BUILD_ONLY_KEY" \
    FIELD_ENCRYPTION_KEY="x2yVcfqmS4y0sYX3y4vbL9p0o7yVwOQ8bZ6m1Zr4q3E=" \
    python manage.py collectstatic --noinput -v0

RUN mkdir -p /app/var /data/media && chown -R him:him /app/var /data

USER him
EXPOSE 8000

CMD ["gunicorn", "him.wsgi:application", "-b", "0.0.0.0:8000", "--workers", "4", "--timeout", "60"]
