#!/usr/bin/env bash
# The controller image's base root filesystem, assembled from Debian packages so that no image is pulled:
#   debootstrap --variant=minbase bookworm (Priority: required packages and apt, nothing else), then, in a chroot,
#   apt-get upgrade from bookworm, bookworm-updates and bookworm-security and
#   apt-get install --no-install-recommends openjdk-17-jre-headless (the headless Java 17 runtime and its libraries).
# Then slimmed: no documentation but the copyright files, no man/info pages, no translations, no package lists, no
# logs, no device nodes, resolv.conf or hostname (a container runtime provides those). A user nonroot (65532:65532)
# gets a passwd entry, as in distroless images, so that the image's USER has a name and a home.
#
# usage: base.sh OUT_DIR   (as root; OUT_DIR must not exist)
# writes OUT_DIR/rootfs/ and OUT_DIR/PACKAGES ("name version" per installed package)
#
# Network: only the Debian mirrors. Taken from /etc/apt/sources.list.d/debian.sources (deb822) or
# /etc/apt/sources.list, else deb.debian.org; MCL_IMAGE_MIRROR and MCL_IMAGE_SECURITY_MIRROR override them.
# MCL_IMAGE_DEB_CACHE=DIR keeps the downloaded .deb files there for the next base (build.sh sets it).
#
# Every mount this script makes (proc, the .deb cache) is made in a private mount namespace of its own, so none
# outlives it, even when it is killed.
set -euo pipefail

SUITE=bookworm
# What the image adds to minbase. Changing this (or anything in this file) changes build.sh's cache key.
PACKAGES=(openjdk-17-jre-headless)
NONROOT_UID=65532

log() { printf '[base] %s\n' "$*" >&2; }

# The first URI of a deb822 or one-line apt source whose suite is $1, from the host's apt configuration.
host_mirror() {
  local suite="$1" f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas are separated by blank lines; print URIs of the stanza listing the suite
    awk -v s="$suite" 'BEGIN { RS=""; FS="\n" }
      { uri=""; hit=0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri=a[2] }
          if ($i ~ /^Suites:/) { n=split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == s) hit=1 }
        }
        if (hit && uri != "") { print uri; exit } }' "$f"
  done | head -n 1 | grep . && return 0
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v s="$suite" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { if ($(i+1) == s) { print $i; exit } ; break } }' "$f"
  done | head -n 1 | grep .
}

main() {
  local out="${1:?usage: base.sh OUT_DIR}"
  [ "$(id -u)" = 0 ] || { log "must run as root (debootstrap and chroot)"; exit 1; }
  [ ! -e "$out" ] || { log "$out exists"; exit 1; }
  command -v debootstrap >/dev/null || { log "no debootstrap: apt-get install debootstrap"; exit 1; }
  local mirror security arch start=$SECONDS
  mirror="${MCL_IMAGE_MIRROR:-$(host_mirror "$SUITE" || echo http://deb.debian.org/debian)}"
  security="${MCL_IMAGE_SECURITY_MIRROR:-$(host_mirror "$SUITE-security" || echo http://deb.debian.org/debian-security)}"
  arch="$(dpkg --print-architecture)"
  mkdir -p "$out"
  local r="$out/rootfs"
  local cache_args=()
  if [ -n "${MCL_IMAGE_DEB_CACHE:-}" ]; then
    mkdir -p "$MCL_IMAGE_DEB_CACHE/partial"
    cache_args=(--cache-dir="$(cd "$MCL_IMAGE_DEB_CACHE" && pwd)")
  fi
  log "debootstrap --variant=minbase $SUITE ($arch) from $mirror"
  # debootstrap mounts proc and sys in the target while it runs: in a namespace of its own they cannot leak
  unshare --mount --propagation private -- \
    debootstrap --variant=minbase --arch="$arch" --components=main "${cache_args[@]}" "$SUITE" "$r" "$mirror" >&2
  log "debootstrap done in $((SECONDS - start)) s"

  # apt inside the image: the same mirrors, with the security suite debootstrap cannot reach, and the slimming
  # rules for every later install (also for images built on top of this one).
  rm -f "$r/etc/apt/sources.list"
  cat >"$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$r/etc/apt/apt.conf.d/90mclease-slim" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
  cat >"$r/etc/dpkg/dpkg.cfg.d/90mclease-slim" <<'EOF'
# the image carries licences, not documentation
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
EOF
  cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true

  local apt_env=(/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root)
  local apt_get=(apt-get -q -y -o Dpkg::Use-Pty=0 -o APT::Keep-Downloaded-Packages=true)
  log "apt-get upgrade and install ${PACKAGES[*]} (with $SUITE-security from $security)"
  # proc for the maintainer scripts (ca-certificates-java runs java), the .deb cache for apt; both gone with the
  # namespace
  R="$r" CACHE="${MCL_IMAGE_DEB_CACHE:-}" PKGS="${PACKAGES[*]}" unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
    mount -t proc proc "$R/proc"
    if [ -n "$CACHE" ]; then mount --bind "$CACHE" "$R/var/cache/apt/archives"; fi
    chroot "$R" "$@" update >&2
    chroot "$R" "$@" upgrade >&2
    # shellcheck disable=SC2086 # package names, split on purpose
    chroot "$R" "$@" install $PKGS >&2
  ' base-apt "${apt_env[@]}" "${apt_get[@]}" 2>&1 \
    || { log "apt-get in the chroot failed"; exit 1; }
  log "packages installed in $((SECONDS - start)) s"

  slim "$r"
  add_nonroot "$r"
  dpkg-query --admindir="$r/var/lib/dpkg" -W -f='${Package} ${Version}\n' >"$out/PACKAGES"
  {
    echo "debian $SUITE minbase ($arch) + ${PACKAGES[*]}, from $mirror and $security"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) with debootstrap $(dpkg-query -W -f='${Version}' debootstrap 2>/dev/null || echo '?')"
  } >"$out/BUILT"
  log "base root filesystem: $(du -sh "$r" | cut -f1), $(wc -l <"$out/PACKAGES") packages, in $((SECONDS - start)) s"
}

# Removes what a container neither needs nor should carry.
slim() {
  local r="$1"
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
    "$r"/var/cache/apt/archives/partial/* "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old \
    "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/* "$r"/root/.cache \
    "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* "$r"/usr/share/lintian \
    "$r"/debootstrap
  # licences stay: every package's copyright file (directories that are symbolic links to another package's stay too)
  find "$r/usr/share/doc" -mindepth 2 -type f ! -name copyright -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  # the runtime mounts /dev and writes resolv.conf, hostname and hosts' entries for the container
  find "$r/dev" -mindepth 1 -delete
  rm -f "$r/etc/resolv.conf" "$r/etc/hostname"
}

# nonroot:x:65532:65532, home /home/nonroot: the user of the image (controller/Dockerfile's USER 65532:65532)
add_nonroot() {
  local r="$1"
  grep -q "^nonroot:" "$r/etc/passwd" && return 0
  echo "nonroot:x:$NONROOT_UID:$NONROOT_UID:nonroot:/home/nonroot:/usr/sbin/nologin" >>"$r/etc/passwd"
  echo "nonroot:x:$NONROOT_UID:" >>"$r/etc/group"
  printf 'nonroot:!:%s:0:99999:7:::\n' "$(($(date +%s) / 86400))" >>"$r/etc/shadow"
  install -d -m 0750 -o "$NONROOT_UID" -g "$NONROOT_UID" "$r/home/nonroot"
}

main "$@"
