# shellcheck shell=bash
# Sourced by ./mcl. ensure_image builds the controller's container image without a Docker engine into
# controller/target/mclease-controller-oci.tar (an OCI archive named ghcr.io/mclease/mclease-controller:0.1.0, as
# controller/deploy/deployment.yaml names it):
#   1. debootstrap and buildah from Debian (mcl's apt_install) when missing;
#   2. the shaded jar: mvn -pl controller -am package (without tests), unless the jar is newer than the sources and
#      poms it is built from (crd/ and controller/ main, the parent pom);
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
  if _image_jar_fresh; then
    log "controller image: the shaded jar is newer than every source it is built from; taking it"
  else
    # main classes only: the jar needs no test classes (about 25 s instead of 35 on 2 cores)
    log "controller image: the shaded jar (mvn -pl controller -am package -Dmaven.test.skip=true)"
    mvn -B -q -pl controller -am package -Dmaven.test.skip=true -Dfabric8.matrix.skip=true >&2 || return 1
  fi
  as_root "$MCL_IMAGE_SRC/build.sh" "$@" || return 1
  log "controller image ready in $((SECONDS - start)) s"
}

# Whether controller/target/mclease-controller.jar is newer than everything that goes into it: the main sources and
# resources of crd and controller (the jar's only modules from this repository) and their poms.
_image_jar_fresh() {
  local jar="$MCL_IMAGE_SRC/../target/mclease-controller.jar" root="$MCL_IMAGE_SRC/../.."
  [ -f "$jar" ] || return 1
  [ -z "$(find "$root/pom.xml" "$root/crd/pom.xml" "$root/crd/src/main" "$root/controller/pom.xml" \
    "$root/controller/src/main" -newer "$jar" -print -quit 2>/dev/null)" ]
}

# start_image_base: assembles the image's Debian base (build.sh --base-only) in the background, so that its downloads
# and package unpacking overlap with what ./mcl test compiles meanwhile (the kube binaries: minutes on a fresh
# machine); wait_image_base waits for it before ensure_image. Both do nothing where the image cannot be built, and a
# failed background run only means ensure_image assembles the base itself and says why.
start_image_base() {
  _MCL_IMAGE_BASE_PID=""
  [ "$(id -u)" = 0 ] || command -v sudo >/dev/null || return 0
  command -v debootstrap >/dev/null || apt_install --no-install-recommends debootstrap || return 0
  command -v buildah >/dev/null || apt_install --no-install-recommends buildah || return 0
  local logdir="$MCL_IMAGE_SRC/../../.mcl"
  mkdir -p "$logdir"
  as_root "$MCL_IMAGE_SRC/build.sh" --base-only >"$logdir/image-base.log" 2>&1 &
  _MCL_IMAGE_BASE_PID=$!
  log "controller image: assembling its Debian base in the background (log .mcl/image-base.log)"
}

wait_image_base() {
  [ -n "${_MCL_IMAGE_BASE_PID:-}" ] || return 0
  if ! wait "$_MCL_IMAGE_BASE_PID"; then
    log "controller image: the background base build failed (.mcl/image-base.log); ensure_image tries again"
  fi
  _MCL_IMAGE_BASE_PID=""
}
