#!/bin/sh
# Entry point of Boardsite's container image.
#   serve (the default): settle SECRET_KEY, run migrations unless MIGRATE_ON_START=0,
#                        then daphne on $PORT (--proxy-headers unless PROXY_HEADERS=0)
#   anything else:       settle SECRET_KEY, then run it, e.g. `python manage.py createsuperuser`
# SECRET_KEY comes from the environment; without it, from $SECRET_KEY_FILE, which is
# made with a random key on first start: every process sharing that volume gets the same key.
set -eu

fail() { echo "boardsite-entrypoint: $*" >&2; exit 64; }

is_on() {  # is_on NAME VALUE: true for 1/true/yes/on, false for 0/false/no/off, else fail
  case "$(printf %s "$2" | tr '[:upper:]' '[:lower:]')" in
    1|true|yes|on) return 0 ;;
    0|false|no|off|'') return 1 ;;
    *) fail "$1 must be true or false, got '$2'" ;;
  esac
}

if [ -z "${SECRET_KEY:-}" ]; then
  key_file=${SECRET_KEY_FILE:-}
  [ -n "$key_file" ] || fail "set SECRET_KEY (or SECRET_KEY_FILE)"
  if [ ! -s "$key_file" ]; then
    [ -w "$(dirname "$key_file")" ] || fail "no SECRET_KEY, and $(dirname "$key_file") is not writable to create $key_file"
    tmp=$(mktemp "$key_file.XXXXXX")
    python -c 'import secrets; print(secrets.token_urlsafe(64))' > "$tmp"
    # ln refuses to replace: when two processes start at once, the first key wins for both.
    ln "$tmp" "$key_file" 2>/dev/null && echo "boardsite-entrypoint: made a new SECRET_KEY in $key_file" >&2 || true
    rm -f "$tmp"
  fi
  SECRET_KEY=$(cat "$key_file")
  export SECRET_KEY
fi

if [ "$#" -eq 0 ] || [ "$1" = serve ]; then
  PORT=${PORT:-8000}
  case "$PORT" in ''|*[!0-9]*) fail "PORT must be a port number, got '$PORT'" ;; esac
  if is_on MIGRATE_ON_START "${MIGRATE_ON_START:-1}"; then
    python manage.py migrate --noinput
  fi
  set -- daphne -b "${BIND_ADDRESS:-0.0.0.0}" -p "$PORT"
  if is_on PROXY_HEADERS "${PROXY_HEADERS:-1}"; then
    set -- "$@" --proxy-headers
  fi
  set -- "$@" boardsite.asgi:application
  echo "boardsite-entrypoint: $*" >&2
fi
exec "$@"
