# Boardsite's container image: daphne serving HTTP and websockets on $PORT.
#   docker build -t boardsite .
#   docker run -p 8000:8000 -e DATABASE_URL=... -e REDIS_URL=... boardsite
# Settings come from the environment (README's table, .env.example); compose.yaml runs the
# whole site. Nothing here depends on the machine it is built on.

# --- build: install the requirements into a virtualenv and collect the static files
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# The venv gets no pip or setuptools of its own (the base image's pip installs into it): the
# running image needs neither, and they weighed 25 MB.
RUN python -m venv --without-pip /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN pip --python /opt/venv/bin/python install -r /tmp/requirements.txt
WORKDIR /app
COPY . .
# Hashed, compressed copies for WhiteNoise; the settings need no environment for this.
RUN /opt/venv/bin/python manage.py collectstatic --noinput \
    && /opt/venv/bin/python -m compileall -q boardsite whiteboard kanban

# --- runtime: the virtualenv and the app, owned by root, run by an unprivileged user
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    MIGRATE_ON_START=1 \
    WHITENOISE_USE_FINDERS=false \
    SECRET_KEY_FILE=/data/secret_key \
    MEDIA_ROOT=/data/media
RUN groupadd --gid 10001 boardsite \
    && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin boardsite \
    && mkdir -p /data/media && chown -R boardsite:boardsite /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY deploy/docker-entrypoint.sh /usr/local/bin/boardsite-entrypoint
WORKDIR /app
USER boardsite
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/healthz\", timeout=4).status != 200)"]
ENTRYPOINT ["boardsite-entrypoint"]
CMD ["serve"]
