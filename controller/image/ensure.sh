# shellcheck shell=bash
# Sourced by ./mcl. ensure_image builds the controller's container image without a Docker engine into
# controller/target/mclease-controller-oci.tar (an OCI archive named ghcr.io/mclease/mclease-controller:0.1.0, as
# controller/deploy/deployment.yaml names it):
#   1. debootstrap and buildah from Debian (mcl's apt_install) when missing;
#   2. the shaded jar: mvn -pl controller -am package -DskipTests;
#   3. build.sh: controller/Dockerfile on a Debian base assembled by base.sh, cached per machine under
#      ${XDG_CACHE_HOME:-~/.cache}/mclease/controller-image/ (minutes once, then seconds).
# Arguments go to build.sh (--refresh-base, --out ARCHIVE). Needs root (or sudo): debootstrap, chroot and buildah's
# mounts. Returns non-zero, after saying why, when the image cannot be built; ./mcl test carries on and
# ControllerImageIT skips, naming ./mcl image.

MCL_IMAGE_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

ensure_image() {
  local start=$SECONDS
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    log "controller image: needs root (debootstrap, chroot, buildah's mounts) and there is no sudo; not built"
    return 1
  fi
  # no recommends: debootstrap verifies with the gpgv that apt brings, buildah runs as root on the kernel's overlay
  command -v debootstrap >/dev/null || apt_install --no-install-recommends debootstrap || return 1
  command -v buildah >/dev/null || apt_install --no-install-recommends buildah || return 1
  log "controller image: the shaded jar (mvn -pl controller -am package -DskipTests)"
  mvn -B -q -pl controller -am package -DskipTests -Dfabric8.matrix.skip=true >&2 || return 1
  as_root "$MCL_IMAGE_SRC/build.sh" "$@" || return 1
  log "controller image ready in $((SECONDS - start)) s"
}
