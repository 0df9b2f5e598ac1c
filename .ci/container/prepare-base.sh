#!/bin/bash
# Copied from the workplace's container scripts (shared/container/prepare-base.sh) so that CI
# depends only on this repository; the caddy stand-in (3.) is Boardsite's addition.
#
# Make local stand-ins for the base images a portable Dockerfile expects, from scratch
# (debootstrap + Debian packages; no registry needed). Idempotent: an image that already
# exists (and was made by this script) is kept; pass --force to rebuild everything.
#
#   docker.io/library/debian:bookworm-slim  (+ :bookworm, :12-slim, :12)   debootstrap minbase
#   docker.io/library/python:3.11-slim      (+ :3.11-slim-bookworm)       Debian python3.11
#   docker.io/library/caddy:2                                             Debian caddy
#
# Also (re)writes $DIR/containers.conf (podman defaults for this host) and $LC_STATE/build-pip.
set -euo pipefail
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/env.sh"
FORCE=0; [ "${1:-}" = --force ] && FORCE=1
WORK=${WORK:-$LC_STATE/work}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEB_TAGS=(docker.io/library/debian:bookworm-slim docker.io/library/debian:bookworm
          docker.io/library/debian:12-slim docker.io/library/debian:12)
PY_TAGS=(docker.io/library/python:3.11-slim docker.io/library/python:3.11-slim-bookworm)
made=(); kept=()
ts() { date +%s; }

# 0. containers.conf for this host (used via CONTAINERS_CONF by env.sh)
cat > "$LC_STATE/containers.conf" <<CONF
# Machine-specific podman defaults for THIS host only; used via CONTAINERS_CONF=$LC_STATE/containers.conf
# - runtime runc: crun fails here ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2")
# - cgroupfs: no systemd
# - ulimits: podman's defaults exceed what may be set here (no CAP_SYS_RESOURCE): crun/runc fail with
#   "setrlimit RLIMIT_NOFILE/NPROC: operation not permitted"; nofile = host hard limit, nproc <= 32768
# - netns host (default only): containers share the host's ports and 127.0.0.1 (PostgreSQL/Redis);
#   an explicit --network=bridge / compose default network with -p also works, without 127.0.0.1 access
[containers]
default_ulimits = ["$_LC_NOFILE", "$_LC_NPROC"]
netns = "host"

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF
lc_write_build_pip_dir

is_ours() { podman image exists "$1" && [ -n "$(podman image inspect "$1" --format '{{index .Labels "local.standin"}}' 2>/dev/null)" ]; }

# 1. debian:bookworm-slim from debootstrap --variant=minbase
if [ $FORCE = 0 ] && is_ours docker.io/library/debian:bookworm-slim; then
  kept+=("docker.io/library/debian:bookworm-slim")
else
  t0=$(ts)
  rm -rf "$WORK/rootfs"; mkdir -p "$WORK"
  echo "[prepare-base] debootstrap --variant=minbase bookworm ($MIRROR) ..."
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  R=$WORK/rootfs
  # make it look like the official slim image: deb822 sources, docker apt/dpkg tweaks
  rm -f "$R/etc/apt/sources.list"
  cat > "$R/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  echo 'Apt::AutoRemove::SuggestsImportant "false";' > "$R/etc/apt/apt.conf.d/docker-autoremove-suggests"
  cat > "$R/etc/apt/apt.conf.d/docker-clean" <<'X'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
X
  echo 'Acquire::GzipIndexes "true";' > "$R/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Acquire::Languages "none";'  > "$R/etc/apt/apt.conf.d/docker-no-languages"
  echo 'force-unsafe-io'             > "$R/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  cat > "$R/etc/dpkg/dpkg.cfg.d/docker" <<'X'
# slim variant: keep docs/man/locales out of the image (as the official -slim images do)
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
X
  # what the slim excludes would have kept out had they been active during debootstrap
  find "$R/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$R/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$R"/usr/share/man/* "$R"/usr/share/info/* "$R"/usr/share/locale/* "$R"/usr/share/groff/* "$R"/usr/share/lintian/overrides/*
  # host-specific leftovers of debootstrap
  rm -f "$R/etc/resolv.conf" "$R/etc/hostname"
  rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb "$R"/var/log/*.log "$R"/tmp/*
  echo "[prepare-base] importing rootfs ..."
  tar --numeric-owner --xattrs -C "$R" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change 'LABEL local.standin="debian:bookworm-slim" org.opencontainers.image.description="LOCAL stand-in for debian:bookworm-slim (debootstrap minbase), built by prepare-base.sh"' \
    - "${DEB_TAGS[0]}" >/dev/null
  for t in "${DEB_TAGS[@]:1}"; do podman tag "${DEB_TAGS[0]}" "$t"; done
  rm -rf "$R"
  made+=("${DEB_TAGS[*]} ($(( $(ts) - t0 ))s)")
fi

# 2. python:3.11-slim from the debian stand-in + Debian's python3.11
if [ $FORCE = 0 ] && is_ours docker.io/library/python:3.11-slim; then
  kept+=("docker.io/library/python:3.11-slim")
else
  t0=$(ts)
  echo "[prepare-base] building python:3.11-slim stand-in ..."
  podman build "${LC_BUILD_FLAGS[@]}" --layers=false \
    -f "$DIR/base/python-3.11-slim.Containerfile" -t "${PY_TAGS[0]}" "$DIR/base" > "$WORK/python-base.log" 2>&1 \
    || { tail -30 "$WORK/python-base.log"; exit 1; }
  for t in "${PY_TAGS[@]:1}"; do podman tag "${PY_TAGS[0]}" "$t"; done
  made+=("${PY_TAGS[*]} ($(( $(ts) - t0 ))s)")
fi

# 3. caddy:2 (compose.yaml's reverse proxy) from the debian stand-in + Debian's caddy
if [ $FORCE = 0 ] && is_ours docker.io/library/caddy:2; then
  kept+=("docker.io/library/caddy:2")
else
  t0=$(ts)
  echo "[prepare-base] building caddy:2 stand-in ..."
  podman build "${LC_BUILD_FLAGS[@]}" --layers=false \
    -f "$DIR/base/caddy-2.Containerfile" -t docker.io/library/caddy:2 "$DIR/base" > "$WORK/caddy-base.log" 2>&1 \
    || { tail -30 "$WORK/caddy-base.log"; exit 1; }
  made+=("docker.io/library/caddy:2 ($(( $(ts) - t0 ))s)")
fi

echo "[prepare-base] made: ${made[*]:-nothing}"
echo "[prepare-base] kept (already present): ${kept[*]:-nothing}"
podman images --format '{{.Repository}}:{{.Tag}}  {{.ID}}  {{.Size}}' | grep -E 'library/(debian|python|caddy)' || true
