#!/usr/bin/env bash
# CI's container way: the Dockerfile and compose.yaml, built and run for real with podman.
#   1. local stand-ins for the base images (no container registry is reachable here);
#   2. build the image; its size is printed;
#   3. run it against the host's PostgreSQL (a fresh database) and Redis: its HEALTHCHECK
#      passes, then smoke.py logs in, draws over a board's websocket and checks /healthz;
#   4. compose.yaml with compose.ci.yaml (the host's PostgreSQL and Redis instead of the
#      official postgres and redis images, which cannot be pulled here): the same smoke
#      check through Caddy, and each app process's own /healthz.
# Every container, compose project and database made here is removed on exit, pass or fail.
# Needs: podman, runc, debootstrap (.ci/run installs them), PostgreSQL and Redis running,
# and .venv with requirements-test.txt (for smoke.py's websockets).
#
# Knobs: CONTAINER_DB_PREFIX (boardsite_ci_container; databases are PREFIX_image_PID and
# PREFIX_compose_PID), CONTAINER_PG (postgres://postgres@127.0.0.1:5432),
# CONTAINER_REDIS_URL (redis://127.0.0.1:6379/0), KEEP_ON_FAILURE=1 leaves everything running.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=.ci/container
# shellcheck source=env.sh
. "$HERE/env.sh"

PG=${CONTAINER_PG:-postgres://postgres@127.0.0.1:5432}
DB_PREFIX=${CONTAINER_DB_PREFIX:-boardsite_ci_container}
REDIS_URL_CTR=${CONTAINER_REDIS_URL:-redis://127.0.0.1:6379/0}
RUN_ID=$$
IMAGE=localhost/boardsite:ci-$RUN_ID
CONTAINER=boardsite-ci-$RUN_ID
PROJECT=boardsite-ci-$RUN_ID
LOGS=$(mktemp -d /tmp/boardsite-container-ci.XXXXXX)
PY=.venv/bin/python
COMPOSE_VENV=$LC_STATE/venv-compose
COMPOSE=("$COMPOSE_VENV/bin/podman-compose"
         "--podman-build-args=--pull=never --network=host --format=docker -v $LC_BUILD_PIP_DIR:/etc/xdg/pip:ro"
         -p "$PROJECT" -f compose.yaml -f "$HERE/compose.ci.yaml")
DATABASES_MADE=()
COMPOSE_UP=0

say() { echo "[container] $*"; }
die() { echo "[container] FAILED: $*" >&2; exit 1; }

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

make_database() {  # make_database NAME: a fresh, empty database
  psql "$PG/postgres" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$1\"" >/dev/null || die "could not create database $1"
  DATABASES_MADE+=("$1")
}

cleanup() {
  local status=$?
  set +e
  if [ $status -ne 0 ] && [ "${KEEP_ON_FAILURE:-0}" = 1 ]; then
    say "KEEP_ON_FAILURE=1: leaving container $CONTAINER, compose project $PROJECT and databases ${DATABASES_MADE[*]:-}"
    exit $status
  fi
  if podman container exists "$CONTAINER"; then
    [ $status -ne 0 ] && { say "logs of $CONTAINER:"; podman logs --tail 30 "$CONTAINER" 2>&1; }
    podman rm -f -t 5 "$CONTAINER" >/dev/null 2>&1
  fi
  if [ $COMPOSE_UP = 1 ]; then
    if [ $status -ne 0 ]; then
      for service in app1 app2 proxy; do say "logs of $service:"; "${COMPOSE[@]}" logs --tail 40 "$service" 2>&1 | tail -40; done
    fi
    timeout 120 "${COMPOSE[@]}" down -v -t 5 >"$LOGS/compose-down.log" 2>&1 || { say "compose down failed:"; tail -20 "$LOGS/compose-down.log"; }
  fi
  # Whatever compose down missed (a container left by an interrupted run of this project).
  podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman rm -f -t 5 >/dev/null 2>&1
  podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1
  podman image rm "$IMAGE" >/dev/null 2>&1
  for db in "${DATABASES_MADE[@]}"; do
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || say "could not drop database $db"
  done
  rm -rf "$LOGS"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_health() {  # wait_for_health URL SECONDS CONTAINER...: until URL answers 200, while the containers run
  local url=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  while [ $SECONDS -lt $deadline ]; do
    curl -fsS -m 5 -o /dev/null "$url" 2>/dev/null && return 0
    for ctr in "$@"; do
      [ "$(podman inspect "$ctr" --format '{{.State.Running}}' 2>/dev/null)" = true ] || die "$ctr stopped before $url answered"
    done
    sleep 1
  done
  die "$url did not answer 200 within ${seconds}s; its last answer: $(curl -sS -m 5 "$url" 2>&1 | head -c 600)"
}

command -v podman >/dev/null || die "podman is not installed (apt-get install podman runc debootstrap)"
"$PY" -c 'import websockets' 2>/dev/null || die "$PY has no websockets: run make install-test"
VERSION=$("$PY" -c 'import boardsite; print(boardsite.__version__)')
SMOKE_USER=smoke
SMOKE_PASSWORD=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')

say "1. base image stand-ins (python:3.11-slim, caddy:2) from Debian packages"
timeout 900 "$HERE/prepare-base.sh" >"$LOGS/prepare-base.log" 2>&1 || { tail -30 "$LOGS/prepare-base.log"; die "could not make the base images"; }
grep '^\[prepare-base\] made\|^\[prepare-base\] kept' "$LOGS/prepare-base.log" || true

say "2. podman build -t $IMAGE ."
lc_write_build_pip_dir
started=$SECONDS
timeout 1200 podman build "${LC_BUILD_FLAGS[@]}" --format=docker -t "$IMAGE" . >"$LOGS/build.log" 2>&1 \
  || { tail -40 "$LOGS/build.log"; die "podman build failed (log above)"; }
size=$(podman image inspect "$IMAGE" --format '{{.Size}}')
say "built in $((SECONDS - started))s; image size $((size / 1000 / 1000)) MB (base python:3.11-slim included)"

say "3. the image alone against the host's PostgreSQL and Redis"
db=${DB_PREFIX}_image_$RUN_ID
make_database "$db"
port=$(free_port)
podman run -d --name "$CONTAINER" --network=host "${LC_RUN_FLAGS[@]}" \
  -e PORT="$port" -e DATABASE_URL="$PG/$db" -e REDIS_URL="$REDIS_URL_CTR" -e ALLOWED_HOSTS=localhost \
  "$IMAGE" >/dev/null 2>"$LOGS/run.log" || { cat "$LOGS/run.log"; die "podman run failed"; }
# (podman logs an error on stderr there: no systemd to run the HEALTHCHECK on a timer; it is run below.)
wait_for_health "http://127.0.0.1:$port/healthz" 120 "$CONTAINER"
# The image's own HEALTHCHECK probes 127.0.0.1, which is not in ALLOWED_HOSTS here.
[ "$(podman inspect "$CONTAINER" --format '{{.Config.User}}')" = boardsite ] || die "the container does not run as the boardsite user"
podman healthcheck run "$CONTAINER" 2>/dev/null || die "the image's HEALTHCHECK did not pass"
say "HEALTHCHECK passed; migrations ran on start; runs as user boardsite"
timeout 120 podman exec -e DJANGO_SUPERUSER_PASSWORD="$SMOKE_PASSWORD" "$CONTAINER" \
  boardsite-entrypoint python manage.py createsuperuser --noinput --username "$SMOKE_USER" --email smoke@example.com >/dev/null \
  || die "createsuperuser in the container failed"
timeout 180 "$PY" "$HERE/smoke.py" "http://localhost:$port" "$SMOKE_USER" "$SMOKE_PASSWORD" "$VERSION" || die "smoke check of the image failed"
podman rm -f -t 5 "$CONTAINER" >/dev/null 2>&1

say "4. compose.yaml + compose.ci.yaml (host PostgreSQL and Redis: the official postgres and redis images cannot be pulled here)"
if [ ! -x "$COMPOSE_VENV/bin/podman-compose" ]; then
  { python3 -m venv "$COMPOSE_VENV" && "$COMPOSE_VENV/bin/pip" install -q 'podman-compose==1.6.0'; } >"$LOGS/compose-install.log" 2>&1 \
    || { tail -20 "$LOGS/compose-install.log"; die "could not install podman-compose"; }
fi
db=${DB_PREFIX}_compose_$RUN_ID
make_database "$db"
CI_DATABASE_URL=$PG/$db CI_REDIS_URL=$REDIS_URL_CTR
CI_APP1_PORT=$(free_port) CI_APP2_PORT=$(free_port) CI_PROXY_PORT=$(free_port)
export CI_DATABASE_URL CI_REDIS_URL CI_APP1_PORT CI_APP2_PORT CI_PROXY_PORT
COMPOSE_UP=1
timeout 1200 "${COMPOSE[@]}" up -d >"$LOGS/compose-up.log" 2>&1 || { tail -40 "$LOGS/compose-up.log"; die "compose up failed"; }
app1=$(podman ps -q --filter "label=io.podman.compose.project=$PROJECT" --filter "label=io.podman.compose.service=app1")
app2=$(podman ps -q --filter "label=io.podman.compose.project=$PROJECT" --filter "label=io.podman.compose.service=app2")
proxy=$(podman ps -q --filter "label=io.podman.compose.project=$PROJECT" --filter "label=io.podman.compose.service=proxy")
[ -n "$app1" ] && [ -n "$app2" ] && [ -n "$proxy" ] || { podman ps -a --filter "label=io.podman.compose.project=$PROJECT"; die "compose did not start app1, app2 and proxy"; }
# app1 serves once its migrations ran; then each process answers its own probe, and the proxy.
wait_for_health "http://127.0.0.1:$CI_APP1_PORT/healthz" 180 "$app1" "$app2" "$proxy"
wait_for_health "http://127.0.0.1:$CI_APP2_PORT/healthz" 60 "$app1" "$app2" "$proxy"
wait_for_health "http://localhost:$CI_PROXY_PORT/healthz" 60 "$proxy"
say "app1, app2 and the proxy are up"
timeout 120 podman exec -e DJANGO_SUPERUSER_PASSWORD="$SMOKE_PASSWORD" "$app1" \
  boardsite-entrypoint python manage.py createsuperuser --noinput --username "$SMOKE_USER" --email smoke@example.com >/dev/null \
  || die "createsuperuser in app1 failed"
# Through the proxy; the second websocket on each process in turn, so the stroke crosses from
# one process to the other through Redis at least once, with the session and key they share.
for watch_port in "$CI_APP1_PORT" "$CI_APP2_PORT"; do
  timeout 180 "$PY" "$HERE/smoke.py" "http://localhost:$CI_PROXY_PORT" "$SMOKE_USER" "$SMOKE_PASSWORD" "$VERSION" \
    "http://localhost:$watch_port" || die "smoke check through compose's proxy failed"
done
say "the container way passed (image $((size / 1000 / 1000)) MB)"
