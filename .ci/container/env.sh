# Copied from the workplace's container scripts (shared/container/env.sh) so that CI depends only
# on this repository.
# Source this file: machine-specific podman settings for THIS host (Firecracker VM, cgroup v1,
# no CAP_SYS_RESOURCE, no container registry reachable, TLS-intercepting egress proxy).
# Nothing here belongs in a project's Dockerfile.
LC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LC_STATE=${LOCAL_CONTAINER_STATE:-${XDG_CACHE_HOME:-$HOME/.cache}/local-container}
mkdir -p "$LC_STATE"
# podman/compose/play-kube pick up runtime=runc, cgroupfs, ulimits, default host network from this
# file (written by prepare-base.sh).
export CONTAINERS_CONF=$LC_STATE/containers.conf
# RUN steps of builds: chroot isolation (the OCI isolation would need crun cgroups).
export BUILDAH_ISOLATION=chroot
# Build-time-only trust + pip settings: a directory holding pip.conf and a copy of the host CA
# bundle, bind-mounted read-only at /etc/xdg/pip (a pip site-config dir) during RUN steps.
LC_BUILD_PIP_DIR=$LC_STATE/build-pip
# Flags for `podman build` here (in addition to -t/-f/context).
LC_BUILD_FLAGS=(--pull=never --isolation=chroot --network=host -v "$LC_BUILD_PIP_DIR:/etc/xdg/pip:ro")
# Flags for `podman run` here (also in containers.conf; repeated so the scripts work without it).
lc_ulimits() {
  local nofile nproc
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu);  [ "$nproc" = unlimited ] && nproc=32768
  # runc fails with "error setting rlimit type 6" above ~32k processes here, so cap nproc.
  [ "$nproc" -gt 32768 ] && nproc=32768
  echo "nofile=$nofile:$nofile nproc=$nproc:$nproc"
}
read -r _LC_NOFILE _LC_NPROC <<<"$(lc_ulimits)"
LC_RUN_FLAGS=(--runtime=runc --cgroup-manager=cgroupfs --ulimit "$_LC_NOFILE" --ulimit "$_LC_NPROC")

lc_write_build_pip_dir() {   # (re)create the build-time pip config dir; optional arg: wheelhouse dir
  mkdir -p "$LC_BUILD_PIP_DIR"
  cp -f /etc/ssl/certs/ca-certificates.crt "$LC_BUILD_PIP_DIR/host-ca-bundle.pem"
  {
    echo "# build-time only (bind-mounted by the build scripts); not part of any image"
    echo "[global]"
    echo "cert = /etc/xdg/pip/host-ca-bundle.pem"
    echo "disable-pip-version-check = true"
    echo "timeout = 180"
    if [ -n "${1:-}" ]; then
      echo "no-index = true"
      echo "find-links = /run/wheelhouse"
    fi
  } > "$LC_BUILD_PIP_DIR/pip.conf"
}
