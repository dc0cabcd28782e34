#!/usr/bin/env bash
# Builds the controller's container image without a Docker engine and without pulling anything, into an OCI
# archive that kind, containerd, podman and skopeo load or push (docs/deploy.md, "1. Build the image").
#
# usage: build.sh [--jar JAR] [--out ARCHIVE] [--refresh-base] [--base-only]
#   --jar           the shaded jar (default controller/target/mclease-controller.jar; `./mcl image` builds it)
#   --out           where the archive goes (default controller/target/mclease-controller-oci.tar)
#   --refresh-base  assemble the Debian base again even when it is cached (to take Debian's newer packages)
#
# How: controller/Dockerfile is the recipe, built by buildah with its FROM replaced by a base assembled from Debian
# packages (base.sh: debootstrap minbase + openjdk-17-jre-headless). The Dockerfile has no RUN step, so no container
# runtime is needed (none works on these machines). The image gets two layers, the Debian base and the jar, and is
# named as controller/deploy/deployment.yaml names it, so a loaded archive is the image the Deployment runs.
#
# Cache, per machine, under ${XDG_CACHE_HOME:-~/.cache}/mclease/controller-image/:
#   base-<stamp>/rootfs   the base root filesystem; <stamp> hashes base.sh (suite, packages, slimming), so a change
#                         there assembles a new one; the newest two are kept
#   storage/, run/        buildah's own image store (the base committed as an image), apart from the machine's
#   debs/                 the downloaded .deb files, so that a new base downloads only what changed
# A cached base makes a build a matter of seconds; assembling one takes a few minutes and needs the Debian mirrors.
# Needs root (debootstrap, chroot, buildah's overlay mounts), debootstrap and buildah (Debian packages).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

log() { printf '[image] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

jar="$ROOT/controller/target/mclease-controller.jar"
out="$ROOT/controller/target/mclease-controller-oci.tar"
refresh=""
base_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --refresh-base) refresh=1; shift ;;
    --base-only) base_only=1; shift ;; # only the cached base and its image: ./mcl test runs it beside compiling
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "must run as root: debootstrap, chroot and buildah's mounts need it (sudo $0)"
for c in debootstrap buildah; do
  command -v "$c" >/dev/null || die "no $c: apt-get install $c (./mcl image installs it)"
done
[ -n "$base_only" ] || [ -f "$jar" ] || die "no jar at $jar: mvn -B -pl controller -am package -DskipTests (./mcl image does)"

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mclease/controller-image"
mkdir -p "$CACHE"
STAMP="bookworm-jre17_$(sha256sum "$HERE/base.sh" | cut -c1-12)"
BASE_DIR="$CACHE/base-$STAMP"
BASE_IMAGE="localhost/mclease-controller-base:$STAMP"
B=(buildah --root "$CACHE/storage" --runroot "$CACHE/run")

start=$SECONDS

# one build per machine at a time: two would assemble the same base, or share buildah's store half-written
exec {lock}>"$CACHE/.lock"
if ! flock -n "$lock"; then log "another image build is running; waiting for it"; flock "$lock"; fi

# --- the Debian base, cached -------------------------------------------------------------------------------
if [ -n "$refresh" ] && [ -d "$BASE_DIR" ]; then
  log "--refresh-base: assembling $STAMP again"
  rm -rf "$BASE_DIR"
  "${B[@]}" rmi -f "$BASE_IMAGE" >/dev/null 2>&1 || true
fi
if [ ! -f "$BASE_DIR/PACKAGES" ]; then
  rm -rf "$CACHE"/.tmp.* # leftovers of interrupted builds (we hold the lock)
  tmp="$CACHE/.tmp.$STAMP.$$" build_log="$CACHE/build-$STAMP.log"
  log "assembling the Debian base $STAMP into $BASE_DIR"
  log "  once per machine (a few minutes; log: $build_log)"
  if ! MCL_IMAGE_DEB_CACHE="$CACHE/debs" "$HERE/base.sh" "$tmp" >"$build_log" 2>&1; then
    rm -rf "$tmp"
    log "assembling the base FAILED after $((SECONDS - start)) s; last lines of $build_log:"
    tail -n 15 "$build_log" | sed 's/^/[image]   /' >&2
    exit 1
  fi
  # the rename is the commit point: a base-<stamp> directory with PACKAGES in it is complete
  mv -T "$tmp" "$BASE_DIR"
  # keep this base and the one before it; drop older ones and their images
  while read -r old; do
    [ -n "$old" ] || continue
    rm -rf "${CACHE:?}/$old"
    "${B[@]}" rmi -f "localhost/mclease-controller-base:${old#base-}" >/dev/null 2>&1 || true
  done < <(cd "$CACHE" && ls -1dt base-* 2>/dev/null | grep -vxF "base-$STAMP" | tail -n +2)
  log "assembled the base in $((SECONDS - start)) s"
fi
built_days=$(( ($(date +%s) - $(stat -c %Y "$BASE_DIR/PACKAGES")) / 86400 ))
if [ "$built_days" -gt 30 ]; then
  log "the Debian base is $built_days days old: --refresh-base takes Debian's security updates since"
fi

# --- the base as an image in buildah's store (from the cached root filesystem: seconds) ---------------------
cleanup() {
  [ -n "${ctr:-}" ] && { "${B[@]}" umount "$ctr" >/dev/null 2>&1 || true; "${B[@]}" rm "$ctr" >/dev/null 2>&1 || true; }
  [ -n "${built:-}" ] && { "${B[@]}" rmi -f "$built" >/dev/null 2>&1 || true; }
  [ -n "${ctx:-}" ] && rm -rf "$ctx"
  [ -n "${out_tmp:-}" ] && rm -f "$out_tmp"
  return 0
}
trap cleanup EXIT
if ! "${B[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  ctr="$("${B[@]}" from --pull=never scratch)"
  mnt="$("${B[@]}" mount "$ctr")"
  # cp -a keeps owners, modes, set-id bits, hard and symbolic links as debootstrap left them
  cp -a "$BASE_DIR/rootfs/." "$mnt/"
  "${B[@]}" umount "$ctr" >/dev/null
  java_version="$(awk '$1 == "openjdk-17-jre-headless" { print $2 }' "$BASE_DIR/PACKAGES")"
  "${B[@]}" config --os linux --arch "$(dpkg --print-architecture)" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 \
    --label "dev.mclease.base=debian bookworm minbase + openjdk-17-jre-headless $java_version ($STAMP)" \
    --created-by "controller/image/base.sh: debootstrap --variant=minbase bookworm + openjdk-17-jre-headless" \
    "$ctr"
  "${B[@]}" commit --quiet --rm "$ctr" "$BASE_IMAGE" >/dev/null
  ctr=""
  log "base image $BASE_IMAGE committed ($((SECONDS - start)) s)"
fi
if [ -n "$base_only" ]; then
  log "--base-only: the base $STAMP is ready ($((SECONDS - start)) s)"
  exit 0
fi

# --- controller/Dockerfile on that base ---------------------------------------------------------------------
# The build context holds only what the Dockerfile copies, at the path it names.
ctx="$(mktemp -d "${TMPDIR:-/tmp}/mclease-image-ctx.XXXXXX")"
mkdir -p "$ctx/controller/target"
cp "$jar" "$ctx/controller/target/mclease-controller.jar"
name="$(awk '$1 == "image:" && $2 ~ /mclease-controller/ { print $2; exit }' "$ROOT/controller/deploy/deployment.yaml")"
[ -n "$name" ] || die "no mclease-controller image in controller/deploy/deployment.yaml"
version="$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -n 1)"
revision="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "$revision" != unknown ] && [ -n "$(git -C "$ROOT" status --porcelain -- controller crd 2>/dev/null)" ]; then
  revision="$revision-dirty" # built from a working tree with changes (or new files) of its own
fi
# the Dockerfile names a default source; a clone with a remote names where it came from (without credentials)
source_label=()
if remote="$(git -C "$ROOT" remote get-url origin 2>/dev/null)" && [ -n "$remote" ]; then
  source_label=(--label "org.opencontainers.image.source=$(printf '%s' "$remote" | sed 's#://[^@/]*@#://#')")
fi
built="localhost/mclease-controller:build-$$"
"${B[@]}" build --quiet --pull=never --from "$BASE_IMAGE" -f "$ROOT/controller/Dockerfile" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "${source_label[@]}" \
  -t "$built" "$ctx" >/dev/null
# An OCI layout, then tarred: its index names the image twice, as org.opencontainers.image.ref.name (podman, skopeo,
# buildah read it) and as io.containerd.image.name (ctr import and kind load, which drop a full ref.name without it).
layout="$ctx/layout"
"${B[@]}" push --quiet "$built" "oci:$layout:$name" >/dev/null
"${B[@]}" rmi "$built" >/dev/null
built=""
ref_annotation="\"org.opencontainers.image.ref.name\":\"$name\""
grep -qF "$ref_annotation" "$layout/index.json" || die "unexpected index.json from buildah: $(cat "$layout/index.json")"
sed -i "s|$ref_annotation|\"io.containerd.image.name\":\"$name\",$ref_annotation|" "$layout/index.json"
out_tmp="$out.tmp.$$"
mkdir -p "$(dirname "$out")"
# oci-layout and index.json first: readers that stream the archive meet them before the blobs
tar --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$out_tmp" oci-layout index.json blobs
mv -f "$out_tmp" "$out"
out_tmp=""

exec {lock}>&-
archive_bytes="$(stat -c %s "$out")"
base_bytes="$(du -sb "$BASE_DIR/rootfs" | cut -f1)"
jar_bytes="$(stat -c %s "$jar")"
log "wrote $out: $name, $((archive_bytes / 1048576)) MiB ($archive_bytes bytes); unpacked about $(((base_bytes + jar_bytes) / 1048576)) MiB (Debian base $((base_bytes / 1048576)) MiB + jar $((jar_bytes / 1048576)) MiB); $((SECONDS - start)) s"
